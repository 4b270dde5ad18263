using System.Security.Claims;
using ContactCenter.Core.Accounts;
using ContactCenter.Core.Bot;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Routing;
using ContactCenter.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ContactCenter.Server.Api;

/// <summary><c>{ "to": "agent" | "bot", "queue"?, "reason"?, "node"? }</c>: node is where the bot resumes.</summary>
public sealed record HandoffRequestBody(string? To, string? Queue, string? Reason, string? Node);

public static class BotApi
{
    public static IEndpointRouteBuilder MapBotApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/conversations/{id:guid}/handoff", HandoffAsync).WithTags("Conversations").RequireAuthorization(Policies.Agent)
            .WithSummary("Hand between bot and human: to a queue with the context, or back to the bot at a node");
        app.MapGet("/api/bot/metrics", MetricsAsync).WithTags("Bot").RequireAuthorization(Policies.Agent)
            .WithSummary("Containment (conversations resolved without a person) and satisfaction since a time (default: 24 h)");
        app.MapKnowledgeBaseApi();
        return app;
    }

    private static async Task<Results<Ok<Conversation>, ProblemHttpResult>> HandoffAsync(
        Guid id, HandoffRequestBody? request, ClaimsPrincipal user, HttpContext http, AuditTrail audit, BotHandToAgent toAgent,
        BotHandBack handBack, ConversationStore conversations, CancellationToken ct)
    {
        if (request?.To is not ("agent" or "bot")) return Problems.BadRequest("Body must have 'to': \"agent\" or \"bot\".");
        if (request.Reason is { Length: > 500 }) return Problems.BadRequest("'reason' is longer than 500 characters.");
        if (await conversations.GetAsync(id, ct) is not { } conversation) return Problems.NotFound($"No conversation {id}.");
        if (request.To == "agent")
        {
            if (request.Node is not null) return Problems.BadRequest("'node' is where the bot resumes; it only goes with \"to\": \"bot\".");
            var queue = request.Queue ?? conversation.Queue ?? "general";
            if (!RoutingValidation.IsName(queue)) return Problems.BadRequest($"'{queue}' is not a queue name.");
            return await toAgent.HandToAgentAsync(id, queue, request.Reason, user.Actor(), ct) switch
            {
                RoutingOutcome.Done done => TypedResults.Ok(done.Conversation),
                RoutingOutcome.NotFound notFound => Problems.NotFound(notFound.Detail),
                RoutingOutcome.Refused refused => Refused(refused.Code, refused.Title, refused.Detail),
                var other => throw new InvalidOperationException($"Unexpected outcome {other}."),
            };
        }

        if (request.Queue is not null) return Problems.BadRequest("'queue' only goes with \"to\": \"agent\".");
        if (request.Node is { } node && !handBack.HasNode(conversation.Channel, node))
            return Problems.BadRequest($"The bot flow of {conversation.Channel.ToName()} has no node '{node}'.");
        var handedBack = await handBack.HandBackAsync(id, request.Node, user.Actor(), request.Reason, ct);
        if (handedBack is HandBackOutcome.Done) await audit.RecordAsync(http, AuditActions.HandedBack, "conversation", id.ToString(), new { request.Node });
        return handedBack switch
        {
            HandBackOutcome.Done => TypedResults.Ok((await conversations.GetAsync(id, ct))!),
            HandBackOutcome.NotFound => Problems.NotFound($"No conversation {id}."),
            HandBackOutcome.Refused refused => Refused(refused.Code, refused.Title, refused.Detail),
            var other => throw new InvalidOperationException($"Unexpected outcome {other}."),
        };
    }

    private static ProblemHttpResult Refused(string code, string title, string detail) =>
        TypedResults.Problem(detail, statusCode: 409, title: title, extensions: new Dictionary<string, object?> { ["code"] = code });

    private static async Task<Ok<BotMetricsSnapshot>> MetricsAsync(DateTimeOffset? since, BotMetrics metrics, TimeProvider clock, CancellationToken ct) =>
        TypedResults.Ok(await metrics.SnapshotAsync(since ?? clock.GetUtcNow().AddDays(-1), ct));
}
