using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MimeKit;
using SmtpServer;
using SmtpServer.ComponentModel;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace ContactCenter.Tests.Email;

/// <summary>
/// A real SMTP server in the test process (the SmtpServer package on a loopback port). It keeps every mail it
/// accepts; answers can be scripted (a 451 now, a 550 next) to exercise the sender's retries.
/// </summary>
public sealed class SmtpSink : MessageStore, IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<(int Code, string Text)> _scripted = new();
    private readonly ConcurrentQueue<Received> _received = new();
    private readonly Task _running;

    public sealed record Received(MimeMessage Message, string From, IReadOnlyList<string> To, DateTimeOffset At);

    public SmtpSink()
    {
        Port = FreePort();
        var options = new SmtpServerOptionsBuilder().ServerName("localhost")
            .Endpoint(e => e.Endpoint(new IPEndPoint(IPAddress.Loopback, Port))).Build();
        var services = new ServiceProvider();
        services.Add(this);
        _running = new SmtpServer.SmtpServer(options, services).StartAsync(_stop.Token);
    }

    public int Port { get; }

    public IReadOnlyList<Received> Messages => _received.ToArray();

    /// <summary>The next DATA is answered with this code instead of 250.</summary>
    public void AnswerNext(int code, string text) => _scripted.Enqueue((code, text));

    public void Reset()
    {
        _scripted.Clear();
        _received.Clear();
    }

    public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction,
        ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
    {
        if (_scripted.TryDequeue(out var answer)) return new SmtpResponse((SmtpReplyCode)answer.Code, answer.Text);
        var message = await MimeMessage.LoadAsync(new MemoryStream(buffer.ToArray()), cancellationToken);
        _received.Enqueue(new Received(message, transaction.From.AsAddress(), transaction.To.Select(t => t.AsAddress()).ToList(), DateTimeOffset.UtcNow));
        return SmtpResponse.Ok;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _running;
        }
        catch (OperationCanceledException)
        {
            // Stopped as asked.
        }

        _stop.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
