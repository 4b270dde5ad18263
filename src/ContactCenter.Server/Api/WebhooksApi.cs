using System.Security.Claims;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Webhooks;
using ContactCenter.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ContactCenter.Server.Api;

public sealed record SubscriptionRequest(string? Url, List<string>? Events, List<string>? Queues, List<string>? Channels);

/// <summary>The only answer that carries the secret.</summary>
public sealed record CreatedSubscription(
    Guid Id, string Url, IReadOnlyList<string> Events, IReadOnlyList<string>? Queues, IReadOnlyList<string>? Channels, string Secret);

public static class WebhooksApi
{
    public static IEndpointRouteBuilder MapWebhooksApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/webhooks").WithTags("Webhooks").RequireAuthorization(Policies.Admin);
        api.MapGet("/subscriptions", ListAsync).WithSummary("Event webhook subscriptions");
        api.MapPost("/subscriptions", CreateAsync).WithSummary("Subscribe a URL to events; the answer shows the signing secret once");
        api.MapGet("/subscriptions/{id:guid}", GetAsync).WithSummary("One subscription (disabled_at says whether it still receives)");
        api.MapPost("/subscriptions/{id:guid}/enable", EnableAsync)
            .WithSummary("Let a disabled subscription receive events again; its held-back deliveries are retried afresh");
        api.MapDelete("/subscriptions/{id:guid}", DeleteAsync).WithSummary("End a subscription and drop its delivery log");
        api.MapGet("/subscriptions/{id:guid}/deliveries", DeliveriesAsync).WithSummary("The delivery log, newest first");
        api.MapPost("/deliveries/{id:long}/replay", ReplayAsync).WithSummary("Send a delivery again, with the same webhook-id");
        return app;
    }

    /// <summary>400 naming the offending field (problem details extension <c>field</c>).</summary>
    public static ProblemHttpResult FieldProblem(string field, string detail) =>
        TypedResults.Problem(detail, statusCode: 400, title: "Bad request", extensions: new Dictionary<string, object?> { ["field"] = field });

    private static async Task<Ok<IReadOnlyList<WebhookSubscription>>> ListAsync(WebhookSubscriptions subscriptions, CancellationToken ct) =>
        TypedResults.Ok(await subscriptions.ListAsync(ct));

    private static async Task<Results<Created<CreatedSubscription>, ProblemHttpResult>> CreateAsync(
        SubscriptionRequest? request, ClaimsPrincipal user, WebhookSubscriptions subscriptions, IOptions<WebhookOptions> options, CancellationToken ct)
    {
        if (request is null) return FieldProblem("body", "Send { \"url\", \"events\": [...], \"queues\"?, \"channels\"? }.");
        if (await WebhookTargets.CheckAsync(request.Url?.Trim(), options.Value.AllowPrivateTargets, ct) is { } urlProblem)
            return FieldProblem("url", urlProblem);
        if (request.Events is not { Count: > 0 } events) return FieldProblem("events", "events must list at least one event type.");
        for (var i = 0; i < events.Count; i++)
        {
            if (!WebhookEventTypes.All.Contains(events[i] ?? ""))
                return FieldProblem($"events[{i}]", $"Unknown event type '{events[i]}'. Known: {string.Join(", ", WebhookEventTypes.All.Order())}.");
        }

        for (var i = 0; i < (request.Channels?.Count ?? 0); i++)
        {
            if (!ChannelNames.TryParse(request.Channels![i], out _))
                return FieldProblem($"channels[{i}]", $"Unknown channel '{request.Channels[i]}'.");
        }

        for (var i = 0; i < (request.Queues?.Count ?? 0); i++)
        {
            if (string.IsNullOrWhiteSpace(request.Queues![i])) return FieldProblem($"queues[{i}]", "Queue names must not be empty.");
        }

        var channels = request.Channels is { Count: > 0 } c ? c.Select(n => ChannelNames.Parse(n).ToName()).ToList() : null;
        var queues = request.Queues is { Count: > 0 } q ? q.Select(n => n.Trim()).ToList() : null;
        var (subscription, secret) = await subscriptions.CreateAsync(
            new NewWebhookSubscription(request.Url!.Trim(), events, queues, channels), user.Actor(), ct);
        return TypedResults.Created($"/api/webhooks/subscriptions/{subscription.Id}", new CreatedSubscription(
            subscription.Id, subscription.Url, subscription.Events, subscription.Queues, subscription.Channels, secret));
    }

    private static async Task<Results<Ok<WebhookSubscription>, ProblemHttpResult>> GetAsync(Guid id, WebhookSubscriptions subscriptions, CancellationToken ct) =>
        await subscriptions.GetAsync(id, ct) is { } s ? TypedResults.Ok(s) : Problems.NotFound($"No webhook subscription {id}.");

    private static async Task<Results<Ok<WebhookSubscription>, ProblemHttpResult>> EnableAsync(
        Guid id, WebhookSubscriptions subscriptions, WebhookDeliveries deliveries, CancellationToken ct)
    {
        if (await subscriptions.EnableAsync(id, ct) is not { } enabled) return Problems.NotFound($"No webhook subscription {id}.");
        await deliveries.ResumeAsync(id, ct);
        return TypedResults.Ok(enabled);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(Guid id, WebhookSubscriptions subscriptions, CancellationToken ct) =>
        await subscriptions.DeleteAsync(id, ct) ? TypedResults.NoContent() : Problems.NotFound($"No webhook subscription {id}.");

    private static async Task<Results<Ok<IReadOnlyList<WebhookDelivery>>, ProblemHttpResult>> DeliveriesAsync(
        Guid id, long? before, int? limit, WebhookSubscriptions subscriptions, WebhookDeliveries deliveries, CancellationToken ct)
    {
        var size = limit ?? 100;
        if (size is < 1 or > 1000) return FieldProblem("limit", "Query 'limit' must be between 1 and 1000.");
        if (await subscriptions.GetAsync(id, ct) is null) return Problems.NotFound($"No webhook subscription {id}.");
        return TypedResults.Ok(await deliveries.ListAsync(id, before, size, ct));
    }

    private static async Task<Results<Accepted<WebhookDelivery>, ProblemHttpResult>> ReplayAsync(long id, WebhookDeliveries deliveries, CancellationToken ct) =>
        await deliveries.ReplayAsync(id, ct) switch
        {
            ReplayResult.Replayed => TypedResults.Accepted($"/api/webhooks/deliveries/{id}", (await deliveries.GetAsync(id, ct))!),
            ReplayResult.SubscriptionDisabled => Problems.Conflict("Subscription disabled",
                "The delivery's subscription is disabled (410 from the receiver, or failing for Webhooks:DisableAfter); enable it again first (POST /api/webhooks/subscriptions/{id}/enable)."),
            _ => Problems.NotFound($"No webhook delivery {id}."),
        };
}
