using System.Security.Cryptography;
using System.Text;
using ContactCenter.Core.Storage;
using Npgsql;

namespace ContactCenter.Core.Accounts;

/// <summary>An API key as listed: never the key itself, only its first characters.</summary>
public sealed record StoredApiKey(
    Guid Id, string Name, string Prefix, string Role, string? AgentId, DateTimeOffset? ExpiresAt, string CreatedBy,
    DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

public sealed record ApiKeyInput(string Name, string Role, string? AgentId, DateTimeOffset? ExpiresAt);

/// <summary>
/// API keys made through the admin API (table <c>api_keys</c>). The key is shown once, at creation; the table
/// holds its SHA-256 (keys are 32 random bytes, so a fast digest is safe and a lookup is one index probe).
/// </summary>
public sealed class ApiKeyRegistry(NpgsqlDataSource db, TimeProvider clock)
{
    /// <summary>Every issued key starts so: easy to spot in a leaked log or a secret scanner.</summary>
    public const string KeyPrefix = "cck_";
    private const string Columns = "id, name, prefix, role, agent_id, expires_at, created_by, created_at, revoked_at";

    public async Task<(StoredApiKey Key, string Secret)> CreateAsync(ApiKeyInput input, string by, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var secret = KeyPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.SqlNamed($"""
            insert into api_keys (id, name, key_hash, prefix, role, agent_id, expires_at, created_by, created_at)
            values (@id, @name, @hash, @prefix, @role, @agent, @expires, @by, @now) returning {Columns}
            """, ("id", Guid.CreateVersion7(now)), ("name", input.Name), ("hash", Digest(secret)), ("prefix", secret[..10]),
            ("role", input.Role), ("agent", Db.Text(input.AgentId)), ("expires", Db.Timestamp(input.ExpiresAt)), ("by", by), ("now", now));
        return ((await ReadAllAsync(command, ct)).Single(), secret);
    }

    public async Task<IReadOnlyList<StoredApiKey>> ListAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await ReadAllAsync(connection.Sql($"select {Columns} from api_keys order by created_at desc, id"), ct);
    }

    /// <summary>The key when it is live (not revoked, not expired); null for anything else.</summary>
    public async Task<StoredApiKey?> FindLiveAsync(string presented, CancellationToken ct)
    {
        if (!presented.StartsWith(KeyPrefix, StringComparison.Ordinal)) return null;
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await ReadAllAsync(connection.Sql($"""
            select {Columns} from api_keys where key_hash = $1 and revoked_at is null and (expires_at is null or expires_at > $2)
            """, Digest(presented), clock.GetUtcNow()), ct)).SingleOrDefault();
    }

    /// <summary>False when there is no such key or it was revoked already.</summary>
    public async Task<bool> RevokeAsync(Guid id, string by, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.Sql("update api_keys set revoked_at = $2, revoked_by = $3 where id = $1 and revoked_at is null",
            id, clock.GetUtcNow(), by).ExecuteNonQueryAsync(ct) == 1;
    }

    private static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    private static async Task<IReadOnlyList<StoredApiKey>> ReadAllAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var list = new List<StoredApiKey>();
        await using (command)
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
                list.Add(new StoredApiKey(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.Nullable<string>(4),
                    reader.NullableInstant(5), reader.GetString(6), reader.Instant(7), reader.NullableInstant(8)));
        }

        return list;
    }
}
