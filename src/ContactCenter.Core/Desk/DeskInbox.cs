using ContactCenter.Core.Channels;
using ContactCenter.Core.Storage;
using Npgsql;
using NpgsqlTypes;

namespace ContactCenter.Core.Desk;

/// <summary>Who is asking: an agent (their assignments and queues) or a supervisor (every queue).</summary>
/// <param name="Queues">The queues a scoped agent works (<see cref="Conversations.AccessScope"/>); null: no such limit.</param>
public sealed record InboxViewer(string? AgentId, bool Supervises, IReadOnlyList<string>? Queues = null);

public sealed record InboxFilter(string? Channel, string? Status, string? Queue, string? Tag);

/// <summary>One conversation in the inbox: enough to list it, sort it by its due clock and count what is unread.</summary>
public sealed record InboxItem(
    Guid Id,
    Guid CustomerId,
    string? CustomerName,
    Channel Channel,
    string Status,
    string? Queue,
    string? Assignee,
    int Priority,
    DateTimeOffset OpenedAt,
    DateTimeOffset? WaitingSince,
    string? ClockKind,
    DateTimeOffset? DueAt,
    string? LastText,
    string? LastType,
    DateTimeOffset? LastAt,
    int Unread,
    bool Mentioned,
    IReadOnlyList<string> Tags);

/// <param name="Mine">Assigned to the viewer.</param>
/// <param name="Waiting">Waiting in the viewer's queues that agents may pick from, the most urgent first (at most the limit).</param>
/// <param name="WaitingTotal">All waiting conversations in those queues.</param>
/// <param name="Mentions">Open conversations of others where a note mentions the viewer and they have not read it.</param>
public sealed record Inbox(
    IReadOnlyList<InboxItem> Mine, IReadOnlyList<InboxItem> Waiting, int WaitingTotal, IReadOnlyList<InboxItem> Mentions,
    IReadOnlyList<string> Queues, DateTimeOffset At);

/// <summary>The desk's inbox: read-only queries over conversations, queues, clocks, tags and read marks.</summary>
public sealed class DeskInbox(NpgsqlDataSource db, TimeProvider clock)
{
    public const int WaitingLimit = 100;

    // The viewer's queues: every queue for supervisors; else the ones agents may pick from whose skills they have.
    private const string MyQueues = """
        my_queues as (
            select q.name from routing_queues q
            where @supervises or ((@scope_queues::text[] is null or q.name = any(@scope_queues)) and q.agents_may_pick and not exists (
                select 1 from jsonb_each_text(q.required_skills) r
                where coalesce(((select skills from agents where id = @agent) ->> r.key)::int, 0) < r.value::int)))
        """;

    private const string Filters = """
        (@channel::text is null or c.channel = @channel) and (@status::text is null or c.status = @status)
        and (@queue::text is null or c.queue = @queue)
        and (@tag::text is null or exists (select 1 from conversation_tags t where t.conversation_id = c.id and t.tag = @tag))
        """;

    public async Task<Inbox> LoadAsync(InboxViewer viewer, InboxFilter filter, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var queues = new List<string>();
        await using (var command = Command(connection, $"with {MyQueues} select name from my_queues order by name", viewer, filter))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) queues.Add(reader.GetString(0));
        }

        var mine = viewer.AgentId is null ? [] : await ItemsAsync(connection, viewer, filter, $"""
            select c.id from conversations c where c.assignee = @agent and c.closed_at is null and {Filters}
            """, ct);
        var (waiting, waitingTotal) = await WaitingAsync(connection, viewer, filter, queues.ToArray(), ct);

        var mentions = viewer.AgentId is null ? [] : await ItemsAsync(connection, viewer, filter, $"""
            select distinct c.id from timeline_events n join conversations c on c.id = n.conversation_id
            left join desk_reads r on r.agent_id = @agent and r.conversation_id = c.id
            where n.type = 'note.added' and n.data -> 'mentions' ? @agent and n.id > coalesce(r.last_event_id, 0)
              and c.closed_at is null and c.assignee is distinct from @agent and {Filters}
              and (@scope_queues::text[] is null or (c.assignee is null and c.queue = any(@scope_queues)))
            limit 50
            """, ct);
        return new Inbox(Sorted(mine), Sorted(waiting), waitingTotal, Sorted(mentions), queues, clock.GetUtcNow());
    }

    /// <summary>
    /// The most urgent waiting conversations and how many wait. Walks running clocks in due order (an index) and stops
    /// once the page is full, instead of sorting every waiting conversation: a conversation has at most two running
    /// clocks, so twice the page's rows hold its first <see cref="WaitingLimit"/> conversations. Conversations without
    /// a clock fill the rest, longest waiting first. The conversation join is there only when a filter needs it.
    /// </summary>
    private static async Task<(List<InboxItem> Items, int Total)> WaitingAsync(
        NpgsqlConnection connection, InboxViewer viewer, InboxFilter filter, string[] queues, CancellationToken ct)
    {
        var filtered = filter.Channel is not null || filter.Status is not null || filter.Tag is not null;
        var join = filtered ? "join conversations c on c.id = e.conversation_id" : "";
        var where = $"""
            e.queue = any(@queues) and (@queue::text is null or e.queue = @queue) {(filtered ? "and " + Filters : "")}
            """;
        var ids = new List<Guid>();
        await using (var command = Command(connection, $"""
            with walk as (
                select k.conversation_id, k.due_at, k.id from response_clocks k
                join queue_entries e on e.conversation_id = k.conversation_id {join}
                where k.stopped_at is null and k.due_at is not null and {where}
                order by k.due_at, k.id limit {2 * WaitingLimit})
            select conversation_id from walk group by conversation_id order by min(due_at), min(id) limit {WaitingLimit}
            """, viewer, filter, queues))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) ids.Add(reader.GetGuid(0));
        }

        if (ids.Count < WaitingLimit)
        {
            await using var command = Command(connection, $"""
                select e.conversation_id from queue_entries e {join}
                where {where} and not exists (select 1 from response_clocks k
                    where k.conversation_id = e.conversation_id and k.stopped_at is null and k.due_at is not null)
                order by e.waiting_since limit {WaitingLimit - ids.Count}
                """, viewer, filter, queues);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) ids.Add(reader.GetGuid(0));
        }

        int total;
        await using (var count = Command(connection, $"select count(*)::int from queue_entries e {join} where {where}", viewer, filter, queues))
        {
            total = (int)(await count.ExecuteScalarAsync(ct))!;
        }

        var items = ids.Count == 0 ? [] : await ItemsAsync(connection, viewer, filter, "select unnest(@ids) as id", ct, ids.ToArray());
        return (items, total);
    }

    /// <summary>Due first (no clock last), then the longest waiting.</summary>
    private static List<InboxItem> Sorted(List<InboxItem> items) =>
        items.OrderBy(i => i.DueAt ?? DateTimeOffset.MaxValue).ThenBy(i => i.WaitingSince ?? i.OpenedAt).ToList();

    private static async Task<List<InboxItem>> ItemsAsync(
        NpgsqlConnection connection, InboxViewer viewer, InboxFilter filter, string idsSql, CancellationToken ct, Guid[]? ids = null)
    {
        await using var command = Command(connection, $"""
            with ids as ({idsSql})
            select c.id, c.customer_id, cu.name, c.channel, c.status, c.queue, c.assignee, c.priority, c.opened_at, e.waiting_since,
                   k.kind, k.due_at, last.text, last.type, last.occurred_at,
                   (select count(*)::int from timeline_events u
                    where u.conversation_id = c.id and u.type = 'message.received' and u.id > coalesce(r.last_event_id, 0)),
                   exists (select 1 from timeline_events n where n.conversation_id = c.id and n.type = 'note.added'
                           and n.data -> 'mentions' ? coalesce(@agent, '') and n.id > coalesce(r.last_event_id, 0)),
                   array(select t.tag from conversation_tags t where t.conversation_id = c.id order by t.tag)
            from ids join conversations c on c.id = ids.id
            join customers cu on cu.id = c.customer_id
            left join queue_entries e on e.conversation_id = c.id
            left join desk_reads r on r.agent_id = coalesce(@agent, '') and r.conversation_id = c.id
            left join lateral (select kind, due_at from response_clocks k
                               where k.conversation_id = c.id and k.stopped_at is null and k.due_at is not null
                               order by k.due_at limit 1) k on true
            left join lateral (select t.text, t.type, t.occurred_at from timeline_events t
                               where t.conversation_id = c.id and t.type in ('message.received', 'message.sent', 'bot.reply')
                               order by t.id desc limit 1) last on true
            """, viewer, filter);
        if (ids is not null) command.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = ids });
        var items = new List<InboxItem>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            items.Add(new InboxItem(reader.GetGuid(0), reader.GetGuid(1), reader.Nullable<string>(2), ChannelNames.Parse(reader.GetString(3)),
                reader.GetString(4), reader.Nullable<string>(5), reader.Nullable<string>(6), reader.GetInt32(7), reader.Instant(8),
                reader.NullableInstant(9), reader.Nullable<string>(10), reader.NullableInstant(11), Preview(reader.Nullable<string>(12)),
                reader.Nullable<string>(13), reader.NullableInstant(14), reader.GetInt32(15), reader.GetBoolean(16), reader.GetFieldValue<string[]>(17)));
        }

        return items;
    }

    private static string? Preview(string? text) => text is { Length: > 140 } ? text[..140] + "…" : text;

    private static NpgsqlCommand Command(
        NpgsqlConnection connection, string sql, InboxViewer viewer, InboxFilter filter, string[]? queues = null)
    {
        var command = new NpgsqlCommand(sql, connection);
        if (queues is not null) command.Parameters.Add(new NpgsqlParameter("queues", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = queues });
        command.Parameters.Add(new NpgsqlParameter("agent", NpgsqlDbType.Text) { Value = (object?)viewer.AgentId ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("supervises", NpgsqlDbType.Boolean) { Value = viewer.Supervises });
        command.Parameters.Add(new NpgsqlParameter("scope_queues", NpgsqlDbType.Array | NpgsqlDbType.Text)
        {
            Value = viewer.Queues is { } scoped ? scoped.ToArray() : DBNull.Value,
        });
        command.Parameters.Add(new NpgsqlParameter("channel", NpgsqlDbType.Text) { Value = (object?)filter.Channel ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("status", NpgsqlDbType.Text) { Value = (object?)filter.Status ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("queue", NpgsqlDbType.Text) { Value = (object?)filter.Queue ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("tag", NpgsqlDbType.Text) { Value = (object?)filter.Tag ?? DBNull.Value });
        return command;
    }
}
