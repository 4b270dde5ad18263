using System.Threading.Channels;
using Hangfire;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ContactCenter.Core.Outbound;

/// <summary>
/// The first delivery attempt of a message just stored, made in this process right after the commit. A Hangfire
/// job per message cost about 25 statements and up to a queue poll (500 ms) before the send; here it is the
/// dispatcher's own few. Nothing here is the only copy: the message row is durable, so an id lost with the process
/// (a crash, a full queue whose Hangfire fallback fails too) is found by the outbox sweep, and the dispatcher's claim
/// on the row keeps any second attempt from sending twice.
/// </summary>
public sealed partial class OutboundDispatchQueue(IOptions<OutboxOptions> options, IBackgroundJobClient jobs, ILogger<OutboundDispatchQueue> log)
{
    private readonly Channel<Guid> _waiting = Channel.CreateBounded<Guid>(
        new BoundedChannelOptions(options.Value.DispatchQueueCapacity) { SingleWriter = false, SingleReader = false });
    private readonly bool _inProcess = options.Value.DispatchParallelism > 0;

    internal ChannelReader<Guid> Waiting => _waiting.Reader;

    /// <summary>Called after the message's transaction committed.</summary>
    public void Dispatch(Guid messageId)
    {
        if (_inProcess && _waiting.Writer.TryWrite(messageId)) return;
        EnqueueJob(messageId);
    }

    /// <summary>An attempt that threw (its database, not its provider: senders' failures are outcomes) is Hangfire's to retry.</summary>
    internal void Failed(Guid messageId, Exception e)
    {
        LogAttemptFailed(e, messageId);
        EnqueueJob(messageId);
    }

    private void EnqueueJob(Guid messageId)
    {
        try
        {
            jobs.Enqueue<OutboxDispatcher>(d => d.DispatchAsync(messageId, CancellationToken.None));
        }
        catch (BackgroundJobClientException e)
        {
            // Stored, so still accepted: the sweep sends it.
            LogEnqueueFailed(e, messageId);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbound {MessageId} is stored but its send job could not be enqueued; the outbox sweep will send it")]
    private partial void LogEnqueueFailed(Exception e, Guid messageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The first attempt of outbound {MessageId} failed; handed to a Hangfire job")]
    private partial void LogAttemptFailed(Exception e, Guid messageId);
}

/// <summary>Makes the queued first attempts, <see cref="OutboxOptions.DispatchParallelism"/> at a time.</summary>
public sealed class OutboundDispatchWorker(OutboundDispatchQueue queue, OutboxDispatcher dispatcher, IOptions<OutboxOptions> options) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, options.Value.DispatchParallelism).Select(_ => Task.Run(() => RunAsync(stoppingToken), CancellationToken.None)));

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await queue.Waiting.WaitToReadAsync(stoppingToken))
            {
                while (queue.Waiting.TryRead(out var id))
                {
                    try
                    {
                        // Not cancelled by shutdown once started: a send cut off after the provider took it would be
                        // recorded as nothing and sent again by the sweep. Senders have timeouts of their own.
                        await dispatcher.DispatchAsync(id, CancellationToken.None);
                    }
                    catch (Exception e)
                    {
                        queue.Failed(id, e);
                    }

                    if (stoppingToken.IsCancellationRequested) return;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: ids still waiting are stored messages the sweep finds.
        }
    }
}
