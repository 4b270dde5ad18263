using System.Text.Json.Nodes;
using ContactCenter.Core.Routing;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Timeline;
using Npgsql;

namespace ContactCenter.Core.Voice;

/// <summary>Where a waiting caller stands: place in line and an expected wait, from the routing queue itself.</summary>
public sealed record QueueWait(string Queue, int Position, TimeSpan? ExpectedWait);

/// <summary>What became of a call joining a queue.</summary>
/// <param name="Refusal">Why routing did not take the conversation (e.g. it is already with an agent); null when it waits.</param>
/// <param name="Queue">The queue it waits in.</param>
public sealed record CallQueueJoin(RoutingOutcome? Refusal, string Queue, int Priority, QueueWait? Wait);

/// <summary>A call on the line in a routing queue: joining it, and where it stands while it waits.</summary>
public sealed class CallQueue(NpgsqlDataSource db, CallLedger ledger, CallContext context, RoutingEngine routing, TimeProvider clock)
{
    /// <summary>
    /// The call joins <paramref name="queue"/>, all in one transaction: the call marked queued, the turn's
    /// <paramref name="ivrEvents"/>, the conversation placed in the routing queue, the handoff context attached,
    /// <c>call.queued</c> (keyed by the flow session version), and the caller's place in line. Routing sees the conversation only once it commits, so whoever
    /// assigns it finds a queued live call to redirect and the context for the agent. A refusal (already with an
    /// agent, closed) still marks the call queued and attaches the context, as the turn then connects or holds it.
    /// </summary>
    public async Task<CallQueueJoin> JoinAsync(
        VoiceCall call, IReadOnlyList<CallEvent> ivrEvents, string queue, int? priority, string reason, string? language, int version,
        CancellationToken ct)
    {
        var after = new RoutingEngine.AfterCommit();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // The call's row first, then routing's locks (customer, conversation): status callbacks take the customer
        // lock before the call's row, and a share lock does not wait for another.
        var locked = await QueueEntries.LockConversationAsync(
            connection, call.ConversationId, ledger.MarkQueuedCommand(call.CallSid, queue, language), ct);
        // Under the conversation's lock, so they come before conversation.queued on the timeline (and the context reads them).
        await ledger.AppendInTxAsync(connection, call.ConversationId, ivrEvents, ct);
        var placement = await routing.EnqueueInTxAsync(
            connection, locked, call.ConversationId, queue, priority, reason, clock.GetUtcNow().ToMicroseconds(), after, ct);
        await context.AttachAsync(connection, call.ConversationId, queue, reason, ct);
        if (placement.Refusal is { } refusal)
        {
            await tx.CommitAsync(ct);
            return new CallQueueJoin(refusal, queue, 0, null);
        }

        if (placement.Queue != queue) await ledger.MarkQueuedAsync(connection, call.CallSid, placement.Queue, language, ct);
        List<CallEvent> queued =
        [
            new CallEvent(TimelineEventTypes.CallQueued, $"twilio:{call.CallSid}:call.queued:{version}", Direction.Internal,
                new JsonObject { ["callSid"] = call.CallSid, ["queue"] = placement.Queue, ["priority"] = placement.Priority, ["reason"] = reason },
                ProviderId: call.CallSid),
        ];
        // call.queued and the caller's place in line do not depend on each other: one round trip.
        QueueWait? wait;
        int? appended;
        await using (var batch = new NpgsqlBatch(connection)
        {
            BatchCommands = { ledger.AppendDirectCommand(call.ConversationId, queued, clock.GetUtcNow()), WaitCommand(call.ConversationId) },
        })
        await using (var reader = await batch.ExecuteReaderAsync(ct))
        {
            appended = await CallLedger.ReadAppendedAsync(reader, ct);
            await reader.NextResultAsync(ct);
            wait = await ReadWaitAsync(reader, ct);
        }

        // The conversation was merged away under the call: the event goes where the merge put it.
        if (appended is null) await ledger.AppendFollowingMergesAsync(connection, call.ConversationId, queued, clock.GetUtcNow(), ct);
        await tx.CommitAsync(ct);
        routing.Schedule(after);
        return new CallQueueJoin(null, placement.Queue, placement.Priority, wait);
    }

    /// <summary>
    /// Position: conversations served before this one (higher rank, or equal rank and waiting longer), plus one.
    /// Expected wait: the queue's average time to answer over the last day (answered response clocks) times the
    /// position, spread over the agents available now; null when the queue answered nothing yet.
    /// </summary>
    public async Task<QueueWait?> WaitAsync(Guid conversationId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { WaitCommand(conversationId) } };
        await using var reader = await batch.ExecuteReaderAsync(ct);
        return await ReadWaitAsync(reader, ct);
    }

    /// <summary>
    /// The wait loop's round: the conversation's status (null when there is none) and, while it waits, where it
    /// stands, in one round trip.
    /// </summary>
    public async Task<(string? Status, QueueWait? Wait)> StandingAsync(Guid conversationId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands = { Db.Batch("select status from conversations where id = $1", conversationId), WaitCommand(conversationId) },
        };
        await using var reader = await batch.ExecuteReaderAsync(ct);
        var status = await reader.ReadAsync(ct) ? reader.GetString(0) : null;
        await reader.NextResultAsync(ct);
        return (status, await ReadWaitAsync(reader, ct));
    }

    private NpgsqlBatchCommand WaitCommand(Guid conversationId) =>
        Db.Batch("""
            with me as (select queue, rank, waiting_since from queue_entries where conversation_id = $1)
            select me.queue,
                   (select count(*) from queue_entries e
                    where e.queue = me.queue and (e.rank > me.rank or (e.rank = me.rank and e.waiting_since < me.waiting_since)))::int + 1,
                   (select extract(epoch from avg(r.stopped_at - r.started_at))::float8 from response_clocks r
                    where r.queue = me.queue and r.stop_reason = 'answered' and r.kind <> 'resolution' and r.stopped_at > $2),
                   (select count(*) from agents where status = 'available')::int
            from me
            """, conversationId, clock.GetUtcNow() - TimeSpan.FromDays(1));

    private static async Task<QueueWait?> ReadWaitAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        if (!await reader.ReadAsync(ct)) return null;
        var position = reader.GetInt32(1);
        TimeSpan? expected = reader.IsDBNull(2)
            ? null
            : TimeSpan.FromSeconds(reader.GetDouble(2) * position / Math.Max(1, reader.GetInt32(3)));
        return new QueueWait(reader.GetString(0), position, expected);
    }
}
