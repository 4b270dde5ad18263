using System.Security.Claims;
using ContactCenter.Core.Accounts;
using ContactCenter.Core.Routing;
using ContactCenter.Core.Scheduling;
using ContactCenter.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ContactCenter.Server.Api;

/// <summary>A queue definition as the admin API takes it (POST carries the name too).</summary>
public sealed record QueueRequest(
    string? Name,
    int? Priority,
    Dictionary<string, int>? RequiredSkills,
    BusinessHoursDefinition? BusinessHours,
    TargetOverrides? Targets,
    List<QueueStep>? Steps,
    EscalationDefinition? Escalation,
    bool? AgentsMayPick = null)
{
    public QueueDefinition ToDefinition() => QueueStore.Normalize(new QueueDefinition
    {
        Priority = Priority ?? 0,
        RequiredSkills = RequiredSkills ?? [],
        BusinessHours = BusinessHours,
        Targets = Targets,
        Steps = Steps ?? [],
        Escalation = Escalation,
        AgentsMayPick = AgentsMayPick ?? true,
    });
}

public static class QueuesApi
{
    public const int DefaultConversationLimit = 50;

    public static IEndpointRouteBuilder MapQueuesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/queues").WithTags("Queues").RequireAuthorization(Policies.Agent);
        api.MapGet("", ListAsync)
            .WithSummary("Every queue live: waiting, oldest wait, each waiting conversation's time to target, agents by state, today's share within target, breach alerts");
        api.MapGet("/{name}", GetAsync).WithSummary("One queue live");
        api.MapPost("", CreateAsync).RequireAuthorization(Policies.Admin).WithSummary("Create a queue (admin)");
        api.MapPut("/{name}", ReplaceAsync).RequireAuthorization(Policies.Admin).WithSummary("Create or replace a queue's definition (admin)");
        api.MapDelete("/{name}", DeleteAsync).RequireAuthorization(Policies.Admin).WithSummary("Delete an empty queue (admin)");
        return app;
    }

    private static async Task<Results<Ok<IReadOnlyList<QueueSnapshot>>, ProblemHttpResult>> ListAsync(
        int? limit, ClaimsPrincipal user, QueueMonitor monitor, CancellationToken ct)
    {
        if (limit is < 0 or > 1000) return Problems.BadRequest("Query 'limit' (waiting conversations listed per queue) must be between 0 and 1000.");
        return TypedResults.Ok<IReadOnlyList<QueueSnapshot>>([.. (await monitor.SnapshotAsync(null, limit ?? DefaultConversationLimit, ct)).Select(q => q.VisibleTo(user))]);
    }

    private static async Task<Results<Ok<QueueSnapshot>, ProblemHttpResult>> GetAsync(
        string name, int? limit, ClaimsPrincipal user, QueueMonitor monitor, CancellationToken ct)
    {
        if (limit is < 0 or > 1000) return Problems.BadRequest("Query 'limit' (waiting conversations listed) must be between 0 and 1000.");
        var snapshot = await monitor.SnapshotAsync(name, limit ?? DefaultConversationLimit, ct);
        return snapshot.Count == 1 ? TypedResults.Ok(snapshot[0].VisibleTo(user)) : Problems.NotFound($"No queue '{name}'.");
    }

    /// <summary>An agent sees the figures of every queue, but the waiting conversations only of the queues they work.</summary>
    private static QueueSnapshot VisibleTo(this QueueSnapshot snapshot, ClaimsPrincipal user) =>
        user.ScopeOf() is { } scope && !scope.Queues.Contains(snapshot.Name) ? snapshot with { Conversations = [] } : snapshot;

    private static async Task<Results<Created<QueueSnapshot>, ProblemHttpResult>> CreateAsync(
        QueueRequest? request, HttpContext http, AuditTrail audit, QueueStore queues, QueueMonitor monitor, CancellationToken ct)
    {
        if (request?.Name is not { } name) return Problems.BadRequest("Body must have a 'name'.");
        var definition = request.ToDefinition();
        if (Invalid(name, definition) is { } problem) return problem;
        var (result, _) = await queues.SaveAsync(name, definition, replace: false, ct);
        if (result == QueueSaveResult.Conflict) return Problems.Conflict("Queue exists", $"Queue '{name}' already exists; replace it with PUT /api/queues/{name}.");
        await audit.RecordAsync(http, AuditActions.QueueChanged, "queue", name, new { change = "created" });
        return TypedResults.Created($"/api/queues/{name}", (await monitor.SnapshotAsync(name, 0, ct))[0]);
    }

    private static async Task<Results<Ok<QueueSnapshot>, Created<QueueSnapshot>, ProblemHttpResult>> ReplaceAsync(
        string name, QueueRequest? request, HttpContext http, AuditTrail audit, QueueStore queues, QueueMonitor monitor, CancellationToken ct)
    {
        if (request is null) return Problems.BadRequest("Body must be a queue definition.");
        if (request.Name is { } other && other != name) return Problems.BadRequest("'name' in the body differs from the URL; a queue cannot be renamed.");
        var definition = request.ToDefinition();
        if (Invalid(name, definition) is { } problem) return problem;
        var (result, _) = await queues.SaveAsync(name, definition, replace: true, ct);
        await audit.RecordAsync(http, AuditActions.QueueChanged, "queue", name, new { change = result == QueueSaveResult.Created ? "created" : "replaced" });
        var snapshot = (await monitor.SnapshotAsync(name, 0, ct))[0];
        return result == QueueSaveResult.Created ? TypedResults.Created($"/api/queues/{name}", snapshot) : TypedResults.Ok(snapshot);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        string name, HttpContext http, AuditTrail audit, QueueStore queues, CancellationToken ct)
    {
        switch (await queues.DeleteAsync(name, ct))
        {
            case null: return Problems.NotFound($"No queue '{name}'.");
            case false: return Problems.Conflict("Queue not empty", $"Conversations wait in '{name}'; transfer them first.");
        }

        await audit.RecordAsync(http, AuditActions.QueueChanged, "queue", name, new { change = "deleted" });
        return TypedResults.NoContent();
    }

    private static ProblemHttpResult? Invalid(string name, QueueDefinition definition) =>
        RoutingValidation.Queue(name, definition).ToList() is { Count: > 0 } errors
            ? TypedResults.Problem(string.Join(" ", errors), statusCode: 400, title: "Invalid queue",
                extensions: new Dictionary<string, object?> { ["errors"] = errors })
            : null;
}
