using System.Security.Claims;
using ContactCenter.Core.Customers;
using ContactCenter.Core.Notifications;
using ContactCenter.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ContactCenter.Server.Api;

public sealed record NotificationAccepted(Guid Id, string Status, int Total);

public static class NotificationsApi
{
    public static IEndpointRouteBuilder MapNotificationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/notifications").WithTags("Notifications").RequireAuthorization(Policies.Notifier);
        api.MapPost("", CreateAsync).WithSummary("Notify customers first, falling back along a channel list (202; sent by a worker)");
        api.MapGet("/{id:guid}", GetAsync).WithSummary("Status, progress and (for one recipient) every attempt");
        api.MapPost("/{id:guid}/cancel", CancelAsync).WithSummary("Stop what has not gone out yet: no further steps, and messages still in the outbox are recalled");
        return app;
    }

    private static async Task<Results<Accepted<NotificationAccepted>, ProblemHttpResult>> CreateAsync(
        NotificationRequest? request, ClaimsPrincipal user, HttpResponse response, AddressNormalizer addresses, NotificationStore notifications,
        CancellationToken ct)
    {
        if (NotificationRequests.TryParse(request, user.Actor(), addresses, out var parsed) is { } problem) return problem;
        switch (await notifications.CreateAsync(parsed, ct))
        {
            case CreateOutcome.Created created:
                return Accepted(created.Id, parsed.Recipients.Count);
            case CreateOutcome.Existing existing:
                response.Headers["Idempotent-Replayed"] = "true";
                var view = await notifications.GetAsync(existing.Id, ct);
                return TypedResults.Accepted($"/api/notifications/{existing.Id}", new NotificationAccepted(existing.Id, view!.Status, view.Progress.Total));
            case CreateOutcome.KeyReused reused:
                return Problems.Unprocessable("Idempotency key reused",
                    $"The idempotency key was already used for notification {reused.Id} with a different request.");
            case CreateOutcome.UnknownCustomer unknown:
                return WebhooksApi.FieldProblem(request!.Recipients is null ? "customerId" : $"recipients[{unknown.Position}].customerId",
                    "No such customer.");
            default:
                throw new InvalidOperationException("Unexpected outcome.");
        }
    }

    private static Accepted<NotificationAccepted> Accepted(Guid id, int total) =>
        TypedResults.Accepted($"/api/notifications/{id}", new NotificationAccepted(id, RecipientStatus.Pending, total));

    private static async Task<Results<Ok<NotificationView>, ProblemHttpResult>> GetAsync(Guid id, NotificationStore notifications, CancellationToken ct) =>
        await notifications.GetAsync(id, ct) is { } view ? TypedResults.Ok(view) : Problems.NotFound($"No notification {id}.");

    private static async Task<Results<Accepted<NotificationView>, ProblemHttpResult>> CancelAsync(
        Guid id, NotificationCancellation cancellation, NotificationStore notifications, CancellationToken ct) =>
        await cancellation.CancelAsync(id, ct)
            ? TypedResults.Accepted($"/api/notifications/{id}", (await notifications.GetAsync(id, ct))!)
            : Problems.NotFound($"No notification {id}.");
}
