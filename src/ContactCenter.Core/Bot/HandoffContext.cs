using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Customers;
using ContactCenter.Core.Storage;
using Npgsql;

namespace ContactCenter.Core.Bot;

/// <summary>Why and where the bot hands a conversation to a person.</summary>
/// <param name="Trigger">flow, customer-request, sentiment, misunderstanding, callback, api.</param>
public sealed record HandoffRequest(string Queue, string? Reason, int Priority, string Trigger, string? Node);

/// <summary>
/// What the person taking over gets, so the customer never repeats themselves: intent, collected slots,
/// articles shown, a short summary and the last messages, sentiment, the customer's profile and their other
/// recent conversations on every channel. Stored in <c>conversations.handoff</c>.
/// </summary>
public sealed class HandoffContextBuilder(NpgsqlDataSource db, CustomerStore customers, TimeProvider clock)
{
    public const int TranscriptLines = 12;

    /// <summary>Variables the engine and the bot set themselves: not slots the customer gave.</summary>
    private static readonly string[] SystemPrefixes = ["channel", "caller", "customer.", "last.", "http.", "kb.", "outcome", "message.", "intent"];

    public async Task<JsonObject> BuildAsync(
        Conversation conversation, BotConversation row, IReadOnlyDictionary<string, JsonElement> variables, HandoffRequest request,
        int negativeThreshold, CancellationToken ct)
    {
        var slots = new JsonObject();
        foreach (var (name, value) in variables.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            if (!SystemPrefixes.Any(p => name == p || (p.EndsWith('.') && name.StartsWith(p, StringComparison.Ordinal))))
                slots[name] = JsonNode.Parse(value.GetRawText());
        }

        var intent = variables.TryGetValue("intent", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString()!
            : request.Trigger == "customer-request" ? "talk to a person" : "unknown";
        var transcript = await TranscriptAsync(conversation.Id, ct);
        var customer = await customers.GetAsync(conversation.CustomerId, ct);
        var recent = await RecentConversationsAsync(conversation.CustomerId, conversation.Id, ct);
        var sentiment = new JsonObject { ["score"] = row.Sentiment, ["label"] = BotIntents.SentimentLabel(row.Sentiment, negativeThreshold) };

        return new JsonObject
        {
            ["intent"] = intent,
            ["queue"] = request.Queue,
            ["reason"] = request.Reason,
            ["trigger"] = request.Trigger,
            ["priority"] = request.Priority,
            ["node"] = request.Node,
            ["channel"] = conversation.Channel.ToName(),
            ["handedOffAt"] = clock.GetUtcNow(),
            ["slots"] = slots,
            ["articlesShown"] = row.Articles.DeepClone(),
            ["sentiment"] = sentiment,
            ["summary"] = Summary(conversation.Channel, transcript, intent, slots, row.Articles, sentiment, request),
            ["transcript"] = transcript,
            ["customer"] = customer is null ? null : new JsonObject
            {
                ["id"] = customer.Id,
                ["name"] = customer.Name,
                ["identities"] = new JsonArray(customer.Identities.Select(x => (JsonNode)new JsonObject
                {
                    ["channel"] = x.Channel.ToName(), ["address"] = x.Address, ["optedOut"] = x.OptedOut,
                }).ToArray()),
            },
            ["recentConversations"] = recent,
        };
    }

    private static string Summary(Channel channel, JsonArray transcript, string intent, JsonObject slots, JsonArray articles,
        JsonObject sentiment, HandoffRequest request)
    {
        var said = transcript.Where(t => t!["from"]!.GetValue<string>() == "customer").Select(t => t!["text"]?.GetValue<string>())
            .OfType<string>().ToList();
        var text = new StringBuilder($"On {channel.ToName()} the customer wrote ");
        text.Append(said.Count == 0 ? "nothing yet" : string.Join(", ", said.TakeLast(3).Select(s => $"\"{Cut(s, 120)}\"")));
        text.Append($". Intent: {intent}.");
        if (slots.Count > 0) text.Append(" Collected: ").Append(string.Join(", ", slots.Select(s => $"{s.Key} = {s.Value?.ToJsonString().Trim('"')}"))).Append('.');
        if (articles.Count > 0) text.Append(" Articles shown: ").Append(string.Join(", ", articles.Select(a => $"\"{a!["title"]}\""))).Append('.');
        text.Append($" Sentiment: {sentiment["label"]}. Handed off to {request.Queue}: {request.Reason ?? request.Trigger} ({request.Trigger}).");
        return text.ToString();
    }

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

    /// <summary>The last messages of the conversation, oldest first: who said what.</summary>
    private async Task<JsonArray> TranscriptAsync(Guid conversationId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql("""
            select type, occurred_at, text, data->>'authorKind' from timeline_events
            where conversation_id = $1 and type in ('message.received', 'bot.reply', 'message.sent')
            order by id desc limit $2
            """, conversationId, TranscriptLines);
        var lines = new List<JsonNode>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var from = reader.GetString(0) switch
            {
                "message.received" => "customer",
                "bot.reply" => "bot",
                _ => reader.Nullable<string>(3) ?? "agent",
            };
            lines.Add(new JsonObject { ["at"] = reader.Instant(1), ["from"] = from, ["text"] = reader.Nullable<string>(2) });
        }

        lines.Reverse();
        return new JsonArray(lines.ToArray());
    }

    /// <summary>The customer's other conversations of the last 30 days on every channel, newest first.</summary>
    private async Task<JsonArray> RecentConversationsAsync(Guid customerId, Guid except, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql("""
            select id, channel, status, queue, opened_at, closed_at, handoff->>'reason', handoff->>'summary' from conversations
            where customer_id = $1 and id <> $2 and merged_into is null and opened_at >= $3
            order by opened_at desc limit 10
            """, customerId, except, clock.GetUtcNow() - TimeSpan.FromDays(30));
        var list = new JsonArray();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            list.Add(new JsonObject
            {
                ["id"] = reader.GetGuid(0), ["channel"] = reader.GetString(1), ["status"] = reader.GetString(2),
                ["queue"] = reader.Nullable<string>(3), ["openedAt"] = reader.Instant(4), ["closedAt"] = reader.NullableInstant(5),
                ["handoffReason"] = reader.Nullable<string>(6), ["handoffSummary"] = reader.Nullable<string>(7),
            });
        }

        return list;
    }
}
