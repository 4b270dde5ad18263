using System.Security.Claims;
using System.Text.Json.Nodes;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Customers;

namespace ContactCenter.Server.Auth;

/// <summary>
/// Scoped access for agents (<see cref="AccessScope"/>): a conversation or customer outside an agent's scope
/// answers 404 (not 403, so ids are not confirmed). One check for every route under
/// <c>/api/conversations/{id}</c> and <c>/api/customers/{id}</c> (a route added there later is covered without
/// a line of its own); routes that name a conversation another way (a request body, a mail's key, a recording)
/// ask <see cref="MaySeeConversationAsync"/>; lists, the desk and its live feed filter with the same rule.
/// </summary>
public static class ScopedAccess
{
    /// <summary>Claim of a configured key that may see every conversation (<c>Auth:ApiKeys:N:AllConversations</c>).</summary>
    public const string AllConversationsClaim = "all_conversations";

    /// <summary>The caller's scope; null when they see everything (supervisors, admins, integrations, unscoped keys).</summary>
    public static AccessScope? ScopeOf(this ClaimsPrincipal user)
    {
        if (!user.IsInRole(Roles.Agent) || user.HasClaim(c => c.Type == AllConversationsClaim)) return null;
        return new AccessScope(user.FindFirstValue(Roles.AgentIdClaim), [.. user.FindAll(Roles.QueueClaim).Select(c => c.Value)]);
    }

    /// <summary>True when the caller may read and act on the conversation (always, for callers without a scope).</summary>
    public static async Task<bool> MaySeeConversationAsync(
        this ClaimsPrincipal user, Guid conversationId, ConversationVisibility visibility, CancellationToken ct) =>
        user.ScopeOf() is not { } scope || await visibility.ConversationAsync(scope, conversationId, ct);

    /// <summary>True when the caller may read the customer: one of their conversations is in the caller's scope.</summary>
    public static async Task<bool> MaySeeCustomerAsync(
        this ClaimsPrincipal user, Guid customerId, ConversationVisibility visibility, CancellationToken ct) =>
        user.ScopeOf() is not { } scope || await visibility.CustomerAsync(scope, customerId, ct);

    /// <summary>The customer as the caller may see them: an agent's copy lists only the open conversations in their scope.</summary>
    public static Customer VisibleTo(this Customer customer, ClaimsPrincipal user) =>
        user.ScopeOf() is not { } scope
            ? customer
            : customer with { OpenConversations = [.. customer.OpenConversations.Where(c => scope.Allows(c.Assignee, c.Queue, c.Status))] };

    /// <summary>Runs after authorization, before the endpoint.</summary>
    public static IApplicationBuilder UseConversationScope(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            if (context.User.ScopeOf() is { } scope && Target(context) is var (kind, id))
            {
                var visibility = context.RequestServices.GetRequiredService<ConversationVisibility>();
                var visible = kind == "customer"
                    ? await visibility.CustomerAsync(scope, id, context.RequestAborted)
                    : await visibility.ConversationAsync(scope, id, context.RequestAborted);
                if (!visible)
                {
                    await Problems.WriteAsync(context, StatusCodes.Status404NotFound, "Not found", $"No {kind} {id}.");
                    return;
                }
            }

            await next(context);
        });

    /// <summary>One change of the desk feed, as the agent may see it: false hides it.</summary>
    public static async Task<bool> MaySeeAsync(AccessScope scope, string change, ConversationVisibility visibility, CancellationToken ct)
    {
        if (JsonNode.Parse(change) is not JsonObject node || node["conversationId"]?.GetValue<string>() is not { } text
            || !Guid.TryParse(text, out var conversationId))
            return true; // presence of agents, queue totals: nothing about a conversation
        if (node.ContainsKey("assignee") && node.ContainsKey("queue"))
            return scope.Allows(node["assignee"]?.GetValue<string>(), node["queue"]?.GetValue<string>(), node["status"]?.GetValue<string>());
        return await visibility.ConversationAsync(scope, conversationId, ct);
    }

    private static (string Kind, Guid Id)? Target(HttpContext context)
    {
        var path = context.Request.Path;
        if (context.Request.RouteValues.TryGetValue("id", out var value) && Guid.TryParse(value as string, out var id))
        {
            if (path.StartsWithSegments("/api/conversations")) return ("conversation", id);
            if (path.StartsWithSegments("/api/customers")) return ("customer", id);
        }

        // Calls that name a conversation in the query (a canned reply filled in for it).
        if (path.StartsWithSegments("/api") && Guid.TryParse(context.Request.Query["conversationId"].ToString(), out var named))
            return ("conversation", named);
        return null;
    }
}
