using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using ContactCenter.Core.Accounts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace ContactCenter.Server.Auth;

public sealed class ApiKeyEntry
{
    public string Name { get; set; } = "";
    public string Key { get; set; } = "";
    public string Role { get; set; } = "";
    /// <summary>The agent this key belongs to, for agent keys: assignments and replies are made in its name.</summary>
    public string? AgentId { get; set; }
    /// <summary>For agent keys: the queues whose waiting conversations the key may read (scoped access).</summary>
    public List<string> Queues { get; set; } = [];
    /// <summary>An agent key that sees every conversation, as before scoped access (tests, migrations of old set-ups).</summary>
    public bool AllConversations { get; set; }
}

public sealed class AuthOptions
{
    public List<ApiKeyEntry> ApiKeys { get; set; } = [];
}

public static class Roles
{
    public const string Agent = "agent";
    public const string Supervisor = "supervisor";
    public const string Admin = "admin";
    /// <summary>Other systems (CRM, order system): may send notifications and read customers, nothing else.</summary>
    public const string Integration = "integration";
    public static readonly string[] All = [Agent, Supervisor, Admin, Integration];
    public const string AgentIdClaim = "agent_id";
    /// <summary>The signed-in person (users.id), or the stored key (api_keys.id): who the audit trail names.</summary>
    public const string UserIdClaim = "user_id";
    public const string KeyIdClaim = "key_id";
    /// <summary>One per queue the person works (scoped access for agents).</summary>
    public const string QueueClaim = "queue";
}

/// <summary>Configured keys, compared by SHA-256 digest in constant time.</summary>
public sealed class ApiKeyStore(IOptionsMonitor<AuthOptions> options)
{
    public ClaimsPrincipal? Authenticate(string presentedKey, string scheme)
    {
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(presentedKey));
        ApiKeyEntry? match = null;
        // Every configured key is compared, matched or not, so timing tells nothing about which key is close.
        foreach (var entry in options.CurrentValue.ApiKeys)
        {
            var expected = SHA256.HashData(Encoding.UTF8.GetBytes(entry.Key));
            if (CryptographicOperations.FixedTimeEquals(presented, expected) && entry.Key.Length > 0) match = entry;
        }

        if (match is null) return null;
        List<Claim> claims = [new(ClaimTypes.Name, match.Name), new(ClaimTypes.Role, match.Role.ToLowerInvariant())];
        if (!string.IsNullOrWhiteSpace(match.AgentId)) claims.Add(new Claim(Roles.AgentIdClaim, match.AgentId));
        claims.Add(new Claim(Roles.KeyIdClaim, "config:" + match.Name));
        claims.AddRange(match.Queues.Select(q => new Claim(Roles.QueueClaim, q)));
        if (match.AllConversations) claims.Add(new Claim(ScopedAccess.AllConversationsClaim, "true"));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme));
    }

    /// <summary>Start-up check of Auth:ApiKeys: clear messages instead of keys that silently never match.</summary>
    public static IEnumerable<string> Validate(AuthOptions options)
    {
        for (var i = 0; i < options.ApiKeys.Count; i++)
        {
            var entry = options.ApiKeys[i];
            if (string.IsNullOrWhiteSpace(entry.Key)) yield return $"Auth:ApiKeys:{i} ({entry.Name}) has no Key.";
            else if (entry.Key.Length < 12) yield return $"Auth:ApiKeys:{i} ({entry.Name}) has a Key shorter than 12 characters.";
            if (!Roles.All.Contains(entry.Role, StringComparer.OrdinalIgnoreCase))
                yield return $"Auth:ApiKeys:{i} ({entry.Name}) has Role '{entry.Role}'; use agent, supervisor, admin or integration.";
        }

        foreach (var duplicate in options.ApiKeys.GroupBy(k => k.Key).Where(g => g.Key.Length > 0 && g.Count() > 1))
            yield return $"Auth:ApiKeys has the same Key on {string.Join(", ", duplicate.Select(d => d.Name))}.";
    }
}

/// <summary><c>Authorization: Bearer &lt;key&gt;</c> for API callers.</summary>
public sealed class ApiKeyHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyStore keys,
    ApiKeyRegistry stored) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header)) return AuthenticateResult.NoResult();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.Fail("Use Authorization: Bearer <key>.");
        var presented = header["Bearer ".Length..].Trim();
        // Keys in configuration first (bootstrap), then the ones issued through the admin API.
        var principal = keys.Authenticate(presented, SchemeName);
        if (principal is null && await stored.FindLiveAsync(presented, Context.RequestAborted) is { } key) principal = Principal(key);
        return principal is null
            ? AuthenticateResult.Fail("Unknown API key.")
            : AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    private static ClaimsPrincipal Principal(StoredApiKey key)
    {
        List<Claim> claims = [new(ClaimTypes.Name, key.Name), new(ClaimTypes.Role, key.Role), new(Roles.KeyIdClaim, key.Id.ToString())];
        if (key.AgentId is { } agentId) claims.Add(new Claim(Roles.AgentIdClaim, agentId));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        return Problems.WriteAsync(Context, StatusCodes.Status401Unauthorized, "Unauthorized",
            "Send a valid API key as 'Authorization: Bearer <key>'.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Problems.WriteAsync(Context, StatusCodes.Status403Forbidden, "Forbidden", "Your role may not do this.");
}
