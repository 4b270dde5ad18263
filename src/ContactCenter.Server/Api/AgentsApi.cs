using System.Security.Claims;
using ContactCenter.Core.Accounts;
using ContactCenter.Core.Routing;
using ContactCenter.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ContactCenter.Server.Api;

public sealed record CreateAgentRequest(
    string? Id, string? Name, Dictionary<string, int>? Skills, Dictionary<string, int>? Capacity, string? Status);

public sealed record UpdateAgentRequest(string? Name, Dictionary<string, int>? Skills, Dictionary<string, int>? Capacity);

public sealed record AgentStatusRequest(string? Status);

public static class AgentsApi
{
    public static IEndpointRouteBuilder MapAgentsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/agents").WithTags("Agents").RequireAuthorization(Policies.Agent);
        api.MapGet("", ListAsync).WithSummary("Every agent: status, skills, capacity and current load");
        api.MapGet("/{id}", GetAsync).WithSummary("One agent");
        api.MapPost("", CreateAsync).RequireAuthorization(Policies.Admin).WithSummary("Create an agent (admin)");
        api.MapPut("/{id}", UpdateAsync).RequireAuthorization(Policies.Admin).WithSummary("Change an agent's name, skills, capacity (admin)");
        api.MapPost("/{id}/status", SetStatusAsync)
            .WithSummary("available | away | offline: agents set their own, supervisors anyone's; going offline requeues the agent's conversations");
        return app;
    }

    private static async Task<Ok<IReadOnlyList<Agent>>> ListAsync(AgentStore agents, CancellationToken ct) =>
        TypedResults.Ok(await agents.ListAsync(ct));

    private static async Task<Results<Ok<Agent>, ProblemHttpResult>> GetAsync(string id, AgentStore agents, CancellationToken ct) =>
        await agents.GetAsync(id, ct) is { } agent ? TypedResults.Ok(agent) : Problems.NotFound($"No agent '{id}'.");

    private static async Task<Results<Created<Agent>, ProblemHttpResult>> CreateAsync(
        CreateAgentRequest? request, HttpContext http, AuditTrail audit, AgentStore agents, CancellationToken ct)
    {
        if (request?.Id is not { } id) return Problems.BadRequest("Body must have an 'id' (the AgentId of the agent's API key).");
        var definition = new AgentDefinition
        {
            Name = request.Name,
            Skills = request.Skills ?? [],
            Capacity = request.Capacity,
            Status = request.Status,
        };
        if (Invalid(id, agents.Normalize(definition)) is { } problem) return problem;
        var (result, agent) = await agents.SaveAsync(id, definition, create: true, replace: false, ct);
        if (result == AgentSaveResult.Created) await audit.RecordAsync(http, AuditActions.AgentChanged, "agent", id, new { change = "created" });
        return result == AgentSaveResult.Created
            ? TypedResults.Created($"/api/agents/{id}", agent!)
            : Problems.Conflict("Agent exists", $"Agent '{id}' already exists; change it with PUT /api/agents/{id}.");
    }

    private static async Task<Results<Ok<Agent>, ProblemHttpResult>> UpdateAsync(
        string id, UpdateAgentRequest? request, HttpContext http, AuditTrail audit, AgentStore agents, CancellationToken ct)
    {
        if (request is null) return Problems.BadRequest("Body must be a JSON object with 'name', 'skills' and/or 'capacity'.");
        var current = await agents.GetAsync(id, ct);
        if (current is null) return Problems.NotFound($"No agent '{id}'.");
        var definition = new AgentDefinition
        {
            Name = request.Name,
            Skills = request.Skills ?? new Dictionary<string, int>(current.Skills),
            Capacity = request.Capacity ?? new Dictionary<string, int>(current.Capacity),
        };
        if (Invalid(id, agents.Normalize(definition)) is { } problem) return problem;
        var (result, agent) = await agents.SaveAsync(id, definition, create: false, replace: true, ct);
        if (result == AgentSaveResult.Updated) await audit.RecordAsync(http, AuditActions.AgentChanged, "agent", id, new { change = "updated" });
        return result == AgentSaveResult.Updated ? TypedResults.Ok(agent!) : Problems.NotFound($"No agent '{id}'.");
    }

    private static async Task<Results<Ok<Agent>, ProblemHttpResult>> SetStatusAsync(
        string id, AgentStatusRequest? request, ClaimsPrincipal user, HttpContext http, AuditTrail audit, AgentStore agents, RoutingEngine routing,
        CancellationToken ct)
    {
        if (request?.Status is not { } status || !AgentStatus.All.Contains(status))
            return Problems.BadRequest("Body must have 'status': available, away or offline.");
        if (!user.IsInRole(Roles.Supervisor) && !user.IsInRole(Roles.Admin) && user.FindFirstValue(Roles.AgentIdClaim) != id)
            return TypedResults.Problem("Agents set their own status; supervisors set anyone's.", statusCode: 403, title: "Forbidden");
        var previous = await agents.SetStatusAsync(id, status, user.Actor(), ct);
        if (previous is null) return Problems.NotFound($"No agent '{id}'.");
        // Setting someone else's status is a supervisor forcing it: audited (an agent's own changes are not).
        if (user.FindFirstValue(Roles.AgentIdClaim) != id) await audit.RecordAsync(http, AuditActions.StatusForced, "agent", id, new { status });
        if (status == AgentStatus.Offline) await routing.RequeueAgentAsync(id, user.Actor(), ct);
        return TypedResults.Ok((await agents.GetAsync(id, ct))!);
    }

    private static ProblemHttpResult? Invalid(string id, AgentDefinition definition) =>
        RoutingValidation.Agent(id, definition).ToList() is { Count: > 0 } errors
            ? TypedResults.Problem(string.Join(" ", errors), statusCode: 400, title: "Invalid agent",
                extensions: new Dictionary<string, object?> { ["errors"] = errors })
            : null;
}
