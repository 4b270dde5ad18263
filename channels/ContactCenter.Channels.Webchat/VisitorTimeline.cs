using System.Text.Json.Nodes;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Timeline;
using Npgsql;

namespace ContactCenter.Channels.Webchat;

/// <summary>One entry of the visitor's chat as the widget shows it; <c>id</c> is the timeline event id (the SSE event id).</summary>
/// <param name="From">visitor, agent, bot or system.</param>
public sealed record VisitorEvent(
    long Id, Guid ConversationId, string Type, string From, string? Text, string? Name, IReadOnlyList<VisitorChoice>? Choices, DateTimeOffset At);

public sealed record VisitorChoice(string Id, string Title);

public sealed record VisitorConversation(Guid Id, string Status, string? Queue, bool Closed);

/// <summary>
/// What a visitor may see of the timeline: their own webchat conversations (found through their address's
/// identity, so a merge into another customer keeps them visible) and only the customer-facing events:
/// messages, bot replies, waiting in line, an agent joining, the end, the satisfaction answer. Notes, SLA and routing details never.
/// </summary>
public sealed class VisitorTimeline(NpgsqlDataSource db)
{
    private static readonly string[] Visible =
    [
        TimelineEventTypes.MessageReceived, TimelineEventTypes.MessageSent, TimelineEventTypes.BotReply,
        TimelineEventTypes.ConversationQueued, TimelineEventTypes.ConversationAssigned, TimelineEventTypes.ConversationResolved, TimelineEventTypes.CsatResponse,
    ];

    private const string Mine = """
        with mine as (
            select c.id from customer_identities i
            join conversations c on c.customer_id = i.customer_id and c.channel = 'webchat' and c.customer_address = i.address
            where i.channel = 'webchat' and i.address = $1)
        """;

    private const string Columns = "e.id, e.conversation_id, e.type, e.text, e.data::text, e.occurred_at, a.name";

    /// <summary>Events after <paramref name="after"/> (an event id, 0 for the start), oldest first: the history a panel shows.</summary>
    public async Task<IReadOnlyList<VisitorEvent>> ReadAsync(string address, long after, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql($"""
            {Mine}
            select {Columns}
            from timeline_events e
            left join agents a on e.type = 'conversation.assigned' and a.id = e.data ->> 'agentId'
            where e.conversation_id in (select id from mine) and e.id > $2 and e.type = any($3)
            order by e.id limit $4
            """, address, after, Visible, limit);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var list = new List<VisitorEvent>();
        while (await reader.ReadAsync(ct)) list.Add(Event(reader));
        return list;
    }

    /// <summary>
    /// The live stream's read: the events that committed since <paramref name="after"/>, oldest id first, and the cursor
    /// to resume from (this statement's snapshot, taken with the rows it returns, so nothing falls between the two).
    /// </summary>
    public async Task<(IReadOnlyList<VisitorEvent> Events, StreamCursor Next)> ReadNewAsync(string address, StreamCursor after, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        // Rows written before the writer column existed are older than any snapshot cursor, hence "is not null".
        await using var command = connection.Sql($"""
            {Mine}
            select now.snapshot::text, {Columns}
            from (select pg_current_snapshot() as snapshot) now
            left join (timeline_events e
                left join agents a on e.type = 'conversation.assigned' and a.id = e.data ->> 'agentId')
              on e.conversation_id in (select id from mine) and e.type = any($2)
                 and case when $3::text is null then e.id > $4
                          else e.written_by is not null and not pg_visible_in_snapshot(e.written_by, $3::text::pg_snapshot) end
            order by e.id
            """, address, Visible, Db.Text(after.Snapshot), after.AfterId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var list = new List<VisitorEvent>();
        string? snapshot = null;
        while (await reader.ReadAsync(ct))
        {
            snapshot = reader.GetString(0);
            if (!reader.IsDBNull(1)) list.Add(Event(reader, 1));
        }

        return StreamCursor.TryParse(snapshot, out var next) ? (list, next) : throw new InvalidOperationException("PostgreSQL returned no snapshot.");
    }

    private static VisitorEvent Event(NpgsqlDataReader reader, int o = 0)
    {
        var type = reader.GetString(o + 2);
        var data = JsonNode.Parse(reader.GetString(o + 4)) as JsonObject ?? [];
        var (from, name) = type switch
        {
            TimelineEventTypes.MessageReceived or TimelineEventTypes.CsatResponse => ("visitor", null),
            TimelineEventTypes.BotReply => ("bot", null),
            TimelineEventTypes.MessageSent => ("agent", data["author"]?.GetValue<string>()),
            TimelineEventTypes.ConversationAssigned => ("system", reader.Nullable<string>(o + 6)),
            _ => ("system", (string?)null),
        };
        return new VisitorEvent(reader.GetInt64(o), reader.GetGuid(o + 1), type, from, reader.Nullable<string>(o + 3), name,
            Choices(data), reader.Instant(o + 5));
    }

    /// <summary>The visitor's latest conversation (open, or the last one), or null before the first message.</summary>
    public async Task<VisitorConversation?> CurrentAsync(string address, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql("""
            select c.id, c.status, c.queue, c.closed_at is not null from customer_identities i
            join conversations c on c.customer_id = i.customer_id and c.channel = 'webchat' and c.customer_address = i.address
            where i.channel = 'webchat' and i.address = $1
            order by c.closed_at is null desc, c.opened_at desc limit 1
            """, address);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new VisitorConversation(reader.GetGuid(0), reader.GetString(1), reader.Nullable<string>(2), reader.GetBoolean(3))
            : null;
    }

    private static List<VisitorChoice>? Choices(JsonObject data) =>
        data["content"]?["choices"] is JsonArray { Count: > 0 } choices
            ? choices.OfType<JsonObject>().Select(c => new VisitorChoice(c["id"]?.GetValue<string>() ?? "", c["title"]?.GetValue<string>() ?? "")).ToList()
            : null;
}
