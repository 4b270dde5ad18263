using System.Security.Cryptography;
using System.Text;
using ContactCenter.Core.Storage;
using Npgsql;

namespace ContactCenter.Channels.Email;

public sealed record StoredAttachment(int Ordinal, string? FileName, string ContentType, string? ContentId, bool Inline, byte[] Content);

/// <summary>What a reply needs to thread: the subject, its token, and the last message it answers.</summary>
public sealed record ReplyContext(string Subject, string Token, string? LastMessageId, IReadOnlyList<string> References);

/// <summary>
/// The email channel's own tables: each mailbox's IMAP position, threads (subject and token per conversation),
/// messages by Message-ID (originals, references) and attachments.
/// </summary>
public sealed class EmailStore(NpgsqlDataSource db)
{
    /// <summary>A URL-safe handle for a Message-ID (the original and its attachments are served under it).</summary>
    public static string KeyOf(string messageId) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(messageId)))[..32];

    /// <summary>The token our subjects carry for a conversation: the random tail of its (version 7) id.</summary>
    public static string TokenOf(Guid conversationId) => conversationId.ToString("N")[^12..];

    public async Task<(long UidValidity, long LastUid)?> PositionAsync(string mailbox, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql("select uid_validity, last_uid from email_mailboxes where name = $1", mailbox);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.GetInt64(0), reader.GetInt64(1)) : null;
    }

    /// <summary>Moves the position forward (never back within one UIDVALIDITY; a new UIDVALIDITY starts over).</summary>
    public async Task SavePositionAsync(string mailbox, long uidValidity, long lastUid, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.Sql("""
            insert into email_mailboxes (name, uid_validity, last_uid, updated_at) values ($1, $2, $3, $4)
            on conflict (name) do update set
                last_uid = case when email_mailboxes.uid_validity = excluded.uid_validity
                                then greatest(email_mailboxes.last_uid, excluded.last_uid) else excluded.last_uid end,
                uid_validity = excluded.uid_validity, updated_at = excluded.updated_at
            """, mailbox, uidValidity, lastUid, now).ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// The conversation a mail answers: the newest of its referenced messages we know (ours or the customer's),
    /// else the token in its subject. Follows a merge that folded the conversation into another.
    /// </summary>
    public async Task<(Guid ConversationId, string By)?> FindThreadAsync(IReadOnlyList<string> referencedIds, string? token, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        if (referencedIds.Count > 0)
        {
            await using var command = connection.Sql("""
                select coalesce(c.merged_into, c.id) from email_messages m join conversations c on c.id = m.conversation_id
                where m.message_id = any($1) order by array_position($1, m.message_id) limit 1
                """, (object)referencedIds.ToArray());
            if (await command.ExecuteScalarAsync(ct) is Guid found) return (found, "references");
        }

        if (token is null) return null;
        await using var byToken = connection.Sql("""
            select coalesce(c.merged_into, c.id) from email_threads t join conversations c on c.id = t.conversation_id where t.token = $1
            """, token);
        return await byToken.ExecuteScalarAsync(ct) is Guid byTokenId ? (byTokenId, "subject") : null;
    }

    /// <summary>Records a mail taken in (idempotent: a re-import after a crash writes nothing twice).</summary>
    public async Task RecordInboundAsync(
        string messageId, Guid conversationId, string mailbox, string? subject, IReadOnlyList<string> references, byte[] raw,
        IReadOnlyList<StoredAttachment> attachments, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await EnsureThreadAsync(connection, conversationId, mailbox, subject, now, ct);
        var inserted = await connection.Sql("""
            insert into email_messages (message_id, key, conversation_id, direction, mailbox, subject, reference_ids, raw, created_at)
            values ($1, $2, $3, 'inbound', $4, $5, $6, $7, $8) on conflict (message_id) do nothing
            """, messageId, KeyOf(messageId), conversationId, mailbox, Db.Text(subject), references.ToArray(), raw, now).ExecuteNonQueryAsync(ct);
        if (inserted > 0)
        {
            foreach (var a in attachments)
                await connection.Sql("""
                    insert into email_attachments (message_id, ordinal, file_name, content_type, content_id, inline, size, content)
                    values ($1, $2, $3, $4, $5, $6, $7, $8)
                    """, messageId, a.Ordinal, Db.Text(a.FileName), a.ContentType, Db.Text(a.ContentId), a.Inline, (long)a.Content.Length, a.Content)
                    .ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
    }

    /// <summary>Records a mail we sent, so answers to it find its conversation.</summary>
    public async Task RecordOutboundAsync(string messageId, Guid conversationId, string mailbox, string subject,
        IReadOnlyList<string> references, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.Sql("""
            insert into email_messages (message_id, key, conversation_id, direction, mailbox, subject, reference_ids, created_at)
            values ($1, $2, $3, 'outbound', $4, $5, $6, $7) on conflict (message_id) do nothing
            """, messageId, KeyOf(messageId), conversationId, mailbox, subject, references.ToArray(), now).ExecuteNonQueryAsync(ct);
    }

    /// <summary>An email an agent starts: its subject is the thread's.</summary>
    public async Task StartThreadAsync(Guid conversationId, string mailbox, string subject, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await EnsureThreadAsync(connection, conversationId, mailbox, subject, now, ct);
    }

    private static async Task EnsureThreadAsync(NpgsqlConnection connection, Guid conversationId, string mailbox, string? subject,
        DateTimeOffset now, CancellationToken ct) =>
        await connection.Sql("""
            insert into email_threads (conversation_id, mailbox, subject, token, created_at) values ($1, $2, $3, $4, $5)
            on conflict (conversation_id) do nothing
            """, conversationId, mailbox, MailText.BaseSubject(subject), TokenOf(conversationId), now).ExecuteNonQueryAsync(ct);

    public async Task<ReplyContext> ReplyContextAsync(Guid conversationId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        string? subject = null;
        await using (var thread = connection.Sql("select subject from email_threads where conversation_id = $1", conversationId))
            subject = await thread.ExecuteScalarAsync(ct) as string;

        // The reply answers the customer's last mail; its References carry that mail's chain (RFC 5322 3.6.4).
        await using var last = connection.Sql("""
            select message_id, reference_ids, subject from email_messages
            where conversation_id = $1 and direction = 'inbound' order by created_at desc limit 1
            """, conversationId);
        await using var reader = await last.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return new ReplyContext(subject ?? "(no subject)", TokenOf(conversationId), null, []);
        var messageId = reader.GetString(0);
        var chain = reader.GetFieldValue<string[]>(1).TakeLast(20).Append(messageId).ToList();
        return new ReplyContext(subject ?? MailText.BaseSubject(reader.Nullable<string>(2)), TokenOf(conversationId), messageId, chain);
    }

    /// <summary>A received mail as it arrived, with the conversation it is on now (after a merge, the one it went into).</summary>
    public async Task<(byte[] Raw, string MessageId, Guid ConversationId)?> OriginalAsync(string key, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql("""
            select m.raw, m.message_id, coalesce(c.merged_into, c.id)
            from email_messages m join conversations c on c.id = m.conversation_id where m.key = $1 and m.raw is not null
            """, key);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.GetFieldValue<byte[]>(0), reader.GetString(1), reader.GetGuid(2)) : null;
    }

    /// <summary>An attachment of a received mail, with the conversation the mail is on now.</summary>
    public async Task<(StoredAttachment Attachment, Guid ConversationId)?> AttachmentAsync(string key, int ordinal, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql("""
            select a.ordinal, a.file_name, a.content_type, a.content_id, a.inline, a.content, coalesce(c.merged_into, c.id)
            from email_attachments a join email_messages m on m.message_id = a.message_id join conversations c on c.id = m.conversation_id
            where m.key = $1 and a.ordinal = $2
            """, key, ordinal);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? (new StoredAttachment(reader.GetInt32(0), reader.Nullable<string>(1), reader.GetString(2), reader.Nullable<string>(3),
                reader.GetBoolean(4), reader.GetFieldValue<byte[]>(5)), reader.GetGuid(6))
            : null;
    }
}
