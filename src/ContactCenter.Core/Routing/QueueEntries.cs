using ContactCenter.Core.Channels;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Storage;
using Npgsql;

namespace ContactCenter.Core.Routing;

/// <summary>A conversation as routing sees it, read under its row lock.</summary>
internal sealed record LockedConversation(
    Guid Id, Guid CustomerId, Channel Channel, string Status, string? Queue, string? Assignee, int Priority,
    DateTimeOffset OpenedAt, DateTimeOffset? ClosedAt)
{
    public bool IsOpen => ClosedAt is null;
}

internal sealed record QueueEntry(Guid ConversationId, string Queue, int Priority, DateTimeOffset WaitingSince, DateTimeOffset EnteredAt, int StepsDone);

/// <summary>Row-level helpers shared by routing and response clocks, always inside the caller's transaction.</summary>
internal static class QueueEntries
{
    /// <summary>
    /// Locks the conversation for routing: its customer first (share, as every timeline write does), then the
    /// conversation row. Follows a merge to the surviving conversation; null when there is none. <c>no key update</c>:
    /// routing writers still take turns, but a webhook storing an event in the conversation (its foreign key check
    /// takes a key-share lock) no longer waits for a routing transaction to finish.
    /// </summary>
    public static Task<LockedConversation?> LockConversationAsync(NpgsqlConnection connection, Guid conversationId, CancellationToken ct) =>
        LockConversationAsync(connection, conversationId, null, ct);

    /// <param name="before">A write of the caller's that must take its lock first (a call's row), sent in the same round trip.</param>
    public static async Task<LockedConversation?> LockConversationAsync(
        NpgsqlConnection connection, Guid conversationId, NpgsqlBatchCommand? before, CancellationToken ct)
    {
        // The common case in one round trip: neither the conversation nor its customer merged. The customer's share
        // lock (the filter's subquery) comes before the conversation's row lock; a merge that commits while this
        // waits fails the re-checked conditions, and the path below follows it.
        await using (var fast = new NpgsqlBatch(connection))
        {
            if (before is not null) fast.BatchCommands.Add(before);
            fast.BatchCommands.Add(Db.Batch("""
                with cust as (
                    select id from customers
                    where id = (select customer_id from conversations where id = $1 and merged_into is null) and merged_into is null
                    for share)
                select id, customer_id, channel, status, queue, assignee, priority, opened_at, closed_at
                from conversations where id = $1 and merged_into is null and customer_id = (select id from cust)
                for no key update
                """, conversationId));
            await using var reader = await fast.ExecuteReaderAsync(ct);
            if (await ReadLockedAsync(reader, ct) is { } locked) return locked;
        }

        if (await ConversationStore.LockForAppendAsync(connection, conversationId, ct) is not { } endpoint) return null;
        await using var command = connection.Sql("""
            select id, customer_id, channel, status, queue, assignee, priority, opened_at, closed_at
            from conversations where id = $1 for no key update
            """, endpoint.ConversationId);
        return await ReadLockedAsync(command, ct);
    }

    private static async Task<LockedConversation?> ReadLockedAsync(NpgsqlCommand command, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await ReadLockedAsync(reader, ct);
    }

    private static async Task<LockedConversation?> ReadLockedAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        if (!await reader.ReadAsync(ct)) return null;
        return new LockedConversation(reader.GetGuid(0), reader.GetGuid(1), ChannelNames.Parse(reader.GetString(2)), reader.GetString(3),
            reader.Nullable<string>(4), reader.Nullable<string>(5), reader.GetInt32(6), reader.Instant(7), reader.NullableInstant(8));
    }

    public static async Task<QueueEntry?> GetAsync(NpgsqlConnection connection, Guid conversationId, CancellationToken ct)
    {
        await using var command = connection.Sql(
            "select conversation_id, queue, priority, waiting_since, entered_at, steps_done from queue_entries where conversation_id = $1",
            conversationId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new QueueEntry(reader.GetGuid(0), reader.GetString(1), reader.GetInt32(2), reader.Instant(3), reader.Instant(4), reader.GetInt32(5))
            : null;
    }

    /// <summary>Puts the conversation in the queue, or moves it there: steps start over; its waiting time is kept
    /// when <paramref name="waitingSince"/> is null. <paramref name="now"/> must be cut to microseconds (step jobs compare it).</summary>
    public static async Task PlaceAsync(
        NpgsqlConnection connection, LockedConversation conversation, RoutingQueue queue, int priority, DateTimeOffset? waitingSince,
        string reason, DateTimeOffset now, CancellationToken ct)
    {
        var steps = queue.Definition.Steps;
        DateTimeOffset? nextStep = steps.Count > 0 ? now + steps[0].After : null;
        // One round trip: the entry, the conversation's status, and the wake-up for assignment.
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                Db.Batch("""
                    insert into queue_entries (conversation_id, queue, channel, bucket, priority, rank, waiting_since, entered_at, steps_done, next_step_at, reason)
                    values ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10)
                    on conflict (conversation_id) do update set
                        queue = excluded.queue, priority = excluded.priority, rank = excluded.rank,
                        waiting_since = case when $11 then excluded.waiting_since else queue_entries.waiting_since end,
                        entered_at = excluded.entered_at, skill_level_cap = null, steps_done = 0, next_step_at = excluded.next_step_at,
                        reason = excluded.reason
                    """,
                    conversation.Id, queue.Name, conversation.Channel.ToName(), CapacityBuckets.For(conversation.Channel), priority,
                    priority + queue.Definition.Priority, waitingSince ?? now, now, Db.Timestamp(nextStep), reason, waitingSince is not null),
                Db.Batch("update conversations set status = $2, queue = $3, assignee = null, priority = $4 where id = $1",
                    conversation.Id, ConversationStatus.Queued, queue.Name, priority),
                Db.Batch("select pg_notify($1, '')", RoutingSignals.RoutingChannel),
            },
        };
        await batch.ExecuteNonQueryAsync(ct);
    }

    public static async Task<bool> RemoveAsync(NpgsqlConnection connection, Guid conversationId, CancellationToken ct) =>
        await connection.Sql("delete from queue_entries where conversation_id = $1", conversationId).ExecuteNonQueryAsync(ct) > 0;

    /// <summary>Open conversations assigned to the agent in the bucket, counted under the caller's lock on the agent row.</summary>
    public static async Task<int> LoadAsync(NpgsqlConnection connection, string agentId, string bucket, CancellationToken ct)
    {
        await using var command = connection.Sql($"""
            select count(*)::int from conversations
            where assignee = $1 and closed_at is null and {AgentStore.BucketSql} = $2
            """, agentId, bucket);
        return (int)(await command.ExecuteScalarAsync(ct))!;
    }
}
