using System.Text.Json.Nodes;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.ResponseTargets;
using ContactCenter.Core.Routing;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Timeline;
using Npgsql;

namespace ContactCenter.Core.Bot;

/// <summary>Where a waiting customer stands: place in line and the expected wait.</summary>
public sealed record WaitEstimate(int Position, TimeSpan ExpectedWait, string Queue);

/// <summary>
/// The routing side of handing a conversation between the bot and people: the context and
/// <c>handoff.to_agent</c> go in with the conversation's lock, then <see cref="RoutingEngine.EnqueueAsync"/>
/// queues it; handing back takes it out of its queue (or from its agent) under the same lock.
/// </summary>
public sealed class Handoffs(NpgsqlDataSource db, TimelineStore timeline, RoutingEngine routing, TimeProvider clock)
{
    /// <summary>Stores the context, records <c>handoff.to_agent</c> (once per handoff) and queues the conversation.</summary>
    public async Task<RoutingOutcome> ToAgentAsync(Guid conversationId, int handoff, JsonObject context, HandoffRequest request, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using (var connection = await db.OpenConnectionAsync(ct))
        await using (var tx = await connection.BeginTransactionAsync(ct))
        {
            if (await ConversationStore.LockForAppendAsync(connection, conversationId, ct) is not { } target)
                return new RoutingOutcome.NotFound($"No conversation {conversationId}.");
            await connection.Sql("update conversations set handoff = $2 where id = $1", target.ConversationId, Db.Jsonb(context.ToJsonString()))
                .ExecuteNonQueryAsync(ct);
            await timeline.AppendAsync(connection, new NewTimelineEvent
            {
                CustomerId = target.CustomerId,
                ConversationId = target.ConversationId,
                Channel = target.Channel,
                Type = TimelineEventTypes.HandoffToAgent,
                Direction = Direction.Internal,
                OccurredAt = now,
                Text = context["summary"]?.GetValue<string>(),
                DedupeKey = $"handoff:{target.ConversationId}:{handoff}",
                Data = new JsonObject
                {
                    ["queue"] = request.Queue, ["reason"] = request.Reason, ["trigger"] = request.Trigger, ["priority"] = request.Priority,
                    ["intent"] = context["intent"]?.DeepClone(), ["node"] = request.Node,
                },
            }, now, ct);
            await tx.CommitAsync(ct);
        }

        return await routing.EnqueueAsync(conversationId, request.Queue, request.Priority, request.Reason ?? request.Trigger, ct);
    }

    /// <summary>
    /// Takes the conversation from routing for the bot: out of its queue, away from its agent (who gets the
    /// room back), response clocks stopped; records <c>handoff.to_bot</c>. Null when the conversation is closed.
    /// </summary>
    public async Task<long?> ToBotAsync(Guid conversationId, string node, string by, string reason, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToMicroseconds();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (await QueueEntries.LockConversationAsync(connection, conversationId, ct) is not { IsOpen: true } conversation) return null;
        var queued = await QueueEntries.RemoveAsync(connection, conversation.Id, ct);
        if (conversation.Assignee is { } agent)
            await connection.Sql("update agents set idle_since = $2 where id = $1", agent, now).ExecuteNonQueryAsync(ct);
        // The queue stays on the conversation as the last one it was in (the IVR and reports read it).
        await connection.Sql("update conversations set status = $2, assignee = null where id = $1", conversation.Id, ConversationStatus.Bot)
            .ExecuteNonQueryAsync(ct);
        await ResponseClocks.StopAsync(connection, conversation.Id, response: true, now, null, "bot", ct);
        var id = await timeline.AppendAsync(connection, new NewTimelineEvent
        {
            CustomerId = conversation.CustomerId,
            ConversationId = conversation.Id,
            Channel = conversation.Channel,
            Type = TimelineEventTypes.HandoffToBot,
            Direction = Direction.Internal,
            OccurredAt = now,
            Data = new JsonObject
            {
                ["node"] = node, ["by"] = by, ["reason"] = reason, ["fromAgent"] = conversation.Assignee, ["queue"] = conversation.Queue,
                ["wasWaiting"] = queued,
            },
        }, now, ct);
        await RoutingSignals.WakeRoutingAsync(connection, ct);
        await RoutingEngine.Live(connection, "conversation.to_bot", conversation.Id, conversation.Queue, conversation.Assignee, ct);
        await tx.CommitAsync(ct);
        return id;
    }

    /// <summary>The bot owns a new conversation: shown as <c>bot</c> until it is handed off or resolved.</summary>
    public async Task MarkBotAsync(Guid conversationId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.Sql("update conversations set status = $2 where id = $1 and status = $3 and closed_at is null",
            conversationId, ConversationStatus.Bot, ConversationStatus.Open).ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Place in line (by rank, then waiting time, as agents are served) and the expected wait: the queue's
    /// average wait over the last day when it has one, else <paramref name="perPosition"/> for each place.
    /// </summary>
    public async Task<WaitEstimate?> EstimateAsync(Guid conversationId, TimeSpan perPosition, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql("""
            with me as (select queue, rank, waiting_since from queue_entries where conversation_id = $1)
            select me.queue,
                   (select count(*)::int from queue_entries e where e.queue = me.queue
                      and (e.rank > me.rank or (e.rank = me.rank and e.waiting_since < me.waiting_since))) + 1,
                   (select avg(extract(epoch from (a.occurred_at - q.occurred_at)))::float8
                    from timeline_events a
                    join lateral (select occurred_at from timeline_events q where q.conversation_id = a.conversation_id
                                  and q.type = 'conversation.queued' and q.id < a.id order by q.id desc limit 1) q on true
                    where a.type = 'conversation.assigned' and a.data->>'queue' = me.queue and a.occurred_at >= $2)
            from me
            """, conversationId, clock.GetUtcNow() - TimeSpan.FromDays(1));
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        var position = reader.GetInt32(1);
        var wait = reader.IsDBNull(2) ? perPosition * position : TimeSpan.FromSeconds(reader.GetDouble(2) * position);
        return new WaitEstimate(position, wait, reader.GetString(0));
    }
}
