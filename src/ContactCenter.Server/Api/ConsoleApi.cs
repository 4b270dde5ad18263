using System.Security.Claims;
using ContactCenter.Core.Routing;
using ContactCenter.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ContactCenter.Server.Api;

public sealed record AcknowledgeAlertRequest(Guid? ConversationId, string? Kind);

/// <summary>What the live console (/supervisor) reads besides the queues: each agent's day, and breach acknowledgements
/// shared by every supervisor.</summary>
public static class ConsoleApi
{
    public static IEndpointRouteBuilder MapConsoleApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/console").WithTags("Queues").RequireAuthorization(Policies.Supervisor);
        api.MapGet("/agents", AgentsAsync)
            .WithSummary("Each agent's day so far: conversations handled (resolved) and average handle time, days in 'timeZone' (IANA, default UTC)");
        api.MapPost("/alerts/acknowledge", AcknowledgeAsync)
            .WithSummary("Acknowledge a conversation's breach alert for every supervisor (announced live); 404 when no such breach stands");
        return app;
    }

    private static async Task<Results<Ok<IReadOnlyList<AgentDay>>, ProblemHttpResult>> AgentsAsync(
        string? timeZone, AgentDays days, CancellationToken ct)
    {
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(timeZone ?? "UTC", out var zone))
            return Problems.BadRequest($"Query 'timeZone' must be an IANA time zone such as Europe/London; '{timeZone}' is unknown.");
        return TypedResults.Ok(await days.TodayAsync(zone, ct));
    }

    private static async Task<Results<Ok<BreachAcknowledgement>, ProblemHttpResult>> AcknowledgeAsync(
        AcknowledgeAlertRequest? request, BreachAcknowledgements acknowledgements, ClaimsPrincipal user, CancellationToken ct)
    {
        if (request?.ConversationId is not { } conversationId || string.IsNullOrWhiteSpace(request.Kind))
            return Problems.BadRequest("Body must have 'conversationId' and 'kind' (first_response or next_response).");
        return await acknowledgements.AcknowledgeAsync(conversationId, request.Kind.Trim(), user.Actor(), ct) is { } acknowledged
            ? TypedResults.Ok(acknowledged)
            : Problems.NotFound($"No standing {request.Kind} breach on conversation {conversationId}.");
    }
}
