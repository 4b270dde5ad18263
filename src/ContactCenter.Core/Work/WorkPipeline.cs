using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Threading.Channels;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Core.Work;

/// <summary>Configuration under <c>Work</c> (docs/pipeline.md).</summary>
public sealed class WorkOptions
{
    /// <summary>Items one instance runs at the same time (each of another ordering key). Handlers mostly wait on
    /// PostgreSQL or a provider, so a few per core.</summary>
    [Range(1, 1024)]
    public int Parallelism { get; set; } = Math.Max(4, Environment.ProcessorCount * 4);
    /// <summary>How long a claimed item stays this instance's without a heartbeat; a killed instance's items
    /// come back after this. The heartbeat renews every third of it.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>The longest sleep without a notification (lost notifications, expired leases, other instances'
    /// completions). Due items wake the worker at their due time, not at the next poll.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);
    /// <summary>After this many failed attempts an item is parked: kept, on the timeline, listed for admins.</summary>
    [Range(1, 1000)]
    public int MaxAttempts { get; set; } = 10;
    /// <summary>The wait before the second attempt; it doubles each time, up to <see cref="MaxRetryDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);
    [Range(typeof(TimeSpan), "00:00:00.001", "7.00:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// Runs <c>work_items</c> in every instance: claims due head items (<see cref="WorkStore.ClaimAsync"/>) up to
/// <see cref="WorkOptions.Parallelism"/>, runs each with its <see cref="IWorkHandler"/>, writes its follow-ups
/// as it completes, retries failures with backoff and parks what keeps failing. Woken by <c>cc_work</c>
/// (through the instance's one <see cref="PostgresListener"/>), by its own completions, and at the next due time.
/// </summary>
public sealed partial class WorkPipeline : BackgroundService
{
    public const string Channel = "cc_work";

    private readonly WorkStore _store;
    private readonly Dictionary<string, IWorkHandler> _handlers;
    private readonly WorkParking _parking;
    private readonly WorkOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<WorkPipeline> _log;
    private readonly Channel<bool> _wake = System.Threading.Channels.Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly ConcurrentDictionary<long, Task> _running = new();
    private readonly IDisposable _subscription;

    public WorkPipeline(
        WorkStore store, IEnumerable<IWorkHandler> handlers, WorkParking parking, PostgresListener listener,
        IOptions<WorkOptions> options, TimeProvider clock, ILogger<WorkPipeline> log)
    {
        _store = store;
        _handlers = handlers.ToDictionary(h => h.Kind, StringComparer.Ordinal);
        _parking = parking;
        _options = options.Value;
        _clock = clock;
        _log = log;
        _subscription = listener.Subscribe(Channel, _ => Wake(), Wake);
    }

    /// <summary>This instance's name on the leases it holds.</summary>
    public string Owner { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>Asks for a claim soon (in-process; other instances hear <c>cc_work</c>). Tests call it after moving a fake clock.</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    /// <summary>
    /// Returns once no item is running and none is due (follow-ups included), for tests and tools; throws
    /// <see cref="TimeoutException"/> after <paramref name="timeout"/> (default 30 s). Parked items and items
    /// due later do not count.
    /// </summary>
    public async Task WaitForIdleAsync(TimeSpan? timeout = null, CancellationToken ct = default)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!await _store.IsIdleAsync(ct))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The work pipeline did not become idle in time.");
            Wake();
            await Task.Delay(20, ct);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var heartbeat = HeartbeatAsync(stoppingToken);
        var nextReclaim = DateTime.UtcNow;
        while (!stoppingToken.IsCancellationRequested)
        {
            var sleep = _options.PollInterval;
            try
            {
                if (DateTime.UtcNow >= nextReclaim)
                {
                    nextReclaim = DateTime.UtcNow + _options.PollInterval;
                    await _store.ReclaimExpiredAsync(stoppingToken);
                }

                var free = _options.Parallelism - _running.Count;
                if (free > 0)
                {
                    var claimed = await _store.ClaimAsync(Owner, free, _options.LeaseDuration, stoppingToken);
                    foreach (var item in claimed) Start(item, stoppingToken);
                    if (claimed.Count == free) continue;
                    if (claimed.Count > 0) sleep = TimeSpan.FromMilliseconds(50);
                    else if (await _store.NextDueAsync(stoppingToken) is { } due && due - _clock.GetUtcNow() is var untilDue && untilDue < sleep)
                        sleep = untilDue < TimeSpan.Zero ? TimeSpan.Zero : untilDue;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                LogStoreUnavailable(e);
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(sleep);
            try
            {
                await _wake.Reader.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // Slept until the next due time or the poll interval.
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        await Task.WhenAll(_running.Values);
        await heartbeat;
    }

    public override void Dispose()
    {
        _subscription.Dispose();
        base.Dispose();
    }

    private void Start(WorkItem item, CancellationToken stoppingToken)
    {
        _running[item.Id] = Task.Run(async () =>
        {
            try
            {
                await RunAsync(item, stoppingToken);
            }
            finally
            {
                _running.TryRemove(item.Id, out _);
                Wake(); // room for another item, and the next item of this key may be the head now
            }
        }, CancellationToken.None);
    }

    private async Task RunAsync(WorkItem item, CancellationToken ct)
    {
        IReadOnlyList<NewWork> followUps;
        // The dispatch point: one span per item, continuing the trace of the request or work that wrote it.
        using var activity = ContactCenterTelemetry.StartAfterCommit(item.Kind, item.Id, item.EventId, item.Attempts, item.TraceParent);
        try
        {
            if (!_handlers.TryGetValue(item.Kind, out var handler))
                throw new InvalidOperationException($"No handler for work of kind '{item.Kind}'.");
            followUps = await handler.RunAsync(item, ct);
        }
        catch (Exception e) when (ct.IsCancellationRequested)
        {
            // Shutting down: not the item's fault. It goes back for any instance to take.
            LogInterrupted(e, item.Id);
            await ReleaseQuietlyAsync(item);
            return;
        }
        catch (Exception e)
        {
            activity.Fail(e);
            await FailAsync(item, e);
            return;
        }

        try
        {
            if (!await _store.CompleteAsync(item, Owner, followUps, CancellationToken.None)) LogLeaseLost(item.Id, item.Kind);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            // The handler's work is committed and idempotent: the lease runs out and the item runs once more.
            LogCompleteFailed(e, item.Id);
        }
    }

    private async Task FailAsync(WorkItem item, Exception e)
    {
        var park = item.Attempts >= _options.MaxAttempts;
        var delay = TimeSpan.FromTicks(Math.Min(_options.MaxRetryDelay.Ticks,
            _options.RetryBaseDelay.Ticks * (long)Math.Pow(2, Math.Min(item.Attempts - 1, 30))));
        var error = $"{e.GetType().Name}: {e.Message}";
        if (error.Length > 2000) error = error[..2000];
        try
        {
            await _store.FailAsync(item, Owner, park, _clock.GetUtcNow() + delay, error, CancellationToken.None);
            if (park)
            {
                LogParked(e, item.Id, item.Kind, item.Attempts);
                await _parking.RecordAsync(item, e, CancellationToken.None);
            }
            else
            {
                LogFailed(e, item.Id, item.Kind, item.Attempts);
            }
        }
        catch (Exception store) when (store is NpgsqlException or TimeoutException)
        {
            // Not recorded: the lease runs out and the item is tried again, its attempt counted.
            LogCompleteFailed(store, item.Id);
        }
    }

    private async Task ReleaseQuietlyAsync(WorkItem item)
    {
        try { await _store.ReleaseAsync(item, Owner, CancellationToken.None); }
        catch (Exception e) when (e is NpgsqlException or TimeoutException) { LogCompleteFailed(e, item.Id); }
    }

    private async Task HeartbeatAsync(CancellationToken ct)
    {
        var every = _options.LeaseDuration / 3;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(every, ct);
                if (!_running.IsEmpty) await _store.RenewLeasesAsync(Owner, _options.LeaseDuration, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                LogStoreUnavailable(e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Work item {Id} ({Kind}) failed (attempt {Attempts}); will retry")]
    private partial void LogFailed(Exception e, long id, string kind, int attempts);

    [LoggerMessage(Level = LogLevel.Error, Message = "Work item {Id} ({Kind}) failed {Attempts} times and is parked")]
    private partial void LogParked(Exception e, long id, string kind, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Work item {Id} ({Kind}) lost its lease before completing; its new owner finishes it")]
    private partial void LogLeaseLost(long id, string kind);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Work item {Id} could not be recorded as done or failed; it runs again when its lease ends")]
    private partial void LogCompleteFailed(Exception e, long id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Work item {Id} interrupted by shutdown; released")]
    private partial void LogInterrupted(Exception e, long id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Work pipeline cannot reach PostgreSQL")]
    private partial void LogStoreUnavailable(Exception e);
}
