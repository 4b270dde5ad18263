using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Timeline;
using Npgsql;

namespace ContactCenter.Core.Desk;

/// <summary>Tags on conversations (table <c>conversation_tags</c>); each change is on the timeline, so reports can count it.</summary>
public sealed partial class TagStore(NpgsqlDataSource db, TimelineStore timeline, TimeProvider clock)
{
    public const int MaxTagLength = 40;
    public const int MaxTagsPerConversation = 20;
    public const string Tagged = "conversation.tagged";
    public const string Untagged = "conversation.untagged";

    /// <summary>A tag as stored: trimmed, lower case; null when it is not a tag (empty, too long, odd characters).</summary>
    public static string? Normalize(string? tag)
    {
        var t = tag?.Trim().ToLowerInvariant();
        return t is { Length: > 0 and <= MaxTagLength } && TagPattern().IsMatch(t) ? t : null;
    }

    public async Task<IReadOnlyList<string>> ListAsync(Guid conversationId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await ListAsync(connection, conversationId, ct);
    }

    /// <summary>Adds the (normalized) tags; null when there is no conversation, false when it would carry too many.</summary>
    public async Task<(IReadOnlyList<string>? Tags, bool TooMany)> AddAsync(Guid conversationId, IReadOnlyList<string> tags, string by, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (await ConversationStore.LockForAppendAsync(connection, conversationId, ct) is not { } target) return (null, false);
        await using (var count = connection.Sql("""
            select count(*)::int from conversation_tags where conversation_id = $1 and not (tag = any($2))
            """, target.ConversationId, tags.ToArray()))
        {
            if ((int)(await count.ExecuteScalarAsync(ct))! + tags.Count > MaxTagsPerConversation) return (null, true);
        }

        await using var insert = connection.Sql("""
            insert into conversation_tags (conversation_id, tag, added_by, added_at)
            select $1, t, $3, $4 from unnest($2::text[]) t
            on conflict do nothing returning tag
            """, target.ConversationId, tags.ToArray(), by, now);
        var added = new List<string>();
        await using (var reader = await insert.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) added.Add(reader.GetString(0));
        }

        if (added.Count > 0) await AppendAsync(connection, target, Tagged, added, by, now, ct);
        var all = await ListAsync(connection, target.ConversationId, ct);
        await tx.CommitAsync(ct);
        return (all, false);
    }

    /// <summary>Removes one tag; null when there is no conversation. Removing a tag it does not carry changes nothing.</summary>
    public async Task<IReadOnlyList<string>?> RemoveAsync(Guid conversationId, string tag, string by, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (await ConversationStore.LockForAppendAsync(connection, conversationId, ct) is not { } target) return null;
        var removed = await connection.Sql("delete from conversation_tags where conversation_id = $1 and tag = $2",
            target.ConversationId, tag).ExecuteNonQueryAsync(ct);
        if (removed > 0) await AppendAsync(connection, target, Untagged, [tag], by, now, ct);
        var all = await ListAsync(connection, target.ConversationId, ct);
        await tx.CommitAsync(ct);
        return all;
    }

    private Task AppendAsync(NpgsqlConnection connection, ConversationEndpoint target, string type, List<string> tags, string by,
        DateTimeOffset now, CancellationToken ct) =>
        timeline.AppendAsync(connection, new NewTimelineEvent
        {
            CustomerId = target.CustomerId,
            ConversationId = target.ConversationId,
            Channel = target.Channel,
            Type = type,
            Direction = Direction.Internal,
            OccurredAt = now,
            Data = new JsonObject { ["tags"] = new JsonArray([.. tags.Select(t => (JsonNode)t)]), ["by"] = by },
        }, now, ct);

    private static async Task<IReadOnlyList<string>> ListAsync(NpgsqlConnection connection, Guid conversationId, CancellationToken ct)
    {
        await using var command = connection.Sql("select tag from conversation_tags where conversation_id = $1 order by tag", conversationId);
        var list = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) list.Add(reader.GetString(0));
        return list;
    }

    [GeneratedRegex(@"^[\p{L}\p{N}][\p{L}\p{N} _.:/-]*$")]
    private static partial Regex TagPattern();
}
