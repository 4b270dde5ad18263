using System.Text.Json;
using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Telemetry;
using ContactCenter.Core.Timeline;
using Hangfire;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ContactCenter.Core.Outbound;

/// <summary>
/// Accepts outbound messages: the row (and its <c>message.sent</c> event) is stored before anything is
/// sent, channel rules are checked at once, and the first attempt is made right after the commit
/// (<see cref="OutboundDispatchQueue"/>; retries are Hangfire jobs, <see cref="OutboxDispatcher"/>).
/// </summary>
public sealed class Outbox(
    NpgsqlDataSource db,
    IEnumerable<IChannelSender> senders,
    TimelineStore timeline,
    OutboundDispatchQueue dispatch,
    TimeProvider clock)
{
    internal const string Columns = """
        id, conversation_id, channel, status, text, content, author, author_kind, attempts, provider_message_id,
        error_code, error_message, created_at, updated_at
        """;

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Dictionary<Channel, IChannelSender> _senders = SendersByChannel(senders);

    internal static Dictionary<Channel, IChannelSender> SendersByChannel(IEnumerable<IChannelSender> senders)
    {
        var map = new Dictionary<Channel, IChannelSender>();
        foreach (var sender in senders)
            foreach (var channel in sender.Channels)
                map[channel] = sender;
        return map;
    }

    public async Task<AcceptOutcome> AcceptAsync(Guid conversationId, OutboundRequest request, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var key = string.IsNullOrWhiteSpace(request.IdempotencyKey) ? Guid.NewGuid().ToString("N") : request.IdempotencyKey.Trim();
        // The text has its own column; the JSON holds the rest (template, media, choices).
        var contentJson = JsonSerializer.Serialize(request.Content with { Text = null }, Json);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (await ConversationStore.LockForAppendAsync(connection, conversationId, ct) is not { } target)
            return new AcceptOutcome.ConversationNotFound();

        var (found, optedOut, lastInbound) = await ReadSendFactsAsync(connection, target, key, ct);
        if (found is { } existing)
            return SameMessage(existing, request.Content) ? new AcceptOutcome.Accepted(existing, Created: false) : new AcceptOutcome.KeyReused(existing);

        if (request.Actor is { } actor && await ConversationAccess.CheckAsync(connection, target.ConversationId,
                await ConversationAccess.AssigneeForShareAsync(connection, target.ConversationId, ct), actor, ct) is { } notOwner)
            return new AcceptOutcome.NotYours(notOwner);
        if (optedOut)
            return new AcceptOutcome.Refused(new OutboundRefusal("opted-out", "The customer opted out",
                $"The customer opted out of {target.Channel.ToName()} messages (for example by texting STOP); nothing is sent until they opt in again."));
        if (!_senders.TryGetValue(target.Channel, out var sender))
            return new AcceptOutcome.Refused(new OutboundRefusal("channel-unavailable", "Channel not configured",
                $"No sender is configured for the {target.Channel.ToName()} channel."));

        if (sender.Check(new OutboundCheck(target.Channel, request.AuthorKind, request.Content, lastInbound, now)) is { } refusal)
            return new AcceptOutcome.Refused(refusal);

        var id = Guid.CreateVersion7(now);
        OutboundMessage? accepted = null;
        await using (var insert = connection.SqlNamed($"""
            insert into outbound_messages (id, conversation_id, customer_id, channel, to_address, from_address, idempotency_key,
                                           author, author_kind, text, content, status, next_attempt_at, created_at, updated_at, trace_parent)
            values (@id, @conversation, @customer, @channel, @to, @from, @key, @author, @authorKind, @text, @content, @status, @now, @now, @now, @trace)
            on conflict (conversation_id, idempotency_key) do nothing
            returning {Columns}
            """, ("id", id), ("conversation", target.ConversationId), ("customer", target.CustomerId), ("channel", target.Channel.ToName()),
            ("to", target.CustomerAddress), ("from", Db.Text(target.CompanyAddress)), ("key", key), ("author", request.Author),
            ("authorKind", request.AuthorKind), ("text", Db.Text(request.Content.Text)), ("content", Db.Jsonb(contentJson)),
            ("status", DeliveryStatus.Pending), ("now", now), ("trace", Db.Text(ContactCenterTelemetry.CurrentTraceParent()))))
        await using (var reader = await insert.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct)) accepted = Read(reader);
        }

        if (accepted is null)
        {
            // The same key raced us and won: answer with its message.
            await tx.RollbackAsync(ct);
            var winner = (await FindByKeyAsync(connection, target.ConversationId, key, ct))!;
            return SameMessage(winner, request.Content) ? new AcceptOutcome.Accepted(winner, Created: false) : new AcceptOutcome.KeyReused(winner);
        }

        await timeline.AppendAsync(connection, new NewTimelineEvent
        {
            CustomerId = target.CustomerId,
            ConversationId = target.ConversationId,
            Channel = target.Channel,
            Type = request.AuthorKind == AuthorKind.Bot ? TimelineEventTypes.BotReply : TimelineEventTypes.MessageSent,
            Direction = Direction.Outbound,
            OccurredAt = now,
            Text = request.Content.Text,
            DedupeKey = $"outbound:{id}",
            Data = new JsonObject
            {
                ["messageId"] = id.ToString(),
                ["author"] = request.Author,
                ["authorKind"] = request.AuthorKind,
                ["status"] = DeliveryStatus.Pending,
                ["content"] = JsonNode.Parse(contentJson),
            },
        }, now, ct);
        await tx.CommitAsync(ct);

        // After the commit: if this hand-off is lost (a crash, or the job storage failing), the outbox sweep finds the
        // pending row. The message is stored, so the answer is still 202: a 500 would make a caller without an
        // idempotency key send it again.
        dispatch.Dispatch(id);
        return new AcceptOutcome.Accepted(accepted, Created: true);
    }

    /// <summary>
    /// Sends a message that finally failed once more, as a new message (the failed one stays failed on the
    /// timeline). Its idempotency key is derived from the failed one, so a double click sends one retry.
    /// Null when the conversation has no such failed message.
    /// </summary>
    public async Task<AcceptOutcome?> RetryAsync(Guid conversationId, Guid messageId, string author, ConversationActor actor, CancellationToken ct)
    {
        OutboundContent content;
        await using (var connection = await db.OpenConnectionAsync(ct))
        await using (var command = connection.Sql("""
            select content, text from outbound_messages where id = $1 and conversation_id = $2 and status = any($3)
            """, messageId, conversationId, new[] { DeliveryStatus.Failed, DeliveryStatus.Undelivered }))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct)) return null;
            content = ReadContent(reader.GetString(0), reader.Nullable<string>(1));
        }

        return await AcceptAsync(conversationId, new OutboundRequest(content, $"retry:{messageId}", author, AuthorKind.Agent, actor), ct);
    }

    public async Task<OutboundMessage?> GetAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await GetAsync(connection, id, ct);
    }

    public async Task<IReadOnlyList<OutboundMessage>> ListForConversationAsync(Guid conversationId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql(
            $"select {Columns} from outbound_messages where conversation_id = $1 order by created_at, id", conversationId);
        var list = new List<OutboundMessage>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) list.Add(Read(reader));
        return list;
    }

    private const string ByKeySql = $"select {Columns} from outbound_messages where conversation_id = $1 and idempotency_key = $2";

    private const string LastInboundSql = """
        select occurred_at from timeline_events
        where customer_id = $1 and channel = $2 and direction = 'inbound' and type = 'message.received'
        order by occurred_at desc limit 1
        """;

    /// <summary>When the customer last wrote on the channel: messaging windows (WhatsApp, Meta) count from it.</summary>
    public static async Task<DateTimeOffset?> LastInboundAtAsync(NpgsqlConnection connection, Guid customerId, Channel channel, CancellationToken ct)
    {
        await using var command = connection.Sql(LastInboundSql, customerId, channel.ToName());
        return await command.ExecuteScalarAsync(ct) is DateTime at ? new DateTimeOffset(at, TimeSpan.Zero) : null;
    }

    /// <summary>
    /// What accepting a message needs to know, in one round trip: the message already stored under this key, whether
    /// the customer opted out of the channel, and when they last wrote on it (messaging windows count from it).
    /// </summary>
    private static async Task<(OutboundMessage? Existing, bool OptedOut, DateTimeOffset? LastInbound)> ReadSendFactsAsync(
        NpgsqlConnection connection, ConversationEndpoint target, string key, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                Db.Batch(ByKeySql, target.ConversationId, key),
                Db.Batch("select opted_out from customer_identities where channel = $1 and address = $2", target.Channel.ToName(), target.CustomerAddress),
                Db.Batch(LastInboundSql, target.CustomerId, target.Channel.ToName()),
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(ct);
        var existing = await reader.ReadAsync(ct) ? Read(reader) : null;
        await reader.NextResultAsync(ct);
        var optedOut = await reader.ReadAsync(ct) && reader.GetBoolean(0);
        await reader.NextResultAsync(ct);
        DateTimeOffset? lastInbound = await reader.ReadAsync(ct) ? reader.Instant(0) : null;
        return (existing, optedOut, lastInbound);
    }

    private static bool SameMessage(OutboundMessage existing, OutboundContent content) =>
        existing.Text == content.Text && existing.Template?.ContentSid == content.Template?.ContentSid;

    private static async Task<OutboundMessage?> FindByKeyAsync(NpgsqlConnection connection, Guid conversationId, string key, CancellationToken ct)
    {
        await using var command = connection.Sql(
            ByKeySql, conversationId, key);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    internal static async Task<OutboundMessage?> GetAsync(NpgsqlConnection connection, Guid id, CancellationToken ct)
    {
        await using var command = connection.Sql($"select {Columns} from outbound_messages where id = $1", id);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    internal static OutboundContent ReadContent(string json, string? text) =>
        (JsonSerializer.Deserialize<OutboundContent>(json, Json) ?? new OutboundContent(null)) with { Text = text };

    private static OutboundMessage Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetGuid(1),
        ChannelNames.Parse(reader.GetString(2)),
        reader.GetString(3),
        reader.Nullable<string>(4),
        ReadContent(reader.GetString(5), null).Template,
        reader.GetString(6),
        reader.GetString(7),
        reader.GetInt32(8),
        reader.Nullable<string>(9),
        reader.Nullable<string>(10),
        reader.Nullable<string>(11),
        reader.Instant(12),
        reader.Instant(13));
}
