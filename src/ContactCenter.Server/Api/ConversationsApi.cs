using System.Security.Claims;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Outbound;
using ContactCenter.Core.Timeline;
using ContactCenter.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ContactCenter.Server.Api;

public sealed record NoteRequest(string? Text);

public sealed record TemplateRequest(string? ContentSid, Dictionary<string, string>? Variables);

public sealed record SendMessageRequest(string? Text, string? IdempotencyKey, TemplateRequest? Template, List<string>? MediaUrls);

public static class ConversationsApi
{
    public const int MaxTextLength = 4096;

    public static IEndpointRouteBuilder MapConversationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/conversations").WithTags("Conversations").RequireAuthorization(Policies.Agent);
        api.MapGet("", ListAsync).WithSummary("List conversations");
        api.MapGet("/{id:guid}", GetAsync).WithSummary("One conversation with its handoff context");
        api.MapGet("/{id:guid}/events", EventsAsync).WithSummary("The conversation's timeline events, oldest first");
        api.MapPost("/{id:guid}/notes", AddNoteAsync).WithSummary("Internal note, never sent to the customer");
        api.MapPost("/{id:guid}/resolve", ResolveAsync).WithSummary("Close the conversation");
        api.MapPost("/{id:guid}/messages", SendAsync).WithSummary("Reply on the conversation's channel (202; sent by a job)");
        api.MapGet("/{id:guid}/messages", MessagesAsync).WithSummary("Outbound messages and their delivery status");
        api.MapGet("/{id:guid}/messages/{messageId:guid}", MessageAsync).WithSummary("One outbound message");
        api.MapPost("/{id:guid}/messages/{messageId:guid}/retry", RetryAsync)
            .WithSummary("Send a failed message again, as a new message (202); retrying twice sends one retry");
        api.MapPost("/{id:guid}/reopen", ReopenAsync).WithSummary("Open a resolved conversation again, assigned to the agent who reopens it");
        return app;
    }

    /// <summary>Who is acting: the agent id of an agent key, else the key's name.</summary>
    public static string Actor(this ClaimsPrincipal user) =>
        user.FindFirstValue(Roles.AgentIdClaim) ?? user.Identity?.Name ?? "unknown";

    private static async Task<Results<Ok<IReadOnlyList<Conversation>>, ProblemHttpResult>> ListAsync(
        string? status, string? queue, string? assignee, Guid? customerId, int? limit, ClaimsPrincipal user, ConversationStore conversations,
        CancellationToken ct)
    {
        if (status is not null && !ConversationStatus.All.Contains(status))
            return Problems.BadRequest($"Query 'status' must be one of: {string.Join(", ", ConversationStatus.All)}.");
        var size = limit ?? 50;
        if (size is < 1 or > 500) return Problems.BadRequest("Query 'limit' must be between 1 and 500.");
        return TypedResults.Ok(await conversations.ListAsync(new ConversationFilter(status, queue, assignee, customerId, size, user.ScopeOf()), ct));
    }

    private static async Task<Results<Ok<Conversation>, ProblemHttpResult>> GetAsync(Guid id, ConversationStore conversations, CancellationToken ct) =>
        await conversations.GetAsync(id, ct) is { } conversation ? TypedResults.Ok(conversation) : Problems.NotFound($"No conversation {id}.");

    private static async Task<Results<Ok<IReadOnlyList<TimelineEvent>>, ProblemHttpResult>> EventsAsync(
        Guid id, ConversationStore conversations, TimelineStore timeline, CancellationToken ct)
    {
        if (await conversations.GetAsync(id, ct) is null) return Problems.NotFound($"No conversation {id}.");
        return TypedResults.Ok(await timeline.ConversationEventsAsync(id, ct));
    }

    private static async Task<Results<Created<TimelineEvent>, ProblemHttpResult>> AddNoteAsync(
        Guid id, NoteRequest? request, ClaimsPrincipal user, ConversationStore conversations, CancellationToken ct)
    {
        var text = request?.Text?.Trim();
        if (string.IsNullOrEmpty(text)) return Problems.BadRequest("Body must have a non-empty 'text'.");
        if (text.Length > MaxTextLength) return Problems.BadRequest($"'text' is longer than {MaxTextLength} characters.");
        return await conversations.AddNoteAsync(id, text, user.Actor(), ct) is { } note
            ? TypedResults.Created($"/api/conversations/{id}/events", note)
            : Problems.NotFound($"No conversation {id}.");
    }

    private static async Task<Results<Ok<Conversation>, ProblemHttpResult>> ResolveAsync(
        Guid id, ClaimsPrincipal user, ConversationStore conversations, CancellationToken ct) =>
        await conversations.ResolveAsync(id, user.Actor(), user.ConversationActor(), ct) switch
        {
            (_, { } notOwner) => Problems.NotOwner(notOwner),
            ({ } conversation, _) => TypedResults.Ok(conversation),
            _ => Problems.NotFound($"No conversation {id}."),
        };

    private static async Task<Results<Accepted<OutboundMessage>, ProblemHttpResult>> SendAsync(
        Guid id, SendMessageRequest? request, ClaimsPrincipal user, HttpResponse response, Outbox outbox, CancellationToken ct)
    {
        if (Validate(request) is { } problem) return problem;
        var content = new OutboundContent(
            string.IsNullOrWhiteSpace(request!.Text) ? null : request.Text,
            request.Template is { ContentSid: { } sid } ? new MessageTemplate(sid, request.Template.Variables) : null,
            request.MediaUrls is { Count: > 0 } media ? media : null);
        var outcome = await outbox.AcceptAsync(id, new OutboundRequest(content, request.IdempotencyKey, user.Actor(), AuthorKind.Agent, user.ConversationActor()), ct);
        switch (outcome)
        {
            case AcceptOutcome.Accepted accepted:
                if (!accepted.Created) response.Headers["Idempotent-Replayed"] = "true";
                return TypedResults.Accepted($"/api/conversations/{accepted.Message.ConversationId}/messages/{accepted.Message.Id}", accepted.Message);
            case AcceptOutcome.ConversationNotFound:
                return Problems.NotFound($"No conversation {id}.");
            case AcceptOutcome.Refused refused:
                return Problems.Refused(refused.Refusal);
            case AcceptOutcome.NotYours notYours:
                return Problems.NotOwner(notYours.Owner);
            case AcceptOutcome.KeyReused reused:
                return Problems.Unprocessable("Idempotency key reused",
                    $"The idempotency key was already used for message {reused.Existing.Id} with different content.");
            default:
                throw new InvalidOperationException($"Unexpected outcome {outcome}.");
        }
    }

    private static async Task<Results<Accepted<OutboundMessage>, ProblemHttpResult>> RetryAsync(
        Guid id, Guid messageId, ClaimsPrincipal user, Outbox outbox, CancellationToken ct) =>
        await outbox.RetryAsync(id, messageId, user.Actor(), user.ConversationActor(), ct) switch
        {
            null => Problems.NotFound($"No failed message {messageId} in conversation {id}."),
            AcceptOutcome.Accepted accepted => TypedResults.Accepted(
                $"/api/conversations/{accepted.Message.ConversationId}/messages/{accepted.Message.Id}", accepted.Message),
            AcceptOutcome.Refused refused => Problems.Refused(refused.Refusal),
            AcceptOutcome.NotYours notYours => Problems.NotOwner(notYours.Owner),
            AcceptOutcome.ConversationNotFound => Problems.NotFound($"No conversation {id}."),
            var other => throw new InvalidOperationException($"Unexpected outcome {other}."),
        };

    private static async Task<Results<Ok<Conversation>, ProblemHttpResult>> ReopenAsync(
        Guid id, ClaimsPrincipal user, ConversationStore conversations, CancellationToken ct) =>
        await conversations.ReopenAsync(id, user.ConversationActor(), ct) switch
        {
            (_, { } refused) => Problems.Conflict("Cannot reopen", refused),
            ({ } conversation, _) => TypedResults.Ok(conversation),
            _ => Problems.NotFound($"No conversation {id}."),
        };

    private static ProblemHttpResult? Validate(SendMessageRequest? request)
    {
        if (request is null) return Problems.BadRequest("Body must be a JSON object with 'text' or 'template'.");
        var hasText = !string.IsNullOrWhiteSpace(request.Text);
        if (!hasText && request.Template is null && request.MediaUrls is not { Count: > 0 })
            return Problems.BadRequest("Body must have 'text', 'template' or 'mediaUrls'.");
        if (request.Text is { Length: > MaxTextLength }) return Problems.BadRequest($"'text' is longer than {MaxTextLength} characters.");
        if (request.Template is { } template && string.IsNullOrWhiteSpace(template.ContentSid))
            return Problems.BadRequest("'template.contentSid' is required when 'template' is given.");
        if (request.IdempotencyKey is { Length: > 200 }) return Problems.BadRequest("'idempotencyKey' is longer than 200 characters.");
        if (request.MediaUrls is { } urls)
        {
            if (urls.Count > 10) return Problems.BadRequest("At most 10 'mediaUrls'.");
            if (urls.Any(u => !Uri.TryCreate(u, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http")))
                return Problems.BadRequest("Every entry of 'mediaUrls' must be an absolute http(s) URL.");
        }

        return null;
    }

    private static async Task<Results<Ok<IReadOnlyList<OutboundMessage>>, ProblemHttpResult>> MessagesAsync(
        Guid id, ConversationStore conversations, Outbox outbox, CancellationToken ct)
    {
        if (await conversations.GetAsync(id, ct) is null) return Problems.NotFound($"No conversation {id}.");
        return TypedResults.Ok(await outbox.ListForConversationAsync(id, ct));
    }

    private static async Task<Results<Ok<OutboundMessage>, ProblemHttpResult>> MessageAsync(
        Guid id, Guid messageId, Outbox outbox, CancellationToken ct) =>
        await outbox.GetAsync(messageId, ct) is { } message && message.ConversationId == id
            ? TypedResults.Ok(message)
            : Problems.NotFound($"No message {messageId} in conversation {id}.");
}
