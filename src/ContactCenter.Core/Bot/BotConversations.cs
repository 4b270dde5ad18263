using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Work;
using Npgsql;

namespace ContactCenter.Core.Bot;

public static class BotOwner
{
    public const string Bot = "bot";
    public const string Agent = "agent";
    /// <summary>The bot as the author of its replies, resolutions and handbacks.</summary>
    public const string Author = "bot";
}

/// <summary>The bot's side of one conversation (see 0500_bot.sql); changed only under the row's lock.</summary>
public sealed record BotConversation
{
    public required Guid ConversationId { get; init; }
    public required Guid CustomerId { get; init; }
    public required Channel Channel { get; init; }
    public required string Owner { get; init; }
    public long LastEventId { get; init; }
    public int SessionVersion { get; init; }
    public int Handoffs { get; init; }
    public int Acknowledged { get; init; }
    public int Misunderstandings { get; init; }
    public int Sentiment { get; init; }
    public JsonArray Articles { get; init; } = [];
    public DateTimeOffset? ContainedAt { get; init; }
    public DateTimeOffset? SurveySentAt { get; init; }
    public DateTimeOffset? TimedOutAt { get; init; }
    public bool Created { get; init; }
    /// <summary>Not stored in the row: work the change causes (a bot timeout), written in the same transaction.</summary>
    public System.Collections.Immutable.ImmutableList<Work.NewWork> FollowUps { get; init; } = [];
}

/// <summary>
/// The row that serializes the bot's work on a conversation: a turn, a handback and a timeout each lock it
/// first (inside their own transaction) and save it last, so they take turns and never answer one message twice.
/// The one writer of <c>bot_conversations</c>.
/// </summary>
public sealed class BotConversations(WorkStore work, TimeProvider clock)
{
    private const string Columns = """
        conversation_id, customer_id, channel, owner, last_event_id, session_version, handoffs, acknowledged, misunderstandings,
        sentiment, articles::text, contained_at, survey_sent_at, timed_out_at
        """;

    /// <summary>Locks (creating when missing) the conversation's bot row inside the caller's transaction.</summary>
    public static async Task<BotConversation> LockAsync(
        NpgsqlConnection connection, Guid conversationId, Guid customerId, Channel channel, DateTimeOffset now, CancellationToken ct)
    {
        var created = await connection.Sql("""
            insert into bot_conversations (conversation_id, customer_id, channel, owner, started_at, updated_at)
            values ($1, $2, $3, 'bot', $4, $4)
            on conflict (conversation_id) do nothing
            """, conversationId, customerId, channel.ToName(), now).ExecuteNonQueryAsync(ct) > 0;
        return (await LockExistingAsync(connection, conversationId, ct))! with { Created = created };
    }

    /// <summary>Locks the row when there is one.</summary>
    public static async Task<BotConversation?> LockExistingAsync(NpgsqlConnection connection, Guid conversationId, CancellationToken ct)
    {
        await using var command = connection.Sql($"select {Columns} from bot_conversations where conversation_id = $1 for update", conversationId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new BotConversation
        {
            ConversationId = reader.GetGuid(0),
            CustomerId = reader.GetGuid(1),
            Channel = ChannelNames.Parse(reader.GetString(2)),
            Owner = reader.GetString(3),
            LastEventId = reader.GetInt64(4),
            SessionVersion = reader.GetInt32(5),
            Handoffs = reader.GetInt32(6),
            Acknowledged = reader.GetInt32(7),
            Misunderstandings = reader.GetInt32(8),
            Sentiment = reader.GetInt32(9),
            Articles = JsonNode.Parse(reader.GetString(10)) as JsonArray ?? [],
            ContainedAt = reader.NullableInstant(11),
            SurveySentAt = reader.NullableInstant(12),
            TimedOutAt = reader.NullableInstant(13),
        };
    }

    /// <summary>
    /// Saves the row and writes the work its change causes (<see cref="BotConversation.FollowUps"/>, a bot timeout) in
    /// the caller's transaction: a handler that commits its own state writes its follow-ups in that commit, so a
    /// crash after it can neither lose them (a rerun finds the row advanced and does nothing) nor write them twice.
    /// </summary>
    public async Task SaveAsync(NpgsqlConnection connection, BotConversation row, CancellationToken ct)
    {
        await connection.SqlNamed("""
            update bot_conversations set owner = @owner, last_event_id = @lastEvent, session_version = @sessionVersion,
                handoffs = @handoffs, acknowledged = @acknowledged, misunderstandings = @misunderstandings, sentiment = @sentiment,
                articles = @articles, contained_at = @containedAt, survey_sent_at = @surveySentAt, timed_out_at = @timedOutAt,
                updated_at = @now
            where conversation_id = @id
            """,
            ("id", row.ConversationId), ("owner", row.Owner), ("lastEvent", row.LastEventId), ("sessionVersion", row.SessionVersion),
            ("handoffs", row.Handoffs), ("acknowledged", row.Acknowledged), ("misunderstandings", row.Misunderstandings),
            ("sentiment", row.Sentiment), ("articles", Db.Jsonb(row.Articles.ToJsonString())), ("containedAt", Db.Timestamp(row.ContainedAt)),
            ("surveySentAt", Db.Timestamp(row.SurveySentAt)), ("timedOutAt", Db.Timestamp(row.TimedOutAt)), ("now", clock.GetUtcNow()))
            .ExecuteNonQueryAsync(ct);
        await work.AddAsync(connection, row.FollowUps, ct);
    }
}
