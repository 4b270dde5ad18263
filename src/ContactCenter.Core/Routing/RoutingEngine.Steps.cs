using System.Text.Json.Nodes;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Timeline;
using Hangfire;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ContactCenter.Core.Routing;

/// <summary>Queue steps ("after 60 s accept skill level 1", "after 120 s overflow to X"), overflow, requeueing.</summary>
public sealed partial class RoutingEngine
{
    /// <summary>After the commit: a Hangfire job per queue step, and (Hangfire mode) the clocks' checks.</summary>
    internal void Schedule(AfterCommit after)
    {
        clocks.Schedule(after.Clocks);
        var now = clock.GetUtcNow();
        foreach (var (conversationId, queue, enteredAt) in after.Steps)
        {
            var steps = queue.Definition.Steps;
            for (var i = 0; i < steps.Count; i++)
            {
                var index = i;
                jobs.Schedule<RoutingEngine>(e => e.RunStepAsync(conversationId, queue.Name, enteredAt, index, CancellationToken.None),
                    enteredAt + steps[i].After - now);
            }
        }
    }

    /// <summary>
    /// The Hangfire job of one queue step. Does nothing when the conversation left the queue, entered it again
    /// since (<paramref name="enteredAt"/> differs), or the step already ran; runs earlier steps a lost job skipped.
    /// </summary>
    public async Task RunStepAsync(Guid conversationId, string queueName, DateTimeOffset enteredAt, int stepIndex, CancellationToken ct)
    {
        var now = Now();
        var after = new AfterCommit();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (await QueueEntries.LockConversationAsync(connection, conversationId, ct) is not { IsOpen: true } conversation) return;
        if (await QueueEntries.GetAsync(connection, conversation.Id, ct) is not { } entry
            || entry.Queue != queueName || entry.EnteredAt != enteredAt.ToMicroseconds() || entry.StepsDone > stepIndex) return;
        if (await QueueStore.GetAsync(connection, queueName, ct) is not { } queue) return;

        var steps = queue.Definition.Steps;
        for (var i = entry.StepsDone; i <= stepIndex && i < steps.Count; i++)
        {
            var step = steps[i];
            DateTimeOffset? next = i + 1 < steps.Count ? entry.EnteredAt + steps[i + 1].After : null;
            if (step.AcceptSkillLevel is { } level)
            {
                await connection.Sql("""
                    update queue_entries set skill_level_cap = least(coalesce(skill_level_cap, $2), $2), steps_done = $3, next_step_at = $4
                    where conversation_id = $1
                    """, conversation.Id, level, i + 1, Db.Timestamp(next)).ExecuteNonQueryAsync(ct);
                await RoutingSignals.WakeRoutingAsync(connection, ct);
                LogSkillRelaxed(conversation.Id, queueName, level);
            }
            else if (step.OverflowTo is { } to)
            {
                await OverflowInTxAsync(connection, conversation, queueName, to, $"step {i + 1}: after {step.After}", now, after, ct);
                break; // the new queue's own steps take over
            }
        }

        await tx.CommitAsync(ct);
        Schedule(after);
    }

    /// <summary>Moves a waiting conversation to another queue, keeping its place by waiting time.</summary>
    internal async Task OverflowInTxAsync(
        NpgsqlConnection connection, LockedConversation conversation, string fromQueue, string toQueue, string reason,
        DateTimeOffset now, AfterCommit after, CancellationToken ct)
    {
        var target = await QueueStore.EnsureAsync(connection, toQueue, now, ct);
        await QueueEntries.PlaceAsync(connection, conversation, target, conversation.Priority, waitingSince: null, reason, now, ct);
        await RoutingTimeline.AppendAsync(timeline, connection, conversation, TimelineEventTypes.ConversationOverflowed,
            new JsonObject { ["from"] = fromQueue, ["to"] = toQueue, ["reason"] = reason }, now, ct);
        after.Steps.Add((conversation.Id, target, now));
        await Live(connection, "conversation.overflowed", conversation.Id, toQueue, null, ct);
        LogOverflowed(conversation.Id, fromQueue, toQueue, reason);
    }

    /// <summary>Runs steps whose Hangfire job is overdue (lost in a crash between commit and scheduling).</summary>
    public async Task<int> RunOverdueStepsAsync(TimeSpan grace, CancellationToken ct)
    {
        var overdue = new List<(Guid, string, DateTimeOffset, int)>();
        await using (var connection = await db.OpenConnectionAsync(ct))
        await using (var command = connection.Sql("""
            select conversation_id, queue, entered_at, steps_done from queue_entries
            where next_step_at <= $1 order by next_step_at limit 100
            """, clock.GetUtcNow() - grace))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) overdue.Add((reader.GetGuid(0), reader.GetString(1), reader.Instant(2), reader.GetInt32(3)));
        }

        foreach (var (conversationId, queue, enteredAt, step) in overdue)
            await RunStepAsync(conversationId, queue, enteredAt, step, ct);
        return overdue.Count;
    }

    /// <summary>
    /// An agent who went offline leaves their open conversations: each goes back to its queue (the default
    /// queue when it had none), so customers are not left waiting on someone who is gone.
    /// </summary>
    public async Task<int> RequeueAgentAsync(string agentId, string by, CancellationToken ct)
    {
        var ids = new List<Guid>();
        await using (var connection = await db.OpenConnectionAsync(ct))
        await using (var command = connection.Sql("""
            select c.id from conversations c join agents a on a.id = c.assignee
            where c.assignee = $1 and c.closed_at is null and a.status = 'offline'
            """, agentId))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) ids.Add(reader.GetGuid(0));
        }

        var moved = 0;
        foreach (var id in ids)
        {
            var now = Now();
            var after = new AfterCommit();
            await using var connection = await db.OpenConnectionAsync(ct);
            await using var tx = await connection.BeginTransactionAsync(ct);
            if (await QueueEntries.LockConversationAsync(connection, id, ct) is not { IsOpen: true } conversation || conversation.Assignee != agentId)
                continue;
            var queue = await QueueStore.EnsureAsync(connection, conversation.Queue ?? _options.QueueFor(conversation.Channel), now, ct);
            var from = new JsonObject { ["agentId"] = agentId, ["queue"] = conversation.Queue };
            await MoveToQueueInTxAsync(connection, conversation, queue, from, by, "agent offline", now, after, ct);
            await tx.CommitAsync(ct);
            Schedule(after);
            moved++;
        }

        return moved;
    }

    /// <summary>Sweep: conversations still assigned to agents who are offline (a requeue interrupted by a crash).</summary>
    public async Task<int> RequeueOfflineAgentsAsync(CancellationToken ct)
    {
        var agents = new List<string>();
        await using (var connection = await db.OpenConnectionAsync(ct))
        await using (var command = connection.Sql("""
            select distinct c.assignee from conversations c join agents a on a.id = c.assignee
            where c.closed_at is null and a.status = 'offline'
            """))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) agents.Add(reader.GetString(0));
        }

        var moved = 0;
        foreach (var agent in agents) moved += await RequeueAgentAsync(agent, "routing", ct);
        return moved;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Conversation {ConversationId} in {Queue} now accepts skill level {Level}")]
    private partial void LogSkillRelaxed(Guid conversationId, string queue, int level);

    [LoggerMessage(Level = LogLevel.Information, Message = "Conversation {ConversationId} overflowed from {From} to {To} ({Reason})")]
    private partial void LogOverflowed(Guid conversationId, string from, string to, string reason);
}
