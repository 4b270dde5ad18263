using ContactCenter.Core.Conversations;
using ContactCenter.Core.Reactions;
using ContactCenter.Core.ResponseTargets;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Timeline;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Core.Routing;

/// <summary>
/// What routing and response clocks do after an event is stored (at least once, in any order across
/// instances; each run locks the conversation row, so runs for one conversation take turns):
/// <list type="bullet">
/// <item>a customer message on a new conversation queues it in the channel's default queue, unless the
/// channel does not auto-queue or the bot took it: the bot's reaction runs first (<see cref="ITimelineReaction.Order"/>)
/// and keeps a <c>bot_conversations</c> row for every conversation it serves;</item>
/// <item>messages, answers, <c>call.queued</c> and <c>call.connected</c> start and stop response clocks
/// (<see cref="ResponseClocks.ReconcileAsync"/> reads the timeline, so the order of runs does not matter);</item>
/// <item>a resolved or merged-away conversation leaves its queue, its clocks stop, its agent gets room.</item>
/// </list>
/// </summary>
public sealed class RoutingReaction(
    NpgsqlDataSource db,
    RoutingEngine engine,
    ResponseClocks clocks,
    IOptions<RoutingOptions> options,
    TimeProvider clock) : ITimelineReaction
{
    public static readonly string[] Types =
    [
        TimelineEventTypes.MessageReceived,
        TimelineEventTypes.MessageSent,
        TimelineEventTypes.CallQueued,
        TimelineEventTypes.CallConnected,
        TimelineEventTypes.ConversationResolved,
        TimelineEventTypes.CustomerMerged,
    ];

    public IReadOnlySet<string> EventTypes { get; } = Types.ToHashSet();

    public async Task ReactAsync(TimelineEvent timelineEvent, CancellationToken ct)
    {
        if (timelineEvent.Type == TimelineEventTypes.CustomerMerged)
        {
            await CleanUpMergedAsync(timelineEvent.CustomerId, ct);
            return;
        }

        if (timelineEvent.ConversationId is { } conversationId) await ReactToConversationAsync(conversationId, timelineEvent, ct);
    }

    private async Task ReactToConversationAsync(Guid conversationId, TimelineEvent timelineEvent, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToMicroseconds();
        var after = new RoutingEngine.AfterCommit();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (await QueueEntries.LockConversationAsync(connection, conversationId, ct) is not { } conversation) return;

        if (!conversation.IsOpen)
        {
            await ReleaseAsync(connection, conversation, ct);
        }
        else if (timelineEvent.Type == TimelineEventTypes.MessageReceived && conversation.Status == ConversationStatus.Open
                 && options.Value.AutoQueues(conversation.Channel) && !await BotServesAsync(connection, conversation.Id, ct))
        {
            var queue = await QueueStore.EnsureAsync(connection, options.Value.QueueFor(conversation.Channel), now, ct);
            // Waiting since the customer's message, not since this reaction ran: a reaction retried late, or run
            // beside others, must not lose the conversation its place in line (assignment waits for earlier messages).
            var since = timelineEvent.OccurredAt < now ? timelineEvent.OccurredAt : now;
            await engine.EnqueueInTxAsync(connection, conversation, queue, null, "new conversation", waitingSince: since, now, after, ct);
        }
        else
        {
            var queue = conversation.Queue is null ? null : await QueueStore.GetAsync(connection, conversation.Queue, ct);
            after.Clocks.AddRange(await clocks.ReconcileAsync(connection, conversation, queue, null, ct));
        }

        await tx.CommitAsync(ct);
        engine.Schedule(after);
    }

    /// <summary>The bot answered this conversation (its reaction ran before this one): it hands it over itself.</summary>
    private static async Task<bool> BotServesAsync(NpgsqlConnection connection, Guid conversationId, CancellationToken ct) =>
        await connection.Sql("select exists (select 1 from bot_conversations where conversation_id = $1)", conversationId)
            .ExecuteScalarAsync(ct) is true;

    /// <summary>A closed conversation: out of its queue, clocks stopped, its agent idle from now and given room.</summary>
    private async Task ReleaseAsync(NpgsqlConnection connection, LockedConversation conversation, CancellationToken ct)
    {
        await QueueEntries.RemoveAsync(connection, conversation.Id, ct);
        await clocks.ReconcileAsync(connection, conversation, null, null, ct);
        if (conversation.Assignee is { } agent)
            await connection.Sql("update agents set idle_since = greatest(idle_since, $2) where id = $1", agent, conversation.ClosedAt!.Value)
                .ExecuteNonQueryAsync(ct);
        await RoutingSignals.WakeRoutingAsync(connection, ct);
        await RoutingEngine.Live(connection, "conversation.closed", conversation.Id, conversation.Queue, conversation.Assignee, ct);
    }

    /// <summary>Conversations a merge folded into others are closed: release them like resolved ones.</summary>
    private async Task CleanUpMergedAsync(Guid customerId, CancellationToken ct)
    {
        var folded = new List<Guid>();
        await using (var connection = await db.OpenConnectionAsync(ct))
        await using (var command = connection.Sql("""
            select c.id from conversations c
            where c.customer_id = $1 and c.merged_into is not null
              and (exists (select 1 from queue_entries e where e.conversation_id = c.id)
                   or exists (select 1 from response_clocks r where r.conversation_id = c.id and r.stopped_at is null))
            """, customerId))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) folded.Add(reader.GetGuid(0));
        }

        foreach (var id in folded)
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            await using var tx = await connection.BeginTransactionAsync(ct);
            // Lock the survivor's customer (as every write does), then the folded conversation itself.
            await ConversationStore.LockForAppendAsync(connection, id, ct);
            await connection.Sql("select 1 from conversations where id = $1 for update", id).ExecuteNonQueryAsync(ct);
            await QueueEntries.RemoveAsync(connection, id, ct);
            await connection.Sql("""
                update response_clocks r set stopped_at = greatest(c.closed_at, r.started_at), stop_reason = 'closed', next_check_at = null, lease_until = null
                from conversations c where c.id = r.conversation_id and r.conversation_id = $1 and r.stopped_at is null
                """, id).ExecuteNonQueryAsync(ct);
            await RoutingSignals.WakeRoutingAsync(connection, ct);
            await tx.CommitAsync(ct);
        }
    }
}
