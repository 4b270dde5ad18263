using System.Security.Claims;
using ContactCenter.Core.Accounts;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.ResponseTargets;
using ContactCenter.Core.Routing;
using ContactCenter.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ContactCenter.Server.Api;

public sealed record AssignRequest(string? AgentId);

public sealed record TransferRequest(string? Queue, string? AgentId, string? Reason);

public sealed record TakeoverRequest(string? Reason);

public sealed record PriorityRequest(int? Priority);

public sealed record EnqueueRequest(string? Queue, int? Priority, string? Reason);

/// <summary>Routing actions on one conversation, next to the conversation API (resolve lives there).</summary>
public static class RoutingApi
{
    public static IEndpointRouteBuilder MapRoutingApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/conversations").WithTags("Conversations").RequireAuthorization(Policies.Agent);
        api.MapPost("/{id:guid}/assign", AssignAsync)
            .WithSummary("Give it to an agent: agents take it themselves, supervisors give it to anyone (capacity is always respected)");
        api.MapPost("/{id:guid}/transfer", TransferAsync)
            .WithSummary("Move it to another queue or agent: its assignee or a supervisor");
        api.MapPost("/{id:guid}/takeover", TakeoverAsync)
            .WithSummary("Take it over from its owner (or its queue): the caller becomes the assignee, capacity respected; on the timeline");
        api.MapPost("/{id:guid}/priority", PriorityAsync).WithSummary("Change its priority (its owner or a supervisor): a waiting one moves in its queue");
        api.MapPost("/{id:guid}/enqueue", EnqueueAsync).WithSummary("Put a conversation no agent has into a queue");
        api.MapGet("/{id:guid}/clocks", ClocksAsync)
            .WithSummary("Its response clocks: first response, next responses, resolution; elapsed time and whether each met its target");
        return app;
    }

    internal static bool IsSupervisor(this ClaimsPrincipal user) => user.IsInRole(Roles.Supervisor) || user.IsInRole(Roles.Admin);

    /// <summary>The caller as the conversation access rule sees them.</summary>
    public static ConversationActor ConversationActor(this ClaimsPrincipal user) =>
        new(user.Identity?.Name ?? "unknown", user.FindFirstValue(Roles.AgentIdClaim), user.IsSupervisor());

    private static async Task<Results<Ok<Conversation>, ProblemHttpResult>> AssignAsync(
        Guid id, AssignRequest? request, ClaimsPrincipal user, RoutingEngine routing, ConversationStore conversations, QueueStore queues,
        CancellationToken ct)
    {
        var self = user.FindFirstValue(Roles.AgentIdClaim);
        var agentId = request?.AgentId ?? self;
        if (agentId is null) return Problems.BadRequest("Body must name the 'agentId' (keys without an agent id cannot take conversations).");
        if (agentId != self && !IsSupervisor(user))
            return TypedResults.Problem("Agents take conversations themselves; supervisors assign them to others.", statusCode: 403, title: "Forbidden");
        // A queue may keep its waiting conversations for routing alone: agents do not pick from it (supervisors still assign).
        if (!IsSupervisor(user) && await conversations.GetAsync(id, ct) is { Status: ConversationStatus.Queued, Queue: { } queueName }
            && await queues.GetAsync(queueName, ct) is { Definition.AgentsMayPick: false })
            return TypedResults.Problem($"Agents do not pick conversations from queue '{queueName}'; routing assigns them.", statusCode: 403, title: "Forbidden");
        return Answer(await routing.AssignAsync(id, agentId, user.Actor(), ct));
    }

    private static async Task<Results<Ok<Conversation>, ProblemHttpResult>> TransferAsync(
        Guid id, TransferRequest? request, ClaimsPrincipal user, RoutingEngine routing, CancellationToken ct)
    {
        if (request is null || (request.Queue is null) == (request.AgentId is null))
            return Problems.BadRequest("Body must have exactly one of 'queue' or 'agentId'.");
        if (request.Reason is { Length: > 500 }) return Problems.BadRequest("'reason' is longer than 500 characters.");
        return Answer(await routing.TransferAsync(id, new TransferTarget(request.Queue, request.AgentId), user.ConversationActor(), request.Reason, ct));
    }

    private static async Task<Results<Ok<Conversation>, ProblemHttpResult>> TakeoverAsync(
        Guid id, TakeoverRequest? request, ClaimsPrincipal user, HttpContext http, AuditTrail audit, RoutingEngine routing, CancellationToken ct)
    {
        if (user.FindFirstValue(Roles.AgentIdClaim) is not { } self)
            return Problems.BadRequest("Only a key with an agent id can take a conversation over.");
        if (request?.Reason is { Length: > 500 }) return Problems.BadRequest("'reason' is longer than 500 characters.");
        var outcome = await routing.TakeoverAsync(id, self, request?.Reason, ct);
        if (outcome is RoutingOutcome.Done) await audit.RecordAsync(http, AuditActions.TakenOver, "conversation", id.ToString(), new { agentId = self });
        return Answer(outcome);
    }

    private static async Task<Results<Ok<Conversation>, ProblemHttpResult>> PriorityAsync(
        Guid id, PriorityRequest? request, ClaimsPrincipal user, RoutingEngine routing, CancellationToken ct)
    {
        if (request?.Priority is not { } priority || priority is < -RoutingValidation.MaxPriority or > RoutingValidation.MaxPriority)
            return Problems.BadRequest($"Body must have 'priority' between -{RoutingValidation.MaxPriority} and {RoutingValidation.MaxPriority}.");
        return Answer(await routing.SetPriorityAsync(id, priority, user.ConversationActor(), ct));
    }

    private static async Task<Results<Ok<Conversation>, ProblemHttpResult>> EnqueueAsync(
        Guid id, EnqueueRequest? request, ClaimsPrincipal user, RoutingEngine routing, QueueStore queues, CancellationToken ct)
    {
        if (request?.Queue is not { } queue) return Problems.BadRequest("Body must have a 'queue'.");
        if (request.Priority is < -RoutingValidation.MaxPriority or > RoutingValidation.MaxPriority)
            return Problems.BadRequest($"'priority' must be between -{RoutingValidation.MaxPriority} and {RoutingValidation.MaxPriority}.");
        // People name existing queues; only code (an IVR flow) may create one by enqueueing into it.
        if (await queues.GetAsync(queue, ct) is null) return Problems.NotFound($"No queue '{queue}'.");
        return Answer(await routing.EnqueueAsync(id, queue, request.Priority, request.Reason ?? $"enqueued by {user.Actor()}", ct));
    }

    private static async Task<Results<Ok<IReadOnlyList<ResponseClock>>, ProblemHttpResult>> ClocksAsync(
        Guid id, ConversationStore conversations, ResponseClocks clocks, CancellationToken ct)
    {
        if (await conversations.GetAsync(id, ct) is null) return Problems.NotFound($"No conversation {id}.");
        return TypedResults.Ok(await clocks.ForConversationAsync(id, ct));
    }

    private static Results<Ok<Conversation>, ProblemHttpResult> Answer(RoutingOutcome outcome) => outcome switch
    {
        RoutingOutcome.Done done => TypedResults.Ok(done.Conversation),
        RoutingOutcome.NotFound notFound => Problems.NotFound(notFound.Detail),
        RoutingOutcome.NotYours notYours => Problems.NotOwner(notYours.Owner),
        RoutingOutcome.Refused refused =>
            TypedResults.Problem(refused.Detail, statusCode: 409, title: refused.Title, extensions: new Dictionary<string, object?> { ["code"] = refused.Code }),
        _ => throw new InvalidOperationException($"Unexpected outcome {outcome}."),
    };
}
