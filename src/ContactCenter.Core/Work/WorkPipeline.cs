using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Threading.Channels;
using ContactCenter.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Core.Work;

/// <summary>Configuration under <c>Work</c> (docs/pipeline.md).</summary>
public sealed class WorkOptions
{
    /// <summary>Ordering keys one instance runs at the same time, each its claimed items one after the other. Handlers
    /// mostly wait on PostgreSQL or a provider, so a few per core.</summary>
    [Range(1, 1024)]
    public int Parallelism { get; set; } = Math.Max(4, Environment.ProcessorCount * 4);
    /// <summary>At most this many due items of one key are claimed together and run one after the other by one
    /// worker: a conversation that fell behind catches up in one claim and one completion, not one per item.</summary>
    [Range(1, 1000)]
    public int BatchSize { get; set; } = 32;
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
/// Runs <c>work_items</c> in every instance: claims the due head items of up to <see cref="WorkOptions.Parallelism"/>
/// keys, each with the due items behind it (<see cref="WorkStore.ClaimAsync"/>), and hands each key's run to the
/// <see cref="WorkRunner"/>. Woken by <c>cc_work</c> (through the instance's one <see cref="PostgresListener"/>), by
/// its own completions, and at the next due time; a heartbeat keeps the leases of running items.
/// </summary>
public sealed partial class WorkPipeline : BackgroundService
{
    public const string Channel = "cc_work";

    private readonly NpgsqlDataSource _db;
    private readonly WorkStore _store;
    private readonly WorkRunner _runner;
    private readonly WorkOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<WorkPipeline> _log;
    private readonly Channel<bool> _wake = System.Threading.Channels.Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    /// <summary>Running claims by their first item: one per ordering key.</summary>
    private readonly ConcurrentDictionary<long, Task> _running = new();
    private readonly IDisposable _subscription;

    public WorkPipeline(
        NpgsqlDataSource db, WorkStore store, WorkRunner runner, PostgresListener listener, IOptions<WorkOptions> options, TimeProvider clock,
        ILogger<WorkPipeline> log)
    {
        _db = db;
        _store = store;
        _runner = runner;
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
    /// <see cref="TimeoutException"/> after <paramref name="timeout"/> (default 30 s). Parked items, items due later
    /// and items waiting behind one of their key that is due later do not count.
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
        // The loop's statements run on a connection of its own: prepared there once, PostgreSQL plans the claim
        // once instead of on every pooled connection it would otherwise land on. Reopened after a failure.
        NpgsqlConnection? loop = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            var sleep = _options.PollInterval;
            try
            {
                if (loop is { State: not System.Data.ConnectionState.Open })
                {
                    await loop.DisposeAsync();
                    loop = null;
                }

                loop ??= await _db.OpenConnectionAsync(stoppingToken);
                if (DateTime.UtcNow >= nextReclaim)
                {
                    nextReclaim = DateTime.UtcNow + _options.PollInterval;
                    await _store.ReclaimExpiredAsync(Owner, stoppingToken, loop);
                }

                var free = _options.Parallelism - _running.Count;
                if (free > 0)
                {
                    var claimed = await _store.ClaimAsync(Owner, free, _options.BatchSize, _options.LeaseDuration, stoppingToken, loop);
                    var keys = 0;
                    foreach (var run in claimed.GroupBy(i => i.OrderingKey, StringComparer.Ordinal))
                    {
                        Start(run.ToList(), stoppingToken);
                        keys++;
                    }

                    if (keys == free) continue;
                    if (keys > 0) sleep = TimeSpan.FromMilliseconds(50);
                    else if (await _store.NextDueAsync(stoppingToken, loop) is { } due && due - _clock.GetUtcNow() is var untilDue && untilDue < sleep)
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
                if (loop is not null) await loop.DisposeAsync();
                loop = null;
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

        if (loop is not null) await loop.DisposeAsync();
        await Task.WhenAll(_running.Values);
        await heartbeat;
    }

    public override void Dispose()
    {
        _subscription.Dispose();
        base.Dispose();
    }

    private void Start(List<WorkItem> items, CancellationToken stoppingToken)
    {
        var first = items[0].Id;
        _running[first] = Task.Run(async () =>
        {
            try
            {
                await _runner.RunAsync(items, Owner, stoppingToken);
            }
            finally
            {
                _running.TryRemove(first, out _);
                Wake(); // room for another key, and items written behind this run meanwhile
            }
        }, CancellationToken.None);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Work pipeline cannot reach PostgreSQL")]
    private partial void LogStoreUnavailable(Exception e);
}
