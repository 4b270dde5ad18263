using System.Security.Cryptography;
using System.Text;
using ContactCenter.Core.Storage;
using Npgsql;

namespace ContactCenter.Core.Accounts;

/// <summary>A live session: the host's serialized ticket and the user it belongs to (null for a key sign-in).</summary>
public sealed record StoredSession(byte[] Ticket, Guid? UserId);

/// <summary>
/// Server-side sign-in sessions (table <c>user_sessions</c>). The cookie carries a random session key; the
/// row keeps only its digest, so signing out (or disabling the user) ends the session for every copy of the cookie.
/// </summary>
public sealed class SessionStore(NpgsqlDataSource db, TimeProvider clock)
{
    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public async Task CreateAsync(string key, Guid? userId, string actor, byte[] ticket, DateTimeOffset? expiresAt, string? ip, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.SqlNamed("""
            insert into user_sessions (key_hash, user_id, actor, ticket, created_at, expires_at, ip)
            values (@key, @user, @actor, @ticket, @now, @expires, @ip)
            """, ("key", Digest(key)), ("user", Db.Uuid(userId)), ("actor", actor), ("ticket", ticket), ("now", clock.GetUtcNow()),
            ("expires", Db.Timestamp(expiresAt)), ("ip", Db.Text(ip))).ExecuteNonQueryAsync(ct);
    }

    /// <summary>The session when it is live: not ended, not expired, and its user (if any) still enabled.</summary>
    public async Task<StoredSession?> GetAsync(string key, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql("""
            select s.ticket, s.user_id from user_sessions s left join users u on u.id = s.user_id
            where s.key_hash = $1 and s.ended_at is null and (s.expires_at is null or s.expires_at > $2)
              and (s.user_id is null or not u.disabled)
            """, Digest(key), clock.GetUtcNow());
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new StoredSession(reader.GetFieldValue<byte[]>(0), reader.Nullable<Guid?>(1)) : null;
    }

    public async Task RenewAsync(string key, byte[] ticket, DateTimeOffset? expiresAt, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.Sql("update user_sessions set ticket = $2, expires_at = $3 where key_hash = $1 and ended_at is null",
            Digest(key), ticket, Db.Timestamp(expiresAt)).ExecuteNonQueryAsync(ct);
    }

    public async Task EndAsync(string key, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.Sql("update user_sessions set ended_at = $2 where key_hash = $1 and ended_at is null", Digest(key), clock.GetUtcNow())
            .ExecuteNonQueryAsync(ct);
    }

    /// <summary>Ends every session of the user (disabled, role changed): they sign in again.</summary>
    public async Task<int> EndForUserAsync(Guid userId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.Sql("update user_sessions set ended_at = $2 where user_id = $1 and ended_at is null", userId, clock.GetUtcNow())
            .ExecuteNonQueryAsync(ct);
    }

    private static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
