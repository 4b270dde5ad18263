using ContactCenter.Core.Channels;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Routing;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Timeline;
using Hangfire;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Core.ResponseTargets;

/// <summary>One response clock as stored: when it started, what it counts against, how it ended.</summary>
public sealed record ResponseClock(
    long Id, Guid ConversationId, string Kind, string Channel, string? Queue, long StartedBy, DateTimeOffset StartedAt,
    TimeSpan Target, DateTimeOffset? WarnAt, DateTimeOffset? DueAt, DateTimeOffset? StoppedAt, long? StoppedBy, string? StopReason,
    DateTimeOffset? WarnedAt, DateTimeOffset? BreachedAt)
{
    /// <summary>Wall-clock seconds from start to stop: the first (or next) response time, the resolution time.</summary>
    public double? ElapsedSeconds => (StoppedAt - StartedAt)?.TotalSeconds;
    /// <summary>True or false once decided (answered, resolved, breached); null while running or ended unanswered.</summary>
    public bool? WithinTarget
    {
        get
        {
            if (BreachedAt is not null) return false;
            var met = StopReason == StopReasons.Answered || (Kind == ClockKinds.Resolution && StopReason == StopReasons.Resolved);
            return met ? DueAt is null || StoppedAt <= DueAt : null;
        }
    }
}

public sealed record StartedClock(long Id, DateTimeOffset? WarnAt, DateTimeOffset? DueAt);

public static class StopReasons
{
    /// <summary>An agent answered (for voice: the call was connected).</summary>
    public const string Answered = "answered";
    public const string Resolved = "resolved";
    /// <summary>The conversation ended without an answer (merged away, closed).</summary>
    public const string Closed = "closed";
}

/// <summary>
/// Starts and stops response clocks from what the timeline holds, so the order in which reactions run does not
/// matter: <see cref="ReconcileAsync"/> looks at the conversation's events under its row lock and makes the
/// clocks agree with them. Deadlines are enforced by <see cref="ClockChecks"/>.
/// </summary>
public sealed class ResponseClocks(NpgsqlDataSource db, IOptions<SlaOptions> options, IBackgroundJobClient jobs, TimeProvider clock)
{
    private const string Columns = """
        id, conversation_id, kind, channel, queue, started_by, started_at, target, warn_at, due_at, stopped_at, stopped_by,
        stop_reason, warned_at, breached_at
        """;
    private readonly SlaOptions _options = options.Value;

    private sealed record WaitEvent(long Id, string Type, DateTimeOffset RecordedAt, DateTimeOffset OccurredAt, string? AuthorKind);

    internal static bool IsAnswer(string type, string? authorKind) =>
        type == TimelineEventTypes.CallConnected || type == TimelineEventTypes.MessageSent && authorKind == Outbound.AuthorKind.Agent;

    /// <summary>The SQL twin of <see cref="IsAnswer"/>, over timeline_events.</summary>
    internal const string AnswerSql = "(type = 'call.connected' or (type = 'message.sent' and data->>'authorKind' = 'agent'))";

    /// <summary>
    /// Inside the caller's transaction, the conversation locked: stops the running response clock when an answer
    /// follows its start, stops everything when the conversation is closed, and starts a clock when the customer
    /// waits on the company while the conversation is with routing (queued or assigned). A customer waits from
    /// the first message (voice: <c>call.queued</c>) after the last agent answer or bot reply; when there is
    /// none, <paramref name="enqueuedBy"/> (a handoff just now) starts it.
    /// </summary>
    internal async Task<List<StartedClock>> ReconcileAsync(
        NpgsqlConnection connection, LockedConversation conversation, RoutingQueue? queue, (long EventId, DateTimeOffset At)? enqueuedBy,
        CancellationToken ct)
    {
        var started = new List<StartedClock>();
        if (conversation.ClosedAt is { } closedAt)
        {
            await StopAsync(connection, conversation.Id, response: null, closedAt, null,
                conversation.Status == ConversationStatus.Resolved ? StopReasons.Resolved : StopReasons.Closed, ct);
            return started;
        }

        var (events, running, first) = await ReadForReconcileAsync(connection, conversation.Id, ct);
        if (running is { } clockRow && events.FirstOrDefault(e => e.Id > clockRow.StartedBy && IsAnswer(e.Type, e.AuthorKind)) is { } answer)
        {
            await StopAsync(connection, conversation.Id, response: true, answer.OccurredAt, answer.Id, StopReasons.Answered, ct);
            running = null;
        }

        if (conversation.Status is not (ConversationStatus.Queued or ConversationStatus.Assigned)) return started;
        if (running is null)
        {
            var voice = conversation.Channel == Channel.Voice;
            var lastReset = events.LastOrDefault(e => IsAnswer(e.Type, e.AuthorKind) || !voice && e.Type == TimelineEventTypes.BotReply)?.Id ?? 0;
            var waitType = voice ? TimelineEventTypes.CallQueued : TimelineEventTypes.MessageReceived;
            var answeredBefore = events.Any(e => IsAnswer(e.Type, e.AuthorKind));
            var kind = answeredBefore ? ClockKinds.NextResponse : ClockKinds.FirstResponse;
            if (events.FirstOrDefault(e => e.Id > lastReset && e.Type == waitType) is { } wait)
                Add(started, await StartAsync(connection, conversation, kind, wait.Id, wait.RecordedAt, queue, ct));
            else if (enqueuedBy is { } handoff && !voice)
                Add(started, await StartAsync(connection, conversation, kind, handoff.EventId, handoff.At, queue, ct));
        }

        // The resolution clock runs from the conversation's start, once.
        if (enqueuedBy is not null && first is { } firstEvent)
            Add(started, await StartAsync(connection, conversation, ClockKinds.Resolution, firstEvent, conversation.OpenedAt, queue, ct));
        return started;
    }

    private static void Add(List<StartedClock> list, StartedClock? clock)
    {
        if (clock is not null) list.Add(clock);
    }

    private async Task<StartedClock?> StartAsync(
        NpgsqlConnection connection, LockedConversation conversation, string kind, long startedBy, DateTimeOffset startedAt,
        RoutingQueue? queue, CancellationToken ct)
    {
        var target = _options.TargetFor(conversation.Channel, kind, queue?.Definition.Targets);
        var hours = queue is null ? Scheduling.BusinessHours.AlwaysOpen : QueueStore.HoursOf(queue.Definition);
        var warnAt = hours.AddOpenTime(startedAt, target * _options.WarningAt);
        var dueAt = hours.AddOpenTime(startedAt, target);
        await using var insert = connection.SqlNamed("""
            insert into response_clocks (conversation_id, kind, channel, queue, started_by, started_at, target, warn_at, due_at, next_check_at)
            values (@conversation, @kind, @channel, @queue, @startedBy, @startedAt, @target, @warnAt, @dueAt, @warnAt)
            on conflict do nothing
            returning id
            """, ("conversation", conversation.Id), ("kind", kind), ("channel", conversation.Channel.ToName()), ("queue", Db.Text(queue?.Name)),
            ("startedBy", startedBy), ("startedAt", startedAt), ("target", target), ("warnAt", Db.Timestamp(warnAt)), ("dueAt", Db.Timestamp(dueAt)));
        return await insert.ExecuteScalarAsync(ct) is long id ? new StartedClock(id, warnAt, dueAt) : null;
    }

    /// <summary>Stops running clocks: response ones (true), the resolution one (false) or all (null).</summary>
    internal static async Task StopAsync(
        NpgsqlConnection connection, Guid conversationId, bool? response, DateTimeOffset at, long? stoppedBy, string reason, CancellationToken ct)
    {
        var which = response switch { true => "and kind <> 'resolution'", false => "and kind = 'resolution'", null => "" };
        await connection.Sql($"""
            update response_clocks set stopped_at = greatest($2, started_at), stopped_by = $3, stop_reason = $4, next_check_at = null, lease_until = null
            where conversation_id = $1 and stopped_at is null {which}
            """, conversationId, at, stoppedBy, reason).ExecuteNonQueryAsync(ct);
    }

    /// <summary>After the commit: in Hangfire mode, the warning and breach checks of new clocks become scheduled jobs.</summary>
    public void Schedule(IEnumerable<StartedClock> started)
    {
        if (_options.Scheduler != ClockScheduler.Hangfire) return;
        var now = clock.GetUtcNow();
        foreach (var c in started)
        {
            foreach (var at in new[] { c.WarnAt, c.DueAt })
            {
                if (at is { } when)
                    jobs.Schedule<ClockChecks>(checks => checks.CheckWhenDueAsync(c.Id, when, CancellationToken.None), when - now);
            }
        }
    }

    public async Task<IReadOnlyList<ResponseClock>> ForConversationAsync(Guid conversationId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql($"select {Columns} from response_clocks where conversation_id = $1 order by id", conversationId);
        var list = new List<ResponseClock>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) list.Add(Read(reader));
        return list;
    }

    internal static async Task<ResponseClock?> GetAsync(NpgsqlConnection connection, long id, bool forUpdate, CancellationToken ct)
    {
        await using var command = connection.Sql($"select {Columns} from response_clocks where id = $1 {(forUpdate ? "for update" : "")}", id);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    /// <summary>
    /// In one round trip: the events that start and stop response clocks, the running response clock, and the
    /// conversation's first event (the resolution clock's start). Clock writes that follow change none of them.
    /// </summary>
    private static async Task<(List<WaitEvent> Events, ResponseClock? Running, long? First)> ReadForReconcileAsync(
        NpgsqlConnection connection, Guid conversationId, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                Db.Batch("""
                    select id, type, recorded_at, occurred_at, data->>'authorKind' from timeline_events
                    where conversation_id = $1 and type in ('message.received', 'message.sent', 'bot.reply', 'call.queued', 'call.connected')
                    order by id
                    """, conversationId),
                Db.Batch($"select {Columns} from response_clocks where conversation_id = $1 and stopped_at is null and kind <> 'resolution'",
                    conversationId),
                Db.Batch("select min(id) from timeline_events where conversation_id = $1", conversationId),
            },
        };
        var events = new List<WaitEvent>();
        await using var reader = await batch.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            events.Add(new WaitEvent(reader.GetInt64(0), reader.GetString(1), reader.Instant(2), reader.Instant(3), reader.Nullable<string>(4)));
        await reader.NextResultAsync(ct);
        var running = await reader.ReadAsync(ct) ? Read(reader) : null;
        await reader.NextResultAsync(ct);
        long? first = await reader.ReadAsync(ct) && !reader.IsDBNull(0) ? reader.GetInt64(0) : null;
        return (events, running, first);
    }

    internal static ResponseClock Read(NpgsqlDataReader reader) => new(
        reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.Nullable<string>(4), reader.GetInt64(5),
        reader.Instant(6), reader.GetFieldValue<TimeSpan>(7), reader.NullableInstant(8), reader.NullableInstant(9), reader.NullableInstant(10),
        reader.Nullable<long?>(11), reader.Nullable<string>(12), reader.NullableInstant(13), reader.NullableInstant(14));
}
