using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ContactCenter.Core.Storage;
using Npgsql;

namespace ContactCenter.Channels.Webchat;

/// <summary>A visitor session: who the token belongs to and which webchat address (customer identity) it reads.</summary>
/// <param name="VerifiedEmail">The e-mail the website vouched for (verified visitors only), lower-cased.</param>
public sealed record Visitor(
    Guid Id, string Widget, string Address, bool Verified, string? Name, JsonObject PreChat, string? Language, string? VerifiedEmail = null);

/// <summary>What a new session asked for.</summary>
public sealed record NewVisitor(
    string Widget, string Address, bool Verified, string? Name, JsonObject PreChat, string? Language, string? VerifiedEmail = null);

/// <summary>
/// Table <c>webchat_visitors</c>: a session is a random token (shown once, stored as its SHA-256) bound to one
/// webchat address. The token is the visitor's only key: it reads that address's conversations and nothing else.
/// </summary>
public sealed class VisitorStore(NpgsqlDataSource db, TimeProvider clock)
{
    private const string TokenPrefix = "wct_";

    public async Task<(Visitor Visitor, string Token)> StartAsync(NewVisitor visitor, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var id = Guid.CreateVersion7(now);
        var token = TokenPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.SqlNamed("""
            insert into webchat_visitors (id, widget, token_hash, address, verified, name, pre_chat, language, created_at, seen_at, verified_email)
            values (@id, @widget, @hash, @address, @verified, @name, @preChat, @language, @now, @now, @email)
            """,
            ("id", id), ("widget", visitor.Widget), ("hash", Hash(token)), ("address", visitor.Address), ("verified", visitor.Verified),
            ("name", Db.Text(visitor.Name)), ("preChat", Db.Jsonb(visitor.PreChat.ToJsonString())), ("language", Db.Text(visitor.Language)),
            ("now", now), ("email", Db.Text(visitor.VerifiedEmail))).ExecuteNonQueryAsync(ct);
        return (new Visitor(id, visitor.Widget, visitor.Address, visitor.Verified, visitor.Name, visitor.PreChat, visitor.Language,
            visitor.VerifiedEmail), token);
    }

    /// <summary>The session a token opens, or null (unknown, malformed).</summary>
    public async Task<Visitor?> AuthenticateAsync(string? token, CancellationToken ct)
    {
        if (token is not { Length: > 10 and < 100 } || !token.StartsWith(TokenPrefix, StringComparison.Ordinal)) return null;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql(
            "select id, widget, address, verified, name, pre_chat::text, language, verified_email from webchat_visitors where token_hash = $1",
            Hash(token));
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new Visitor(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetBoolean(3), reader.Nullable<string>(4),
            JsonNode.Parse(reader.GetString(5))!.AsObject(), reader.Nullable<string>(6), reader.Nullable<string>(7));
    }

    /// <summary>The pre-chat answers (name, email, topic), given once the form is filled in.</summary>
    public async Task SavePreChatAsync(Guid visitorId, string? name, JsonObject preChat, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.Sql("update webchat_visitors set pre_chat = $2, name = coalesce($3, name) where id = $1",
            visitorId, Db.Jsonb(preChat.ToJsonString()), Db.Text(name)).ExecuteNonQueryAsync(ct);
    }

    /// <summary>The visitors with these addresses have the widget open with a live connection now.</summary>
    public async Task MarkOnPageAsync(IReadOnlyCollection<string> addresses, CancellationToken ct)
    {
        if (addresses.Count == 0) return;
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.Sql("update webchat_visitors set on_page_at = $2 where address = any($1)", addresses.ToArray(), clock.GetUtcNow())
            .ExecuteNonQueryAsync(ct);
    }

    /// <summary>Whether the visitor with <paramref name="address"/> had the widget open (a live connection) since <paramref name="since"/>.</summary>
    public async Task<bool> OnPageSinceAsync(string address, DateTimeOffset since, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.Sql("select exists (select 1 from webchat_visitors where address = $1 and on_page_at > $2)", address, since)
            .ExecuteScalarAsync(ct) is true;
    }

    /// <summary>A fresh random address for an anonymous visitor: a customer of their own.</summary>
    public static string AnonymousAddress() => "v_" + Base64Url(RandomNumberGenerator.GetBytes(16));

    /// <summary>A verified user's address: the same user id gives the same customer on every device, without storing the id.</summary>
    public static string UserAddress(string userId) =>
        "u_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("webchat-user:" + userId)))[..40];

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
