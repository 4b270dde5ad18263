using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ContactCenter.Channels.Webchat;

/// <summary>
/// Which visitors have the widget open, across instances: every <see cref="Interval"/> this instance records the
/// visitors with a live connection to it (<c>webchat_visitors.on_page_at</c>), and a visitor who connects at once.
/// A visitor counts as on the page while that is younger than <see cref="Window"/>, whichever instance holds them.
/// </summary>
public sealed partial class VisitorsOnPage(WebchatFeed feed, VisitorStore visitors, TimeProvider clock, ILogger<VisitorsOnPage> log)
    : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    /// <summary>Three heartbeats: one missed write (a busy database) does not make a visitor look gone.</summary>
    public static readonly TimeSpan Window = 3 * Interval;

    private readonly SemaphoreSlim _connected = new(0, 1);
    private readonly ConcurrentQueue<string> _arrived = new();

    /// <summary>Whether the visitor with <paramref name="address"/> has the widget open now.</summary>
    public Task<bool> IsOnPageAsync(string address, CancellationToken ct) =>
        visitors.OnPageSinceAsync(address, clock.GetUtcNow() - Window, ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        feed.VisitorConnected += Arrived;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                // Every beat records everyone connected here; in between, only those who just arrived.
                var next = clock.GetUtcNow() + Interval;
                _arrived.Clear();
                await MarkAsync(feed.ConnectedAddresses, stoppingToken);
                while (next - clock.GetUtcNow() is { Ticks: > 0 } wait)
                {
                    if (!await _connected.WaitAsync(wait, stoppingToken)) break;
                    var arrived = new HashSet<string>(StringComparer.Ordinal);
                    while (_arrived.TryDequeue(out var address)) arrived.Add(address);
                    await MarkAsync(arrived, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            feed.VisitorConnected -= Arrived;
        }
    }

    private async Task MarkAsync(IReadOnlyCollection<string> addresses, CancellationToken ct)
    {
        try
        {
            await visitors.MarkOnPageAsync(addresses, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The heartbeat's supervisor (a database away, a pool exhausted): logged, and the next beat tries again;
            // meanwhile a visitor on the page may look away and get the answer by e-mail as well.
            LogBeatFailed(e);
        }
    }

    private void Arrived(string address)
    {
        _arrived.Enqueue(address);
        // One pending wake is enough: it records everyone who arrived until then.
        if (_connected.CurrentCount > 0) return;
        try
        {
            _connected.Release();
        }
        catch (SemaphoreFullException)
        {
            // Another connection woke it at the same moment.
        }
    }

    public override void Dispose()
    {
        _connected.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not record which web chat visitors are on the page")]
    private partial void LogBeatFailed(Exception e);
}
