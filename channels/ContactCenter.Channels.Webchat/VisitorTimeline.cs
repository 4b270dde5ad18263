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

    /// <summary>Events after <paramref name="after"/> (an event id, 0 for the start), oldest first.</summary>
    public async Task<IReadOnlyList<VisitorEvent>> ReadAsync(string address, long after, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql("""
            with mine as (
                select c.id from customer_identities i
                join conversations c on c.customer_id = i.customer_id and c.channel = 'webchat' and c.customer_address = i.address
                where i.channel = 'webchat' and i.address = $1)
            select e.id, e.conversation_id, e.type, e.text, e.data::text, e.occurred_at, a.name
            from timeline_events e
            left join agents a on e.type = 'conversation.assigned' and a.id = e.data ->> 'agentId'
            where e.conversation_id in (select id from mine) and e.id > $2 and e.type = any($3)
            order by e.id limit $4
            """, address, after, Visible, limit);
        var list = new List<VisitorEvent>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var type = reader.GetString(2);
            var data = JsonNode.Parse(reader.GetString(4)) as JsonObject ?? [];
            var (from, name) = type switch
            {
                TimelineEventTypes.MessageReceived or TimelineEventTypes.CsatResponse => ("visitor", null),
                TimelineEventTypes.BotReply => ("bot", null),
                TimelineEventTypes.MessageSent => ("agent", data["author"]?.GetValue<string>()),
                TimelineEventTypes.ConversationAssigned => ("system", reader.Nullable<string>(6)),
                _ => ("system", (string?)null),
            };
            list.Add(new VisitorEvent(reader.GetInt64(0), reader.GetGuid(1), type, from, reader.Nullable<string>(3), name,
                Choices(data), reader.Instant(5)));
        }

        return list;
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
