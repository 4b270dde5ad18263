using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;

namespace ContactCenter.Tests.Accounts;

public sealed record ApiRoute(string Method, string Pattern, string Url);

/// <summary>The least role a route lets through (notifications and customer reads add integrations, not part of the matrix).</summary>
public enum Least
{
    Agent = 1,
    Supervisor = 2,
    Admin = 3,
}

/// <summary>How a route names the conversation (or customer) an agent's scope decides about.</summary>
public enum Scoped
{
    /// <summary>Nothing a scope hides: queues, agents, set-up.</summary>
    No,
    /// <summary><c>{id}</c> of /api/conversations/{id}/…</summary>
    Conversation,
    /// <summary><c>{id}</c> of /api/customers/{id}/…</summary>
    Customer,
    /// <summary>The customer's channel address in the query (the look-up).</summary>
    CustomerInQuery,
    /// <summary>A <c>conversationId</c> in the query.</summary>
    ConversationInQuery,
    /// <summary>A <c>conversationId</c> in the JSON body.</summary>
    ConversationInBody,
    /// <summary>A <c>customerId</c> in the JSON body.</summary>
    CustomerInBody,
    /// <summary>A received mail's key (its conversation decides).</summary>
    Mail,
    /// <summary>A call recording's sid (the conversation whose timeline holds it decides).</summary>
    Recording,
}

/// <summary>
/// One row of the authorization matrix: who may call the route, and what in it a scope decides about.
/// <paramref name="Harmless"/>: a change safe to send to every caller (presence, typing), so the allowed callers are
/// tried with it too. <paramref name="HandlerRefuses"/>: callers the role lets through but the call itself refuses (403).
/// </summary>
public sealed record MatrixRow(string Method, string Pattern, Least Least, Scoped Scoped = Scoped.No, bool Harmless = false, string[]? HandlerRefuses = null);

public static class AuthorizationMatrix
{
    private static readonly string[] NotAgents = ["supervisor", "admin"];

    /// <summary>Every API route the service has, with who may call it: the test fails for a route without a row here.</summary>
    public static IReadOnlyList<MatrixRow> Rows { get; } =
    [
        new("GET", "/api/session", Least.Agent),
        new("GET", "/api/live", Least.Supervisor),

        new("GET", "/api/customers", Least.Agent, Scoped.CustomerInQuery),
        new("GET", "/api/customers/{id:guid}", Least.Agent, Scoped.Customer),
        new("PATCH", "/api/customers/{id:guid}", Least.Agent, Scoped.Customer),
        new("GET", "/api/customers/{id:guid}/timeline", Least.Agent, Scoped.Customer),
        new("POST", "/api/customers/{id:guid}/merge", Least.Supervisor, Scoped.Customer),

        new("GET", "/api/conversations", Least.Agent),
        new("GET", "/api/conversations/{id:guid}", Least.Agent, Scoped.Conversation),
        new("GET", "/api/conversations/{id:guid}/events", Least.Agent, Scoped.Conversation),
        new("POST", "/api/conversations/{id:guid}/notes", Least.Agent, Scoped.Conversation),
        new("POST", "/api/conversations/{id:guid}/resolve", Least.Agent, Scoped.Conversation),
        new("POST", "/api/conversations/{id:guid}/reopen", Least.Agent, Scoped.Conversation),
        new("POST", "/api/conversations/{id:guid}/messages", Least.Agent, Scoped.Conversation),
        new("GET", "/api/conversations/{id:guid}/messages", Least.Agent, Scoped.Conversation),
        new("GET", "/api/conversations/{id:guid}/messages/{messageId:guid}", Least.Agent, Scoped.Conversation),
        new("POST", "/api/conversations/{id:guid}/messages/{messageId:guid}/retry", Least.Agent, Scoped.Conversation),
        new("POST", "/api/conversations/{id:guid}/handoff", Least.Agent, Scoped.Conversation),
        new("POST", "/api/conversations/{id:guid}/assign", Least.Agent, Scoped.Conversation),
        new("POST", "/api/conversations/{id:guid}/transfer", Least.Agent, Scoped.Conversation),
        new("POST", "/api/conversations/{id:guid}/takeover", Least.Agent, Scoped.Conversation),
        new("POST", "/api/conversations/{id:guid}/priority", Least.Agent, Scoped.Conversation),
        new("POST", "/api/conversations/{id:guid}/enqueue", Least.Agent, Scoped.Conversation),
        new("GET", "/api/conversations/{id:guid}/clocks", Least.Agent, Scoped.Conversation),
        new("GET", "/api/conversations/{id:guid}/tags", Least.Agent, Scoped.Conversation),
        new("POST", "/api/conversations/{id:guid}/tags", Least.Agent, Scoped.Conversation),
        new("DELETE", "/api/conversations/{id:guid}/tags/{tag}", Least.Agent, Scoped.Conversation),
        new("GET", "/api/conversations/{id:guid}/viewers", Least.Agent, Scoped.Conversation),
        new("POST", "/api/conversations/{id:guid}/read", Least.Agent, Scoped.Conversation, Harmless: true),
        new("GET", "/api/conversations/{id:guid}/reply-rules", Least.Agent, Scoped.Conversation),

        new("GET", "/api/desk/inbox", Least.Agent),
        new("GET", "/api/desk/live", Least.Agent),
        new("GET", "/api/desk/me", Least.Agent),
        new("POST", "/api/desk/heartbeat", Least.Agent, Scoped.ConversationInBody, Harmless: true),
        new("POST", "/api/desk/leave", Least.Agent, Harmless: true),
        new("POST", "/api/desk/typing", Least.Agent, Scoped.ConversationInBody, Harmless: true),

        new("GET", "/api/email/messages/{key}/original", Least.Agent, Scoped.Mail),
        new("GET", "/api/email/messages/{key}/attachments/{ordinal:int}", Least.Agent, Scoped.Mail),
        new("POST", "/api/email/conversations", Least.Agent, Scoped.CustomerInBody),
        new("GET", "/api/email/rejected", Least.Admin),
        new("GET", "/api/email/rejected/{id:long}/raw", Least.Admin),

        new("GET", "/api/recordings/{sid}", Least.Agent, Scoped.Recording),
        new("GET", "/api/agents/me/voice-token", Least.Agent, HandlerRefuses: NotAgents),

        new("GET", "/api/queues", Least.Agent),
        new("GET", "/api/queues/{name}", Least.Agent),
        new("POST", "/api/queues", Least.Admin),
        new("PUT", "/api/queues/{name}", Least.Admin),
        new("DELETE", "/api/queues/{name}", Least.Admin),
        new("GET", "/api/queues/{name}/forecast", Least.Supervisor),
        new("GET", "/api/forecasts", Least.Supervisor),

        new("GET", "/api/agents", Least.Agent),
        new("GET", "/api/agents/{id}", Least.Agent),
        new("POST", "/api/agents", Least.Admin),
        new("PUT", "/api/agents/{id}", Least.Admin),
        new("POST", "/api/agents/{id}/status", Least.Agent),

        new("GET", "/api/console/agents", Least.Supervisor),
        new("POST", "/api/console/alerts/acknowledge", Least.Supervisor),
        new("GET", "/api/reports/{report}", Least.Supervisor),
        new("GET", "/api/bot/metrics", Least.Agent),

        new("GET", "/api/kb/articles", Least.Agent),
        new("GET", "/api/kb/articles/{id:guid}", Least.Agent),
        new("POST", "/api/kb/articles", Least.Supervisor),
        new("PUT", "/api/kb/articles/{id:guid}", Least.Supervisor),

        new("GET", "/api/canned-replies", Least.Agent),
        new("GET", "/api/canned-replies/{id:guid}", Least.Agent),
        new("GET", "/api/canned-replies/{id:guid}/filled", Least.Agent, Scoped.ConversationInQuery),
        new("POST", "/api/canned-replies", Least.Supervisor),
        new("PUT", "/api/canned-replies/{id:guid}", Least.Supervisor),
        new("DELETE", "/api/canned-replies/{id:guid}", Least.Supervisor),

        new("POST", "/api/notifications", Least.Supervisor),
        new("GET", "/api/notifications/{id:guid}", Least.Supervisor),
        new("POST", "/api/notifications/{id:guid}/cancel", Least.Supervisor),

        new("GET", "/api/webhooks/subscriptions", Least.Admin),
        new("POST", "/api/webhooks/subscriptions", Least.Admin),
        new("GET", "/api/webhooks/subscriptions/{id:guid}", Least.Admin),
        new("DELETE", "/api/webhooks/subscriptions/{id:guid}", Least.Admin),
        new("POST", "/api/webhooks/subscriptions/{id:guid}/enable", Least.Admin),
        new("GET", "/api/webhooks/subscriptions/{id:guid}/deliveries", Least.Admin),
        new("POST", "/api/webhooks/deliveries/{id:long}/replay", Least.Admin),

        new("GET", "/api/admin/work", Least.Admin),
        new("POST", "/api/admin/work/{id:long}/retry", Least.Admin),
        new("GET", "/api/audit", Least.Admin),
        new("GET", "/api/users", Least.Admin),
        new("POST", "/api/users", Least.Admin),
        new("GET", "/api/users/{id:guid}", Least.Admin),
        new("PUT", "/api/users/{id:guid}", Least.Admin),
        new("POST", "/api/users/{id:guid}/password-link", Least.Admin),
        new("GET", "/api/keys", Least.Admin),
        new("POST", "/api/keys", Least.Admin),
        new("DELETE", "/api/keys/{id:guid}", Least.Admin),
    ];

    /// <summary>
    /// Every API route the app maps (from its <see cref="EndpointDataSource"/>), with placeholder values for the
    /// route parameters: <paramref name="values"/> where given, else a fresh guid for ids, "1" for numbers, "x" otherwise.
    /// </summary>
    public static IReadOnlyList<ApiRoute> ApiRoutes(ContactCenterApp app, IReadOnlyDictionary<string, string>? values = null)
    {
        var routes = new List<ApiRoute>();
        foreach (var endpoint in app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var pattern = endpoint.RoutePattern;
            var raw = "/" + (pattern.RawText ?? "").Trim('/');
            if (!raw.StartsWith("/api/", StringComparison.Ordinal)) continue;
            var methods = endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            var url = string.Concat(pattern.PathSegments.Select(segment => "/" + string.Concat(segment.Parts.Select(part => part switch
            {
                RoutePatternLiteralPart literal => literal.Content,
                RoutePatternParameterPart parameter => values?.GetValueOrDefault(parameter.Name)
                    ?? (parameter.ParameterPolicies.Any(p => p.Content == "guid") ? Guid.NewGuid().ToString()
                        : parameter.ParameterPolicies.Any(p => p.Content is "int" or "long") ? "1" : "x"),
                RoutePatternSeparatorPart separator => separator.Content,
                _ => "",
            }))));
            foreach (var method in methods) routes.Add(new ApiRoute(method, raw, url));
        }

        return routes.DistinctBy(r => (r.Method, r.Pattern)).OrderBy(r => r.Pattern, StringComparer.Ordinal).ThenBy(r => r.Method).ToList();
    }
}
