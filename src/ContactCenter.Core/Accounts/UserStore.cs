using System.Security.Cryptography;
using System.Text;
using ContactCenter.Core.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Core.Accounts;

/// <summary>
/// The people who sign in (table <c>users</c>) and their one-time set-password links (<c>password_links</c>).
/// Passwords are hashed with ASP.NET Core Identity's <see cref="PasswordHasher{TUser}"/> (PBKDF2, versioned format).
/// </summary>
public sealed class UserStore(NpgsqlDataSource db, TimeProvider clock, IOptionsMonitor<AccountOptions> options)
{
    private const string Columns = "id, email, name, role, agent_id, queues, disabled, password_hash is not null, locked_until, created_at, updated_at";
    private static readonly PasswordHasher<User> Hasher = new();
    // Verified against when the email is unknown, so an unknown email costs the same time as a wrong password.
    private static readonly string DecoyHash = Hasher.HashPassword(null!, "decoy-" + Guid.NewGuid());

    public async Task<IReadOnlyList<User>> ListAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await ReadAllAsync(connection.Sql($"select {Columns} from users order by lower(name), id"), ct);
    }

    public async Task<User?> GetAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await ReadAllAsync(connection.Sql($"select {Columns} from users where id = $1", id), ct)).SingleOrDefault();
    }

    public async Task<User?> FindByEmailAsync(string email, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await ReadAllAsync(connection.Sql($"select {Columns} from users where lower(email) = lower($1)", email), ct)).SingleOrDefault();
    }

    /// <summary>Null when the email or the agent id is already someone else's.</summary>
    public async Task<User?> CreateAsync(UserInput input, string? password, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.SqlNamed($"""
            insert into users (id, email, name, role, agent_id, queues, disabled, password_hash, created_at, updated_at)
            values (@id, @email, @name, @role, @agent, @queues, @disabled, @hash, @now, @now)
            on conflict do nothing returning {Columns}
            """, ("id", Guid.CreateVersion7(now)), ("email", input.Email), ("name", input.Name), ("role", input.Role),
            ("agent", Db.Text(input.AgentId)), ("queues", input.Queues.ToArray()), ("disabled", input.Disabled),
            ("hash", Db.Text(password is null ? null : Hasher.HashPassword(null!, password))), ("now", now));
        return (await ReadAllAsync(command, ct)).SingleOrDefault();
    }

    /// <summary>Seeding: creates the user unless one has the email already (true when created).</summary>
    public async Task<bool> EnsureAsync(UserInput input, string password, CancellationToken ct) =>
        await FindByEmailAsync(input.Email, ct) is null && await CreateAsync(input, password, ct) is not null;

    public async Task<User?> UpdateAsync(Guid id, UserInput input, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.SqlNamed($"""
            update users set email = @email, name = @name, role = @role, agent_id = @agent, queues = @queues, disabled = @disabled,
                updated_at = @now
            where id = @id returning {Columns}
            """, ("id", id), ("email", input.Email), ("name", input.Name), ("role", input.Role), ("agent", Db.Text(input.AgentId)),
            ("queues", input.Queues.ToArray()), ("disabled", input.Disabled), ("now", clock.GetUtcNow()));
        return (await ReadAllAsync(command, ct)).SingleOrDefault();
    }

    /// <summary>
    /// The user when the email and password match an enabled, unlocked account; null otherwise, for every reason
    /// alike (the caller answers the same). Failures count towards the lockout; a success clears the count.
    /// </summary>
    public async Task<User?> SignInAsync(string email, string password, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var settings = options.CurrentValue;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        Guid id;
        string? hash;
        int failed;
        bool blocked;
        await using (var read = connection.Sql("""
            select id, password_hash, failed_sign_ins, disabled or coalesce(locked_until > $2, false)
            from users where lower(email) = lower($1) for update
            """, email, now))
        await using (var reader = await read.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct))
            {
                Hasher.VerifyHashedPassword(null!, DecoyHash, password);
                return null;
            }

            (id, hash, failed, blocked) = (reader.GetGuid(0), reader.Nullable<string>(1), reader.GetInt32(2), reader.GetBoolean(3));
        }

        var verdict = Hasher.VerifyHashedPassword(null!, hash ?? DecoyHash, password);
        if (blocked) return null; // a locked account's tries do not extend the lock: it expires when it said it would
        if (hash is null || verdict == PasswordVerificationResult.Failed)
        {
            var lockNow = failed + 1 >= settings.MaxFailedSignIns;
            await connection.Sql("update users set failed_sign_ins = $2, locked_until = $3 where id = $1",
                id, lockNow ? 0 : failed + 1, Db.Timestamp(lockNow ? now + settings.LockoutFor : null)).ExecuteNonQueryAsync(ct);
            await tx.CommitAsync(ct);
            return null;
        }

        var rehash = verdict == PasswordVerificationResult.SuccessRehashNeeded ? Hasher.HashPassword(null!, password) : null;
        await connection.Sql("update users set failed_sign_ins = 0, locked_until = null, password_hash = coalesce($2, password_hash) where id = $1",
            id, Db.Text(rehash)).ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
        return await GetAsync(id, ct);
    }

    /// <summary>A new one-time link token for the user (null: no such user). Only its digest is stored.</summary>
    public async Task<(string Token, DateTimeOffset ExpiresAt)?> IssuePasswordLinkAsync(Guid userId, string by, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var expires = now + options.CurrentValue.PasswordLinkLifetime;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql("""
            insert into password_links (token_hash, user_id, created_by, created_at, expires_at)
            select $1, id, $3, $4, $5 from users where id = $2
            """, Digest(token), userId, by, now, expires);
        return await command.ExecuteNonQueryAsync(ct) == 1 ? (token, expires) : null;
    }

    /// <summary>
    /// Sets the password through a link: the user when the link was unused and unexpired (it is used up now, in
    /// the same transaction, so two tabs cannot both use it); null otherwise. Clears any lockout.
    /// </summary>
    public async Task<User?> RedeemPasswordLinkAsync(string token, string password, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using var use = connection.Sql("""
            update password_links set used_at = $2 where token_hash = $1 and used_at is null and expires_at > $2 returning user_id
            """, Digest(token), now);
        if (await use.ExecuteScalarAsync(ct) is not Guid userId) return null;
        await connection.Sql("update users set password_hash = $2, failed_sign_ins = 0, locked_until = null, updated_at = $3 where id = $1",
            userId, Hasher.HashPassword(null!, password), now).ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
        return await GetAsync(userId, ct);
    }

    /// <summary>Whether the link would still set a password (the page checks before showing its form).</summary>
    public async Task<bool> PasswordLinkIsOpenAsync(string token, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql("select 1 from password_links where token_hash = $1 and used_at is null and expires_at > $2",
            Digest(token), clock.GetUtcNow());
        return await command.ExecuteScalarAsync(ct) is not null;
    }

    private static byte[] Digest(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    private static async Task<IReadOnlyList<User>> ReadAllAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var list = new List<User>();
        await using (command)
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
                list.Add(new User(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.Nullable<string>(4),
                    reader.GetFieldValue<string[]>(5), reader.GetBoolean(6), reader.GetBoolean(7), reader.NullableInstant(8),
                    reader.Instant(9), reader.Instant(10)));
        }

        return list;
    }
}
