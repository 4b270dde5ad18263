using ContactCenter.Core.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Core.Work;

/// <summary>
/// Runs what one claim took of one ordering key (<see cref="WorkStore.ClaimAsync"/>): its items one after the other,
/// each with its <see cref="IWorkHandler"/>, then marks the ones that ran done in one transaction with their
/// follow-ups. A failure stops the run there: the items done so far complete, the failed one is retried with backoff
/// (or parked), the ones behind it go back untouched, so the key's order holds.
/// </summary>
public sealed partial class WorkRunner
{
    private readonly WorkStore _store;
    private readonly Dictionary<string, IWorkHandler> _handlers;
    private readonly WorkParking _parking;
    private readonly WorkOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<WorkRunner> _log;

    public WorkRunner(
        WorkStore store, IEnumerable<IWorkHandler> handlers, WorkParking parking, IOptions<WorkOptions> options, TimeProvider clock,
        ILogger<WorkRunner> log)
    {
        _store = store;
        _handlers = handlers.ToDictionary(h => h.Kind, StringComparer.Ordinal);
        _parking = parking;
        _options = options.Value;
        _clock = clock;
        _log = log;
    }

    /// <param name="items">Items of one key, in their order, claimed by <paramref name="owner"/>.</param>
    public async Task RunAsync(IReadOnlyList<WorkItem> items, string owner, CancellationToken ct)
    {
        var done = new List<(WorkItem Item, IReadOnlyList<NewWork> FollowUps)>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            // The dispatch point: one span per item, continuing the trace of the request or work that wrote it.
            using var activity = ContactCenterTelemetry.StartAfterCommit(item.Kind, item.Id, item.EventId, item.Attempts, item.TraceParent);
            try
            {
                if (!_handlers.TryGetValue(item.Kind, out var handler))
                    throw new InvalidOperationException($"No handler for work of kind '{item.Kind}'.");
                done.Add((item, await handler.RunAsync(item, ct)));
            }
            catch (Exception e) when (ct.IsCancellationRequested)
            {
                // Shutting down: not the item's fault. It and the ones behind it go back for any instance to take.
                LogInterrupted(e, item.Id);
                await CompleteAsync(done, owner);
                await ReleaseQuietlyAsync(items.Skip(i).ToList(), owner);
                return;
            }
            catch (Exception e)
            {
                activity.Fail(e);
                await CompleteAsync(done, owner);
                await FailAsync(item, owner, e);
                await ReleaseQuietlyAsync(items.Skip(i + 1).ToList(), owner);
                return;
            }
        }

        await CompleteAsync(done, owner);
    }

    private async Task CompleteAsync(List<(WorkItem Item, IReadOnlyList<NewWork> FollowUps)> done, string owner)
    {
        if (done.Count == 0) return;
        try
        {
            var completed = await _store.CompleteAsync(done, owner, CancellationToken.None);
            foreach (var (item, _) in done)
                if (!completed.Contains(item.Id)) LogLeaseLost(item.Id, item.Kind);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            // The handlers' work is committed and idempotent: the leases run out and the items run once more.
            LogCompleteFailed(e, done[0].Item.Id);
        }
    }

    private async Task FailAsync(WorkItem item, string owner, Exception e)
    {
        var park = item.Attempts >= _options.MaxAttempts;
        var delay = TimeSpan.FromTicks(Math.Min(_options.MaxRetryDelay.Ticks,
            _options.RetryBaseDelay.Ticks * (long)Math.Pow(2, Math.Min(item.Attempts - 1, 30))));
        var error = $"{e.GetType().Name}: {e.Message}";
        if (error.Length > 2000) error = error[..2000];
        try
        {
            await _store.FailAsync(item, owner, park, _clock.GetUtcNow() + delay, error, CancellationToken.None);
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

    private async Task ReleaseQuietlyAsync(IReadOnlyList<WorkItem> items, string owner)
    {
        if (items.Count == 0) return;
        try { await _store.ReleaseAsync(items, owner, CancellationToken.None); }
        catch (Exception e) when (e is NpgsqlException or TimeoutException) { LogCompleteFailed(e, items[0].Id); }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Work item {Id} ({Kind}) failed (attempt {Attempts}); will retry")]
    private partial void LogFailed(Exception e, long id, string kind, int attempts);

    [LoggerMessage(Level = LogLevel.Error, Message = "Work item {Id} ({Kind}) failed {Attempts} times and is parked")]
    private partial void LogParked(Exception e, long id, string kind, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Work item {Id} ({Kind}) lost its lease before completing; its new owner finishes it")]
    private partial void LogLeaseLost(long id, string kind);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Work item {Id} (and any claimed with it) could not be recorded as done, failed or released; it runs again when its lease ends")]
    private partial void LogCompleteFailed(Exception e, long id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Work item {Id} interrupted by shutdown; released with the items behind it")]
    private partial void LogInterrupted(Exception e, long id);
}
