using System.Text.Json.Nodes;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.ResponseTargets;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Timeline;
using Hangfire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Core.Routing;

public abstract record RoutingOutcome
{
    /// <param name="Changed">False when the conversation already was where it was asked to go.</param>
    public sealed record Done(Conversation Conversation, bool Changed) : RoutingOutcome;
    public sealed record NotFound(string Detail) : RoutingOutcome;
    /// <summary>The request cannot be done in the current state (409).</summary>
    public sealed record Refused(string Code, string Title, string Detail) : RoutingOutcome;
    /// <summary>The conversation is another agent's (<see cref="ConversationAccess"/>): 409 naming them.</summary>
    public sealed record NotYours(NotOwner Owner) : RoutingOutcome;
}

/// <summary>Where a transfer sends a conversation: a queue, or straight to an agent.</summary>
public sealed record TransferTarget(string? Queue, string? AgentId);

/// <summary>
/// Puts conversations into queues and moves them between queues and agents. The one entry other features
/// call is <see cref="EnqueueAsync"/> (the IVR for a call, the bot on handoff). Automatic assignment is done
/// by <see cref="AssignmentPass"/>, woken by the notifications these changes send.
/// </summary>
public sealed partial class RoutingEngine(
    NpgsqlDataSource db,
    TimelineStore timeline,
    ConversationStore conversations,
    ResponseClocks clocks,
    IOptions<RoutingOptions> options,
    IBackgroundJobClient jobs,
    TimeProvider clock,
    ILogger<RoutingEngine> log)
{
    private readonly RoutingOptions _options = options.Value;

    /// <summary>Work that can only start after the commit: Hangfire jobs for queue steps and (Hangfire mode) clocks.</summary>
    internal sealed class AfterCommit
    {
        public List<StartedClock> Clocks { get; } = [];
        public List<(Guid Conversation, RoutingQueue Queue, DateTimeOffset EnteredAt)> Steps { get; } = [];
    }

    private DateTimeOffset Now() => clock.GetUtcNow().ToMicroseconds();

    /// <summary>
    /// Puts the conversation into <paramref name="queue"/> (created with defaults when unknown) so the next
    /// eligible agent gets it; moves it when it waits in another queue. The customer's wait starts a response
    /// clock (see <see cref="ResponseClocks"/>). A conversation already with an agent is refused (transfer it).
    /// </summary>
    public async Task<RoutingOutcome> EnqueueAsync(Guid conversationId, string queue, int? priority, string reason, CancellationToken ct)
    {
        if (!RoutingValidation.IsName(queue)) return new RoutingOutcome.NotFound($"'{queue}' is not a queue name.");
        var after = new AfterCommit();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var locked = await QueueEntries.LockConversationAsync(connection, conversationId, ct);
        var placed = await EnqueueInTxAsync(connection, locked, conversationId, queue, priority, reason, Now(), after, ct);
        if (placed.Refusal is { } refusal) return refusal;
        await tx.CommitAsync(ct);
        Schedule(after);
        return new RoutingOutcome.Done((await conversations.GetAsync(placed.ConversationId, ct))!, placed.Changed);
    }

    /// <summary>
    /// <see cref="EnqueueAsync"/> in the caller's transaction, with the caller's other writes (a call joining a
    /// queue): <paramref name="locked"/> is the conversation as <see cref="QueueEntries.LockConversationAsync"/>
    /// locked it (null: none). The caller commits, then <see cref="Schedule"/>s <paramref name="after"/>.
    /// </summary>
    internal async Task<Placement> EnqueueInTxAsync(
        NpgsqlConnection connection, LockedConversation? locked, Guid conversationId, string queue, int? priority, string reason,
        DateTimeOffset now, AfterCommit after, CancellationToken ct)
    {
        if (!RoutingValidation.IsName(queue)) return Placement.Refused(new RoutingOutcome.NotFound($"'{queue}' is not a queue name."));
        if (locked is not { } conversation) return Placement.Refused(new RoutingOutcome.NotFound($"No conversation {conversationId}."));
        if (Unroutable(conversation) is { } refused) return Placement.Refused(refused);
        var target = await QueueStore.EnsureAsync(connection, queue, now, ct);
        var changed = await EnqueueInTxAsync(connection, conversation, target, priority, reason, waitingSince: now, now, after, ct);
        // Unchanged means it already waited there with this priority, which is the conversation's own.
        return new Placement(null, conversation.Id, target.Name, priority ?? conversation.Priority, changed);
    }

    /// <summary>Where <see cref="EnqueueInTxAsync(NpgsqlConnection, LockedConversation?, Guid, string, int?, string, DateTimeOffset, AfterCommit, CancellationToken)"/>
    /// put the conversation, or why it did not.</summary>
    internal sealed record Placement(RoutingOutcome? Refusal, Guid ConversationId, string Queue, int Priority, bool Changed)
    {
        public static Placement Refused(RoutingOutcome refusal) => new(refusal, Guid.Empty, "", 0, false);
    }

    private static RoutingOutcome.Refused? Unroutable(LockedConversation conversation)
    {
        if (!conversation.IsOpen)
            return new RoutingOutcome.Refused("conversation-closed", "Conversation closed", $"Conversation {conversation.Id} is {conversation.Status}.");
        if (conversation.Assignee is { } agent)
            return new RoutingOutcome.Refused("already-assigned", "Already assigned",
                $"Conversation {conversation.Id} is with agent {agent}; transfer it instead.");
        return null;
    }

    /// <returns>False when it already waited in that queue with that priority.</returns>
    internal async Task<bool> EnqueueInTxAsync(
        NpgsqlConnection connection, LockedConversation conversation, RoutingQueue queue, int? priority, string reason,
        DateTimeOffset waitingSince, DateTimeOffset now, AfterCommit after, CancellationToken ct)
    {
        var existing = await QueueEntries.GetAsync(connection, conversation.Id, ct);
        if (existing is not null && existing.Queue == queue.Name && (priority is null || priority == existing.Priority)) return false;
        var effective = priority ?? conversation.Priority;
        await QueueEntries.PlaceAsync(connection, conversation, queue, effective, existing is null ? waitingSince : null, reason, now, ct);
        var data = new JsonObject { ["queue"] = queue.Name, ["priority"] = effective, ["reason"] = reason };
        if (existing is not null) data["from"] = existing.Queue;
        var queued = await RoutingTimeline.AppendAsync(timeline, connection, conversation, TimelineEventTypes.ConversationQueued, data, now, ct);
        var placed = conversation with { Status = ConversationStatus.Queued, Queue = queue.Name, Assignee = null, Priority = effective };
        after.Clocks.AddRange(await clocks.ReconcileAsync(connection, placed, queue, (queued, now), ct));
        after.Steps.Add((conversation.Id, queue, now));
        await Live(connection, "conversation.queued", conversation.Id, queue.Name, null, ct);
        LogQueued(conversation.Id, queue.Name, reason);
        return true;
    }

    /// <summary>
    /// Gives the conversation to an agent by hand (an agent taking it, a supervisor handing it out). Skills are
    /// not checked (a person decided), capacity always is; an offline agent cannot take conversations.
    /// </summary>
    public async Task<RoutingOutcome> AssignAsync(Guid conversationId, string agentId, string by, CancellationToken ct)
    {
        var now = Now();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (await QueueEntries.LockConversationAsync(connection, conversationId, ct) is not { } conversation)
            return new RoutingOutcome.NotFound($"No conversation {conversationId}.");
        if (conversation.IsOpen && conversation.Assignee == agentId)
            return new RoutingOutcome.Done((await conversations.GetAsync(conversation.Id, ct))!, Changed: false);
        if (Unroutable(conversation) is { } refused) return refused;
        if (await LockAgentsAsync(connection, conversation, agentId, null, ct) is { } problem) return problem;

        await QueueEntries.RemoveAsync(connection, conversation.Id, ct);
        await AssignInTxAsync(connection, conversation, agentId, conversation.Queue, by, now, ct);
        await tx.CommitAsync(ct);
        return new RoutingOutcome.Done((await conversations.GetAsync(conversation.Id, ct))!, Changed: true);
    }

    /// <summary>
    /// Moves the conversation to another queue or straight to an agent (who must have room). The agent it
    /// leaves gets the capacity back at once. <paramref name="actor"/> must be allowed to act on it
    /// (<see cref="ConversationAccess"/>); <paramref name="expectedAssignee"/> (the service moving a conversation
    /// away from one agent, e.g. a call they did not answer) is checked under the lock too.
    /// </summary>
    public async Task<RoutingOutcome> TransferAsync(
        Guid conversationId, TransferTarget target, ConversationActor actor, string? reason, CancellationToken ct, string? expectedAssignee = null)
    {
        var now = Now();
        var after = new AfterCommit();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (await QueueEntries.LockConversationAsync(connection, conversationId, ct) is not { } conversation)
            return new RoutingOutcome.NotFound($"No conversation {conversationId}.");
        if (!conversation.IsOpen)
            return new RoutingOutcome.Refused("conversation-closed", "Conversation closed", $"Conversation {conversation.Id} is {conversation.Status}.");
        if (await ConversationAccess.CheckAsync(connection, conversation.Id, conversation.Assignee, actor, ct) is { } notOwner)
            return new RoutingOutcome.NotYours(notOwner);
        if (expectedAssignee is not null && conversation.Assignee != expectedAssignee)
            return new RoutingOutcome.Refused("not-assignee", "Not with that agent",
                $"Conversation {conversation.Id} is no longer with agent {expectedAssignee}.");

        var from = new JsonObject { ["agentId"] = conversation.Assignee, ["queue"] = conversation.Queue };
        if (target.AgentId is { } agentId)
        {
            if (agentId == conversation.Assignee)
                return new RoutingOutcome.Done((await conversations.GetAsync(conversation.Id, ct))!, Changed: false);
            if (await MoveToAgentInTxAsync(connection, conversation, agentId, TimelineEventTypes.ConversationTransferred, actor.Id, reason, now, ct)
                is { } problem) return problem;
        }
        else
        {
            if (await QueueStore.GetAsync(connection, target.Queue!, ct) is not { } queue)
                return new RoutingOutcome.NotFound($"No queue '{target.Queue}'.");
            await MoveToQueueInTxAsync(connection, conversation, queue, from, actor.Id, reason ?? "transfer", now, after, ct);
        }

        await tx.CommitAsync(ct);
        Schedule(after);
        return new RoutingOutcome.Done((await conversations.GetAsync(conversation.Id, ct))!, Changed: true);
    }

    /// <summary>
    /// The agent takes the conversation over from whoever has it (or out of its queue): the same capacity and
    /// status rules as a transfer to them, with <c>conversation.taken_over</c> (from, to) on the timeline.
    /// </summary>
    public async Task<RoutingOutcome> TakeoverAsync(Guid conversationId, string agentId, string? reason, CancellationToken ct)
    {
        var now = Now();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (await QueueEntries.LockConversationAsync(connection, conversationId, ct) is not { } conversation)
            return new RoutingOutcome.NotFound($"No conversation {conversationId}.");
        if (!conversation.IsOpen)
            return new RoutingOutcome.Refused("conversation-closed", "Conversation closed", $"Conversation {conversation.Id} is {conversation.Status}.");
        if (conversation.Assignee == agentId)
            return new RoutingOutcome.Done((await conversations.GetAsync(conversation.Id, ct))!, Changed: false);
        if (await MoveToAgentInTxAsync(connection, conversation, agentId, TimelineEventTypes.ConversationTakenOver, agentId, reason, now, ct)
            is { } problem) return problem;
        await tx.CommitAsync(ct);
        return new RoutingOutcome.Done((await conversations.GetAsync(conversation.Id, ct))!, Changed: true);
    }

    /// <summary>
    /// Changes the conversation's priority (its owner or a supervisor): a waiting one moves in its queue at once;
    /// <c>conversation.priority_changed</c> (from, to) on the timeline.
    /// </summary>
    public async Task<RoutingOutcome> SetPriorityAsync(Guid conversationId, int priority, ConversationActor actor, CancellationToken ct)
    {
        var now = Now();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (await QueueEntries.LockConversationAsync(connection, conversationId, ct) is not { } conversation)
            return new RoutingOutcome.NotFound($"No conversation {conversationId}.");
        if (await ConversationAccess.CheckAsync(connection, conversation.Id, conversation.Assignee, actor, ct) is { } notOwner)
            return new RoutingOutcome.NotYours(notOwner);
        if (conversation.Priority == priority) return new RoutingOutcome.Done((await conversations.GetAsync(conversation.Id, ct))!, Changed: false);
        await connection.Sql("update conversations set priority = $2 where id = $1", conversation.Id, priority).ExecuteNonQueryAsync(ct);
        await connection.Sql("""
            update queue_entries e set priority = $2, rank = $2 + q.priority from routing_queues q
            where e.conversation_id = $1 and q.name = e.queue
            """, conversation.Id, priority).ExecuteNonQueryAsync(ct);
        await RoutingTimeline.AppendAsync(timeline, connection, conversation, TimelineEventTypes.ConversationPriorityChanged,
            new JsonObject { ["from"] = conversation.Priority, ["to"] = priority, ["by"] = actor.Id }, now, ct);
        await RoutingSignals.WakeRoutingAsync(connection, ct);
        await tx.CommitAsync(ct);
        return new RoutingOutcome.Done((await conversations.GetAsync(conversation.Id, ct))!, Changed: true);
    }

    /// <summary>
    /// Straight to an agent who has room (transfer, takeover): out of its queue, the agent it leaves gets capacity
    /// back, <paramref name="eventType"/> with from/to, then <c>conversation.assigned</c>. Null when done.
    /// </summary>
    private async Task<RoutingOutcome?> MoveToAgentInTxAsync(
        NpgsqlConnection connection, LockedConversation conversation, string agentId, string eventType, string by, string? reason,
        DateTimeOffset now, CancellationToken ct)
    {
        if (await LockAgentsAsync(connection, conversation, agentId, conversation.Assignee, ct) is { } problem) return problem;
        await QueueEntries.RemoveAsync(connection, conversation.Id, ct);
        if (conversation.Assignee is { } previous)
            await connection.Sql("update agents set idle_since = $2 where id = $1", previous, now).ExecuteNonQueryAsync(ct);
        var from = new JsonObject { ["agentId"] = conversation.Assignee, ["queue"] = conversation.Queue };
        await RoutingTimeline.AppendAsync(timeline, connection, conversation, eventType,
            new JsonObject { ["from"] = from, ["to"] = new JsonObject { ["agentId"] = agentId }, ["by"] = by, ["reason"] = reason }, now, ct);
        await AssignInTxAsync(connection, conversation, agentId, conversation.Queue, by, now, ct);
        return null;
    }

    /// <summary>Back into a queue (a transfer, an agent going offline): the agent it leaves gets capacity back.</summary>
    internal async Task MoveToQueueInTxAsync(
        NpgsqlConnection connection, LockedConversation conversation, RoutingQueue queue, JsonObject from, string by, string reason,
        DateTimeOffset now, AfterCommit after, CancellationToken ct)
    {
        var existing = await QueueEntries.GetAsync(connection, conversation.Id, ct);
        await QueueEntries.PlaceAsync(connection, conversation, queue, conversation.Priority, existing is null ? now : null, reason, now, ct);
        if (conversation.Assignee is { } previous)
            await connection.Sql("update agents set idle_since = $2 where id = $1", previous, now).ExecuteNonQueryAsync(ct);
        await Transferred(connection, conversation, from, new JsonObject { ["queue"] = queue.Name }, by, reason, now, ct);
        var placed = conversation with { Status = ConversationStatus.Queued, Queue = queue.Name, Assignee = null };
        after.Clocks.AddRange(await clocks.ReconcileAsync(connection, placed, queue, null, ct));
        after.Steps.Add((conversation.Id, queue, now));
    }

    private Task<long> Transferred(
        NpgsqlConnection connection, LockedConversation conversation, JsonObject from, JsonObject to, string by, string? reason,
        DateTimeOffset now, CancellationToken ct) =>
        RoutingTimeline.AppendAsync(timeline, connection, conversation, TimelineEventTypes.ConversationTransferred,
            new JsonObject { ["from"] = from, ["to"] = to, ["by"] = by, ["reason"] = reason }, now, ct);

    /// <summary>
    /// Locks the agent taking the conversation (and the one leaving it), in id order so two crossing transfers
    /// cannot deadlock, then checks status and capacity under the lock.
    /// </summary>
    private static async Task<RoutingOutcome?> LockAgentsAsync(
        NpgsqlConnection connection, LockedConversation conversation, string agentId, string? leaving, CancellationToken ct)
    {
        var ids = leaving is null ? new[] { agentId } : new[] { agentId, leaving }.Order(StringComparer.Ordinal).ToArray();
        string? status = null;
        var capacity = 0;
        var bucket = CapacityBuckets.For(conversation.Channel);
        await using (var command = connection.Sql("select id, status, capacity from agents where id = any($1) order by id for update", (object)ids))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                if (reader.GetString(0) != agentId) continue;
                status = reader.GetString(1);
                capacity = AgentStore.ParseLevels(reader.GetString(2)).GetValueOrDefault(bucket);
            }
        }

        if (status is null) return new RoutingOutcome.NotFound($"No agent '{agentId}'.");
        if (status == AgentStatus.Offline)
            return new RoutingOutcome.Refused("agent-offline", "Agent offline", $"Agent {agentId} is offline.");
        var load = await QueueEntries.LoadAsync(connection, agentId, bucket, ct);
        return load >= capacity
            ? new RoutingOutcome.Refused("agent-at-capacity", "Agent at capacity",
                $"Agent {agentId} already has {load} of {capacity} {bucket} conversations.")
            : null;
    }

    /// <summary>The conversation goes to the agent: status, assignee, idle time, <c>conversation.assigned</c>.</summary>
    internal async Task AssignInTxAsync(
        NpgsqlConnection connection, LockedConversation conversation, string agentId, string? queue, string by, DateTimeOffset now, CancellationToken ct)
    {
        await connection.Sql("update conversations set status = $2, assignee = $3 where id = $1",
            conversation.Id, ConversationStatus.Assigned, agentId).ExecuteNonQueryAsync(ct);
        await connection.Sql("update agents set idle_since = $2 where id = $1", agentId, now).ExecuteNonQueryAsync(ct);
        await RoutingTimeline.AppendAsync(timeline, connection, conversation, TimelineEventTypes.ConversationAssigned,
            new JsonObject { ["agentId"] = agentId, ["queue"] = queue, ["by"] = by }, now, ct);
        await Live(connection, "conversation.assigned", conversation.Id, queue, agentId, ct);
        LogAssigned(conversation.Id, agentId, queue);
    }

    internal static Task Live(NpgsqlConnection connection, string type, Guid conversationId, string? queue, string? agentId, CancellationToken ct) =>
        RoutingSignals.LiveAsync(connection, new JsonObject
        {
            ["type"] = type, ["conversationId"] = conversationId.ToString(), ["queue"] = queue, ["agentId"] = agentId,
        }, ct);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Conversation {ConversationId} queued in {Queue} ({Reason})")]
    private partial void LogQueued(Guid conversationId, string queue, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Conversation {ConversationId} assigned to {AgentId} from {Queue}")]
    private partial void LogAssigned(Guid conversationId, string agentId, string? queue);
}
