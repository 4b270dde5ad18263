using System.Text.Json.Nodes;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Routing;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Telemetry;
using ContactCenter.Core.Timeline;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Core.ResponseTargets;

public static class CheckOutcomes
{
    public const string Nothing = "nothing";
    public const string Warned = "warned";
    public const string Breached = "breached";
    public const string Stopped = "stopped";
}

/// <summary>
/// The warning (80 %) and breach (100 %) checks of a response clock: run by the deadline worker, or as
/// Hangfire jobs in Hangfire mode. Idempotent: a stopped clock makes them no-ops, and a warning and a breach
/// are written once, with dedupe keys made of the clock kind and the event that started the clock.
/// </summary>
public sealed partial class ClockChecks(
    NpgsqlDataSource db,
    TimelineStore timeline,
    RoutingEngine routing,
    IOptions<RoutingOptions> routingOptions,
    TimeProvider clock,
    ILogger<ClockChecks> log)
{
    /// <summary>
    /// The Hangfire job (Hangfire mode). Hangfire keeps schedule times in whole seconds, so a job can start up
    /// to a second before <paramref name="dueAt"/>: it waits out the rest before checking.
    /// </summary>
    public async Task<string> CheckWhenDueAsync(long clockId, DateTimeOffset dueAt, CancellationToken ct)
    {
        // Hangfire's schedule has whole-second resolution, and a timer can fire a little before the wall clock reaches
        // the due time (a breach check that ran 1 ms early found nothing to do, and the next look was the sweep's).
        for (var early = dueAt - clock.GetUtcNow(); early > TimeSpan.Zero && early < TimeSpan.FromSeconds(5); early = dueAt - clock.GetUtcNow())
            await Task.Delay(early + TimeSpan.FromMilliseconds(1), clock, ct);
        return await CheckAsync(clockId, ct);
    }

    public async Task<string> CheckAsync(long clockId, CancellationToken ct)
    {
        var after = new RoutingEngine.AfterCommit();
        string outcome;
        await using (var connection = await db.OpenConnectionAsync(ct))
        await using (var tx = await connection.BeginTransactionAsync(ct))
        {
            outcome = await CheckInTxAsync(connection, clockId, after, ct);
            await tx.CommitAsync(ct);
        }

        routing.Schedule(after);
        return outcome;
    }

    private async Task<string> CheckInTxAsync(NpgsqlConnection connection, long clockId, RoutingEngine.AfterCommit after, CancellationToken ct)
    {
        if (await ResponseClocks.GetAsync(connection, clockId, forUpdate: false, ct) is not { } peek) return CheckOutcomes.Nothing;
        if (peek.StoppedAt is not null) return await SetNextAsync(connection, clockId, null, CheckOutcomes.Stopped, ct);
        var conversation = await QueueEntries.LockConversationAsync(connection, peek.ConversationId, ct);
        var row = (await ResponseClocks.GetAsync(connection, clockId, forUpdate: true, ct))!;
        if (row.StoppedAt is not null) return await SetNextAsync(connection, clockId, null, CheckOutcomes.Stopped, ct);
        var now = clock.GetUtcNow();

        // What the timeline says ended the wait, whether or not its reaction has run yet.
        (DateTimeOffset At, long? EventId, string Reason)? end = null;
        if (conversation is null || conversation.Id != row.ConversationId || !conversation.IsOpen)
            end = await ClosedAsync(connection, row.ConversationId, now, ct);
        else if (row.Kind != ClockKinds.Resolution && await AnswerAsync(connection, row, ct) is { } answer)
            end = (answer.At, answer.Id, StopReasons.Answered);

        if (end is { } early && (row.DueAt is null || early.At <= row.DueAt))
        {
            await ResponseClocks.StopAsync(connection, row.ConversationId, row.Kind != ClockKinds.Resolution, early.At, early.EventId, early.Reason, ct);
            return CheckOutcomes.Stopped;
        }

        var outcome = CheckOutcomes.Nothing;
        if (row.DueAt is { } due && due <= now && row.BreachedAt is null && conversation is not null)
        {
            await BreachAsync(connection, row, conversation, now, after, ct);
            outcome = CheckOutcomes.Breached;
        }
        else if (end is null && row.WarnAt <= now && row.WarnedAt is null && row.BreachedAt is null && conversation is not null)
        {
            await WarnAsync(connection, row, conversation, now, ct);
            outcome = CheckOutcomes.Warned;
        }

        if (end is { } late)
        {
            // Answered (or closed) after the deadline: the breach stands and the clock stops at the real end.
            await ResponseClocks.StopAsync(connection, row.ConversationId, row.Kind != ClockKinds.Resolution, late.At, late.EventId, late.Reason, ct);
            return outcome;
        }

        var breached = outcome == CheckOutcomes.Breached || row.BreachedAt is not null;
        var warned = outcome == CheckOutcomes.Warned || row.WarnedAt is not null || row.WarnAt is null;
        return await SetNextAsync(connection, clockId, breached ? null : warned ? row.DueAt : row.WarnAt, outcome, ct);
    }

    private static async Task<string> SetNextAsync(NpgsqlConnection connection, long clockId, DateTimeOffset? next, string outcome, CancellationToken ct)
    {
        await connection.Sql("update response_clocks set next_check_at = $2, lease_until = null where id = $1", clockId, Db.Timestamp(next))
            .ExecuteNonQueryAsync(ct);
        return outcome;
    }

    private static async Task<(DateTimeOffset, long?, string)> ClosedAsync(NpgsqlConnection connection, Guid conversationId, DateTimeOffset now, CancellationToken ct)
    {
        await using var command = connection.Sql("select closed_at, status from conversations where id = $1", conversationId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct) || reader.IsDBNull(0)) return (now, null, StopReasons.Closed);
        return (reader.Instant(0), null, reader.GetString(1) == ConversationStatus.Resolved ? StopReasons.Resolved : StopReasons.Closed);
    }

    private static async Task<(DateTimeOffset At, long Id)?> AnswerAsync(NpgsqlConnection connection, ResponseClock row, CancellationToken ct)
    {
        await using var command = connection.Sql($"""
            select id, occurred_at from timeline_events
            where conversation_id = $1 and id > $2 and {ResponseClocks.AnswerSql}
            order by id limit 1
            """, row.ConversationId, row.StartedBy);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.Instant(1), reader.GetInt64(0)) : null;
    }

    private static JsonObject Describe(ResponseClock row, LockedConversation conversation) => new()
    {
        ["kind"] = row.Kind,
        ["clockId"] = row.Id,
        ["startedBy"] = row.StartedBy,
        ["startedAt"] = row.StartedAt,
        ["dueAt"] = row.DueAt,
        ["targetSeconds"] = row.Target.TotalSeconds,
        ["queue"] = row.Queue,
        ["assignee"] = conversation.Assignee,
    };

    private async Task WarnAsync(NpgsqlConnection connection, ResponseClock row, LockedConversation conversation, DateTimeOffset now, CancellationToken ct)
    {
        await RoutingTimeline.AppendAsync(timeline, connection, conversation, TimelineEventTypes.SlaWarning, Describe(row, conversation), now, ct,
            dedupeKey: $"sla.warning:{row.Kind}:{row.StartedBy}");
        await connection.Sql("update response_clocks set warned_at = $2 where id = $1", row.Id, now).ExecuteNonQueryAsync(ct);
        ContactCenterTelemetry.ResponseTargetWarnings.Add(1, Tags(row));
        await RoutingSignals.LiveAsync(connection, new JsonObject
        {
            ["type"] = "sla.warning", ["conversationId"] = conversation.Id.ToString(), ["queue"] = row.Queue, ["kind"] = row.Kind,
        }, ct);
    }

    /// <summary>Records the breach and escalates: higher priority, the queue's overflow, an alert for supervisors.</summary>
    private async Task BreachAsync(
        NpgsqlConnection connection, ResponseClock row, LockedConversation conversation, DateTimeOffset now, RoutingEngine.AfterCommit after,
        CancellationToken ct)
    {
        var data = Describe(row, conversation);
        if (conversation.IsOpen && conversation.Id == row.ConversationId)
        {
            var queue = row.Queue is null ? null : await QueueStore.GetAsync(connection, row.Queue, ct);
            var escalation = queue?.Definition.Escalation ?? new EscalationDefinition();
            var boost = escalation.RaisePriority ?? routingOptions.Value.BreachPriorityBoost;
            var priority = (int)(await connection.Sql("update conversations set priority = priority + $2 where id = $1 returning priority",
                conversation.Id, boost).ExecuteScalarAsync(ct))!;
            var waitingIn = await connection.Sql("""
                update queue_entries set priority = priority + $2, rank = rank + $2 where conversation_id = $1 returning queue
                """, conversation.Id, boost).ExecuteScalarAsync(ct) as string;
            data["priority"] = priority;
            data["notifySupervisors"] = escalation.NotifySupervisors;
            if (escalation.OverflowTo is { } to && waitingIn is not null && waitingIn == row.Queue)
            {
                data["overflowTo"] = to;
                await routing.OverflowInTxAsync(connection, conversation with { Priority = priority }, waitingIn, to,
                    $"{row.Kind} target breached", now, after, ct);
            }

            if (escalation.NotifySupervisors)
            {
                await RoutingSignals.LiveAsync(connection, new JsonObject
                {
                    ["type"] = "sla.breached", ["conversationId"] = conversation.Id.ToString(), ["queue"] = row.Queue, ["kind"] = row.Kind,
                    ["assignee"] = conversation.Assignee,
                }, ct);
            }

            await RoutingSignals.WakeRoutingAsync(connection, ct);
        }

        await RoutingTimeline.AppendAsync(timeline, connection, conversation, TimelineEventTypes.SlaBreached, data, now, ct,
            dedupeKey: $"sla.breached:{row.Kind}:{row.StartedBy}");
        await connection.Sql("update response_clocks set breached_at = $2 where id = $1", row.Id, now).ExecuteNonQueryAsync(ct);
        ContactCenterTelemetry.ResponseTargetBreaches.Add(1, Tags(row));
        LogBreached(row.Kind, conversation.Id, row.Queue, now - row.DueAt!.Value);
    }

    private static KeyValuePair<string, object?>[] Tags(ResponseClock row) =>
        [ContactCenterTelemetry.Tag("channel", row.Channel), ContactCenterTelemetry.Tag("kind", row.Kind),
            ContactCenterTelemetry.Tag("queue", row.Queue ?? "none")];

    [LoggerMessage(Level = LogLevel.Information, Message = "Response target {Kind} breached on conversation {ConversationId} in {Queue} ({Lateness} after the deadline)")]
    private partial void LogBreached(string kind, Guid conversationId, string? queue, TimeSpan lateness);
}
