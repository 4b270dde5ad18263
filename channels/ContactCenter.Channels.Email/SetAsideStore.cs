using ContactCenter.Core.Storage;
using Npgsql;

namespace ContactCenter.Channels.Email;

public static class SetAsideKind
{
    /// <summary>Could not be taken in: malformed, no sender, an unknown charset, too big.</summary>
    public const string Rejected = "rejected";
    /// <summary>Read and deliberately not opened: auto-replies, bulk mail, bounces, our own address.</summary>
    public const string Ignored = "ignored";
}

public sealed record SetAsideMail(
    long Id, string Mailbox, long UidValidity, long Uid, string Kind, string Reason, string? MessageId, string? Sender,
    string? Subject, long? Size, bool HasRaw, DateTimeOffset CreatedAt);

/// <summary>Mail that opened no conversation, with the reason, so an admin can see (and recover) it.</summary>
public sealed class SetAsideStore(NpgsqlDataSource db)
{
    public async Task AddAsync(string mailbox, long uidValidity, long uid, string kind, string reason, string? messageId,
        string? sender, string? subject, long? size, byte[]? raw, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("""
            insert into email_set_aside (mailbox, uid_validity, uid, kind, reason, message_id, sender, subject, size, raw, created_at)
            values (@mailbox, @uidValidity, @uid, @kind, @reason, @messageId, @sender, @subject, @size, @raw, @now)
            on conflict (mailbox, uid_validity, uid) do nothing
            """, connection);
        command.Parameters.AddWithValue("mailbox", mailbox);
        command.Parameters.AddWithValue("uidValidity", uidValidity);
        command.Parameters.AddWithValue("uid", uid);
        command.Parameters.AddWithValue("kind", kind);
        command.Parameters.AddWithValue("reason", reason.Length > 500 ? reason[..500] : reason);
        command.Parameters.Add(Named("messageId", Db.Text(messageId)));
        command.Parameters.Add(Named("sender", Db.Text(sender)));
        command.Parameters.Add(Named("subject", Db.Text(subject is { Length: > 300 } ? subject[..300] : subject)));
        command.Parameters.AddWithValue("size", (object?)size ?? DBNull.Value);
        command.Parameters.AddWithValue("raw", (object?)raw ?? DBNull.Value);
        command.Parameters.AddWithValue("now", now.ToUniversalTime());
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<IReadOnlyList<SetAsideMail>> ListAsync(string kind, long? before, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql("""
            select id, mailbox, uid_validity, uid, kind, reason, message_id, sender, subject, size, raw is not null, created_at
            from email_set_aside where kind = $1 and ($2::bigint is null or id < $2) order by id desc limit $3
            """, kind, (object?)before, limit);
        var list = new List<SetAsideMail>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            list.Add(new SetAsideMail(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetString(4),
                reader.GetString(5), reader.Nullable<string>(6), reader.Nullable<string>(7), reader.Nullable<string>(8),
                reader.Nullable<long?>(9), reader.GetBoolean(10), reader.Instant(11)));
        return list;
    }

    public async Task<byte[]?> RawAsync(long id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql("select raw from email_set_aside where id = $1", id);
        return await command.ExecuteScalarAsync(ct) as byte[];
    }

    private static NpgsqlParameter Named(string name, NpgsqlParameter parameter)
    {
        parameter.ParameterName = name;
        return parameter;
    }
}
