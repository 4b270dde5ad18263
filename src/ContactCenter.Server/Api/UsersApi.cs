using System.Text.RegularExpressions;
using ContactCenter.Core.Accounts;
using ContactCenter.Server.Auth;
using ContactCenter.Server.Pages;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ContactCenter.Server.Api;

public sealed record UserRequest(string? Email, string? Name, string? Role, string? AgentId, List<string>? Queues, bool? Disabled, string? Password);

public sealed record PasswordLink(string Url, DateTimeOffset ExpiresAt);

public sealed record ApiKeyRequest(string? Name, string? Role, string? AgentId, DateTimeOffset? ExpiresAt);

/// <summary>A key as created: the only time the key itself is shown.</summary>
public sealed record CreatedApiKey(Guid Id, string Name, string Prefix, string Role, string? AgentId, DateTimeOffset? ExpiresAt, string Key);

/// <summary>Admins manage the people who sign in and the API keys other systems use; every change is audited.</summary>
public static partial class UsersApi
{
    private static readonly string[] PersonRoles = [Roles.Agent, Roles.Supervisor, Roles.Admin];

    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/api/users").WithTags("Users").RequireAuthorization(Policies.Admin);
        users.MapGet("", async (UserStore store, CancellationToken ct) => TypedResults.Ok(await store.ListAsync(ct))).WithSummary("Everyone who signs in");
        users.MapGet("/{id:guid}", GetAsync).WithSummary("One user");
        users.MapPost("", CreateAsync).WithSummary("Add a person (optionally with a first password; else issue a password link)");
        users.MapPut("/{id:guid}", UpdateAsync).WithSummary("Change a person's name, email, role, agent id, queues or disable them (their sessions end)");
        users.MapPost("/{id:guid}/password-link", PasswordLinkAsync).WithSummary("A one-time link to set a password (expires, works once)");

        var keys = app.MapGroup("/api/keys").WithTags("API keys").RequireAuthorization(Policies.Admin);
        keys.MapGet("", async (ApiKeyRegistry registry, CancellationToken ct) => TypedResults.Ok(await registry.ListAsync(ct)))
            .WithSummary("Issued API keys (never the keys themselves)");
        keys.MapPost("", CreateKeyAsync).WithSummary("Issue an API key with a role and an optional expiry: the key is shown only in this answer");
        keys.MapDelete("/{id:guid}", RevokeKeyAsync).WithSummary("Revoke an API key");
        return app;
    }

    private static async Task<Results<Ok<User>, ProblemHttpResult>> GetAsync(Guid id, UserStore store, CancellationToken ct) =>
        await store.GetAsync(id, ct) is { } user ? TypedResults.Ok(user) : Problems.NotFound($"No user {id}.");

    private static async Task<Results<Created<User>, ProblemHttpResult>> CreateAsync(
        UserRequest? request, HttpContext http, UserStore store, AuditTrail audit, IOptions<AccountOptions> options, CancellationToken ct)
    {
        if (Validate(request, options.Value) is { } problem) return problem;
        if (await store.CreateAsync(Input(request!), request!.Password, ct) is not { } user) return Taken();
        await audit.RecordAsync(http, AuditActions.UserCreated, "user", user.Id.ToString(),
            new { user.Role, user.AgentId, user.Queues, withPassword = request.Password is not null });
        return TypedResults.Created($"/api/users/{user.Id}", user);
    }

    private static async Task<Results<Ok<User>, ProblemHttpResult>> UpdateAsync(
        Guid id, UserRequest? request, HttpContext http, UserStore store, SessionStore sessions, AuditTrail audit,
        IOptions<AccountOptions> options, CancellationToken ct)
    {
        if (Validate(request, options.Value) is { } problem) return problem;
        if (request!.Password is not null) return Problems.BadRequest("Passwords are set by the person, through a password link.");
        if (await store.GetAsync(id, ct) is not { } before) return Problems.NotFound($"No user {id}.");
        User? after;
        try
        {
            after = await store.UpdateAsync(id, Input(request), ct);
        }
        catch (Npgsql.PostgresException e) when (e.SqlState == Npgsql.PostgresErrorCodes.UniqueViolation)
        {
            return Taken();
        }

        if (after is null) return Problems.NotFound($"No user {id}.");
        // The sign-in cookie carries role, agent id and queues: a change of any of them takes effect at once.
        var changed = Changes(before, after);
        if (changed.Intersect(["role", "agentId", "queues", "disabled"]).Any()) await sessions.EndForUserAsync(id, ct);
        await audit.RecordAsync(http, AuditActions.UserChanged, "user", id.ToString(), new { changed, after.Role, after.Disabled });
        return TypedResults.Ok(after);
    }

    private static async Task<Results<Ok<PasswordLink>, ProblemHttpResult>> PasswordLinkAsync(
        Guid id, HttpContext http, UserStore store, AuditTrail audit, CancellationToken ct)
    {
        if (await store.IssuePasswordLinkAsync(id, http.User.Identity?.Name ?? "unknown", ct) is not var (token, expiresAt))
            return Problems.NotFound($"No user {id}.");
        await audit.RecordAsync(http, AuditActions.PasswordLinkIssued, "user", id.ToString(), new { expiresAt });
        var url = $"{http.Request.Scheme}://{http.Request.Host}{PasswordLinkPage.Path}?token={Uri.EscapeDataString(token)}";
        return TypedResults.Ok(new PasswordLink(url, expiresAt));
    }

    private static async Task<Results<Created<CreatedApiKey>, ProblemHttpResult>> CreateKeyAsync(
        ApiKeyRequest? request, HttpContext http, ApiKeyRegistry registry, AuditTrail audit, TimeProvider clock, CancellationToken ct)
    {
        if (request is null) return Problems.BadRequest("Body must be a JSON object with 'name', 'role' and optionally 'agentId' and 'expiresAt'.");
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Trim().Length > 100) return Problems.BadRequest("'name' is required (at most 100 characters).");
        if (!Roles.All.Contains(request.Role)) return Problems.BadRequest($"'role' must be one of: {string.Join(", ", Roles.All)}.");
        if (request.AgentId is { } agentId && !AgentIdPattern().IsMatch(agentId)) return Problems.BadRequest("'agentId' must be 1–100 letters, digits, '.', '_' or '-'.");
        if (request.ExpiresAt is { } expires && expires <= clock.GetUtcNow()) return Problems.BadRequest("'expiresAt' must be in the future.");
        var (key, secret) = await registry.CreateAsync(new ApiKeyInput(request.Name.Trim(), request.Role!, request.AgentId, request.ExpiresAt),
            http.User.Identity?.Name ?? "unknown", ct);
        await audit.RecordAsync(http, AuditActions.KeyCreated, "key", key.Id.ToString(), new { key.Name, key.Role, key.AgentId, key.ExpiresAt });
        return TypedResults.Created($"/api/keys/{key.Id}", new CreatedApiKey(key.Id, key.Name, key.Prefix, key.Role, key.AgentId, key.ExpiresAt, secret));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeKeyAsync(
        Guid id, HttpContext http, ApiKeyRegistry registry, AuditTrail audit, CancellationToken ct)
    {
        if (!await registry.RevokeAsync(id, http.User.Identity?.Name ?? "unknown", ct)) return Problems.NotFound($"No live API key {id}.");
        await audit.RecordAsync(http, AuditActions.KeyRevoked, "key", id.ToString());
        return TypedResults.NoContent();
    }

    private static ProblemHttpResult Taken() =>
        Problems.Conflict("Already taken", "Another user has this email or this agent id.");

    private static List<string> Changes(User before, User after)
    {
        var changed = new List<string>();
        if (!string.Equals(before.Email, after.Email, StringComparison.OrdinalIgnoreCase)) changed.Add("email");
        if (before.Name != after.Name) changed.Add("name");
        if (before.Role != after.Role) changed.Add("role");
        if (before.AgentId != after.AgentId) changed.Add("agentId");
        if (!before.Queues.SequenceEqual(after.Queues)) changed.Add("queues");
        if (before.Disabled != after.Disabled) changed.Add("disabled");
        return changed;
    }

    private static UserInput Input(UserRequest request) =>
        new(request.Email!.Trim(), request.Name!.Trim(), request.Role!, string.IsNullOrWhiteSpace(request.AgentId) ? null : request.AgentId.Trim(),
            [.. (request.Queues ?? []).Select(q => q.Trim()).Distinct()], request.Disabled ?? false);

    private static ProblemHttpResult? Validate(UserRequest? request, AccountOptions options)
    {
        if (request is null) return Problems.BadRequest("Body must be a JSON object with 'email', 'name', 'role' and optionally 'agentId', 'queues', 'disabled'.");
        if (string.IsNullOrWhiteSpace(request.Email) || request.Email.Trim().Length > 254 || !EmailPattern().IsMatch(request.Email.Trim()))
            return Problems.BadRequest("'email' must be an email address.");
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Trim().Length > 100) return Problems.BadRequest("'name' is required (at most 100 characters).");
        if (!PersonRoles.Contains(request.Role)) return Problems.BadRequest($"'role' must be one of: {string.Join(", ", PersonRoles)}.");
        if (!string.IsNullOrWhiteSpace(request.AgentId) && !AgentIdPattern().IsMatch(request.AgentId.Trim()))
            return Problems.BadRequest("'agentId' must be 1–100 letters, digits, '.', '_' or '-'.");
        if (request.Role == Roles.Agent && string.IsNullOrWhiteSpace(request.AgentId)) return Problems.BadRequest("An agent needs an 'agentId' to answer as.");
        if (request.Queues is { } queues && (queues.Count > 50 || queues.Any(q => string.IsNullOrWhiteSpace(q) || q.Length > 100)))
            return Problems.BadRequest("'queues' must be at most 50 queue names.");
        if (request.Password is { } password && (password.Length < options.MinPasswordLength || password.Length > 200))
            return Problems.BadRequest($"'password' must be {options.MinPasswordLength} to 200 characters.");
        return null;
    }

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+$")]
    private static partial Regex EmailPattern();

    [GeneratedRegex(@"^[A-Za-z0-9._-]{1,100}$")]
    private static partial Regex AgentIdPattern();
}
