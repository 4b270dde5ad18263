using System.ComponentModel.DataAnnotations;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Telemetry;
using ContactCenter.Core.Timeline;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Core.Reactions;

public sealed class ReactionOptions
{
    /// <summary>How often to look for work when no notification arrives (lost notifications, expired claims).</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>How long a claimed event stays invisible to other workers before it is tried again.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ClaimTimeout { get; set; } = TimeSpan.FromSeconds(60);
    [Range(1, 10000)]
    public int BatchSize { get; set; } = 50;
    /// <summary>Conversations whose events one instance reacts to at the same time (events of one conversation
    /// always run one after another, oldest first). Above 1, bot turns and other slow reactions stop holding
    /// everyone up (the bot bench's burst throughput), but conversations arriving in the same instant may enter
    /// their queue in another order than they arrived, and an assignment pass may run in between: first come,
    /// first served is then only as exact as the batch. 1 keeps it exact within an instance.</summary>
    [Range(1, 256)]
    public int Parallelism { get; set; } = 1;
    /// <summary>After this many failed attempts an event is parked (logged, left in pending_reactions).</summary>
    [Range(1, 1000)]
    public int MaxAttempts { get; set; } = 10;
}

/// <summary>
/// Runs the after-commit reactions of stored events. Every instance runs one; claims use
/// <c>FOR UPDATE SKIP LOCKED</c>, so instances share the work without taking the same event twice.
/// </summary>
public sealed partial class ReactionWorker(
    NpgsqlDataSource db,
    ReactionRegistry registry,
    TimeProvider clock,
    IOptions<ReactionOptions> options,
    ILogger<ReactionWorker> log) : BackgroundService
{
    private readonly ReactionOptions _options = options.Value;
    private readonly SemaphoreSlim _wake = new(0);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var listening = ListenAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            int handled;
            try
            {
                handled = await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException && !stoppingToken.IsCancellationRequested)
            {
                LogStoreUnavailable(e);
                handled = 0;
            }

            if (handled > 0) continue;
            try
            {
                await _wake.WaitAsync(_options.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        await listening;
    }

    /// <summary>Claims and runs one batch. Public so tests and tools can drive it directly.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        List<(long Id, int Attempts, Guid? Conversation, string? TraceParent)> claimed = [];
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            await using var claim = connection.Sql("""
                update pending_reactions p set claimed_until = $1, attempts = p.attempts + 1
                where p.event_id in (
                    select event_id from pending_reactions
                    where claimed_until is null or claimed_until < $2
                    order by event_id
                    limit $3
                    for update skip locked)
                returning p.event_id, p.attempts, (select t.conversation_id from timeline_events t where t.id = p.event_id), p.trace_parent
                """, now + _options.ClaimTimeout, now, _options.BatchSize);
            await using var reader = await claim.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                claimed.Add((reader.GetInt64(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetGuid(2), reader.Nullable<string>(3)));
        }

        // One conversation's events in order; different conversations side by side (a bot turn or a provider
        // call must not hold up everyone else's). Events without a conversation each go alone.
        var lanes = claimed.GroupBy(c => c.Conversation ?? Guid.NewGuid()).Select(g => g.OrderBy(c => c.Id).ToList());
        await Parallel.ForEachAsync(lanes, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.Parallelism), CancellationToken = ct },
            async (lane, token) =>
            {
                foreach (var (id, attempts, _, traceParent) in lane) await RunReactionsAsync(id, attempts, traceParent, token);
            });

        return claimed.Count;
    }

    private async Task RunReactionsAsync(long eventId, int attempts, string? traceParent, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        TimelineEvent? stored;
        await using (var command = connection.Sql($"select {TimelineStore.Columns} from timeline_events where id = $1", eventId))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            stored = await reader.ReadAsync(ct) ? TimelineStore.Read(reader) : null;
        }

        // The dispatch point: one span per event, continuing the trace of the request that stored it.
        using var activity = ContactCenterTelemetry.StartAfterCommit(eventId, stored?.Type ?? "unknown", traceParent);
        activity?.SetTag("contactcenter.attempt", attempts);
        try
        {
            if (stored is not null)
            {
                foreach (var reaction in registry.For(stored.Type))
                    await reaction.ReactAsync(stored, ct);
            }

            await connection.Sql("delete from pending_reactions where event_id = $1", eventId).ExecuteNonQueryAsync(ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // Not swallowed: the row stays, is retried with backoff, and is parked (and logged) when it keeps failing.
            activity.Fail(e);
            var parked = attempts >= _options.MaxAttempts;
            var retryAt = parked
                ? DateTimeOffset.MaxValue.AddYears(-1)
                : clock.GetUtcNow() + TimeSpan.FromSeconds(Math.Min(300, Math.Pow(2, attempts)));
            await connection.Sql("update pending_reactions set claimed_until = $2, last_error = $3 where event_id = $1",
                eventId, retryAt, e.GetType().Name + ": " + e.Message).ExecuteNonQueryAsync(CancellationToken.None);
            if (parked) LogParked(e, eventId, attempts);
            else LogReactionFailed(e, eventId, attempts);
        }
    }

    private async Task ListenAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = await db.OpenConnectionAsync(ct);
                connection.Notification += (_, _) => _wake.Release();
                await connection.Sql("listen cc_reactions").ExecuteNonQueryAsync(ct);
                while (!ct.IsCancellationRequested) await connection.WaitAsync(ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                // Polling covers the gap; reconnect after a pause.
                LogStoreUnavailable(e);
                try { await Task.Delay(_options.PollInterval, ct); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reactions to event {EventId} failed (attempt {Attempts}); will retry")]
    private partial void LogReactionFailed(Exception e, long eventId, int attempts);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reactions to event {EventId} failed {Attempts} times and are parked in pending_reactions")]
    private partial void LogParked(Exception e, long eventId, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reaction worker cannot reach PostgreSQL")]
    private partial void LogStoreUnavailable(Exception e);
}
