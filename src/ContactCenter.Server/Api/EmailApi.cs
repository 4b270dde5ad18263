using System.Security.Claims;
using ContactCenter.Channels.Email;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Customers;
using ContactCenter.Core.Outbound;
using ContactCenter.Core.Routing;
using ContactCenter.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ContactCenter.Server.Api;

public sealed record StartEmailRequest(Guid? CustomerId, string? To, string? Subject, string? Text, string? Mailbox, string? IdempotencyKey);

public sealed record StartedEmail(Guid ConversationId, bool Opened, OutboundMessage Message);

/// <summary>The email channel's own calls: originals and attachments for agents, kept-aside mail for admins, starting an email.</summary>
public static class EmailApi
{
    public const int MaxTextLength = 50_000;

    public static IEndpointRouteBuilder MapEmailApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/email").WithTags("Email").RequireAuthorization(Policies.Agent);
        api.MapGet("/messages/{key}/original", OriginalAsync).WithSummary("A received mail exactly as it arrived (message/rfc822)");
        api.MapGet("/messages/{key}/attachments/{ordinal:int}", AttachmentAsync).WithSummary("An attachment or inline image of a received mail");
        api.MapPost("/conversations", StartAsync).WithSummary("Start an email to a customer (202; sent by a job)");
        api.MapGet("/rejected", SetAsideAsync).WithSummary("Mail kept aside: rejected (kind=rejected, default) or ignored (kind=ignored)")
            .RequireAuthorization(Policies.Admin);
        api.MapGet("/rejected/{id:long}/raw", SetAsideRawAsync).WithSummary("A kept-aside mail as it arrived").RequireAuthorization(Policies.Admin);
        return app;
    }

    // A mail is part of its conversation: an agent outside it gets the same 404 as for a key that does not exist.
    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> OriginalAsync(
        string key, ClaimsPrincipal user, HttpResponse response, EmailStore store, ConversationVisibility visibility, CancellationToken ct)
    {
        if (await store.OriginalAsync(key, ct) is not { } original || !await user.MaySeeConversationAsync(original.ConversationId, visibility, ct))
            return Problems.NotFound($"No stored mail {key}.");
        Harden(response);
        return TypedResults.File(original.Raw, "message/rfc822", key + ".eml");
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> AttachmentAsync(
        string key, int ordinal, ClaimsPrincipal user, HttpResponse response, EmailStore store, ConversationVisibility visibility, CancellationToken ct)
    {
        if (await store.AttachmentAsync(key, ordinal, ct) is not (var attachment, var conversationId)
            || !await user.MaySeeConversationAsync(conversationId, visibility, ct))
            return Problems.NotFound($"No attachment {ordinal} of mail {key}.");
        Harden(response);
        // Images may show in the desk; anything else (HTML above all) only downloads, never renders on our origin.
        var image = attachment.ContentType.StartsWith("image/", StringComparison.OrdinalIgnoreCase) && !attachment.ContentType.Contains("svg");
        return TypedResults.File(attachment.Content, image ? attachment.ContentType : "application/octet-stream",
            image ? null : attachment.FileName ?? $"attachment-{ordinal}");
    }

    private static void Harden(HttpResponse response)
    {
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.ContentSecurityPolicy = "sandbox; default-src 'none'";
    }

    private static async Task<Results<Ok<IReadOnlyList<SetAsideMail>>, ProblemHttpResult>> SetAsideAsync(
        string? kind, long? before, int? limit, SetAsideStore store, CancellationToken ct)
    {
        var which = kind ?? SetAsideKind.Rejected;
        if (which is not (SetAsideKind.Rejected or SetAsideKind.Ignored))
            return Problems.BadRequest($"Query 'kind' must be '{SetAsideKind.Rejected}' or '{SetAsideKind.Ignored}'.");
        var size = limit ?? 50;
        if (size is < 1 or > 500) return Problems.BadRequest("Query 'limit' must be between 1 and 500.");
        return TypedResults.Ok(await store.ListAsync(which, before, size, ct));
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> SetAsideRawAsync(long id, HttpResponse response, SetAsideStore store, CancellationToken ct)
    {
        if (await store.RawAsync(id, ct) is not { } raw) return Problems.NotFound($"No stored copy of kept-aside mail {id} (it is still in the mailbox).");
        Harden(response);
        return TypedResults.File(raw, "message/rfc822", $"set-aside-{id}.eml");
    }

    private static async Task<Results<Accepted<StartedEmail>, ProblemHttpResult>> StartAsync(
        StartEmailRequest? request, ClaimsPrincipal user, IOptions<EmailOptions> options, AddressNormalizer addresses, CustomerStore customers,
        ConversationStore conversations, ConversationVisibility visibility, EmailStore store, Outbox outbox, AgentStartedConversations started,
        CancellationToken ct)
    {
        if (request?.CustomerId is not { } customerId) return Problems.BadRequest("Body must have 'customerId'.");
        // Writing to a customer is acting on them: an agent only writes to the customers behind their conversations.
        if (!await user.MaySeeCustomerAsync(customerId, visibility, ct)) return Problems.NotFound($"No customer {customerId}.");
        var subject = request.Subject?.Trim();
        if (string.IsNullOrEmpty(subject) || subject.Length > 200) return Problems.BadRequest("'subject' must have 1 to 200 characters.");
        if (string.IsNullOrWhiteSpace(request.Text) || request.Text.Length > MaxTextLength)
            return Problems.BadRequest($"'text' must have 1 to {MaxTextLength} characters.");
        if (request.IdempotencyKey is { Length: > 200 }) return Problems.BadRequest("'idempotencyKey' is longer than 200 characters.");

        var mailboxes = options.Value.Mailboxes.Where(m => m.Value.Smtp.IsConfigured).ToList();
        var chosen = request.Mailbox is { } name ? mailboxes.FirstOrDefault(m => m.Key.Equals(name, StringComparison.OrdinalIgnoreCase)) : mailboxes.FirstOrDefault();
        if (chosen.Value is null)
            return request.Mailbox is null
                ? Problems.Conflict("Channel not configured", "No mailbox under Email:Mailboxes has an Smtp:Host.")
                : Problems.BadRequest($"No mailbox '{request.Mailbox}' with an SMTP server is configured.");

        string address;
        if (!string.IsNullOrWhiteSpace(request.To))
        {
            address = addresses.Normalize(Channel.Email, request.To);
        }
        else if (await customers.GetAsync(customerId, ct) is { } customer)
        {
            if (customer.Identities.FirstOrDefault(i => i.Channel == Channel.Email) is not { } identity)
                return Problems.Conflict("No email address", $"Customer {customerId} has no email address; give one in 'to'.");
            address = identity.Address;
        }
        else
        {
            return Problems.NotFound($"No customer {customerId}.");
        }

        if (options.Value.IsOurs(address)) return Problems.BadRequest("That is one of our own mailbox addresses.");

        switch (await conversations.StartAsync(customerId, Channel.Email, address, chosen.Value.Address, ct))
        {
            case StartOutcome.CustomerNotFound:
                return Problems.NotFound($"No customer {customerId}.");
            case StartOutcome.AddressTaken taken:
                return Problems.Conflict("Address belongs to another customer",
                    $"That email address is customer {taken.OtherCustomerId}'s; merge the two customers first.");
            case StartOutcome.Started opened:
                await store.StartThreadAsync(opened.ConversationId, chosen.Key, subject, DateTimeOffset.UtcNow, ct);
                // The agent who opens it owns it (and so can read the answer); an open one of another agent's stays theirs.
                if (opened.Opened && user.FindFirstValue(Roles.AgentIdClaim) is { } agentId)
                    await started.OwnAsync(opened.ConversationId, agentId, user.Actor(), ct);
                var outcome = await outbox.AcceptAsync(opened.ConversationId,
                    new OutboundRequest(new OutboundContent(request.Text), request.IdempotencyKey, user.Actor(), AuthorKind.Agent, user.ConversationActor()), ct);
                return outcome switch
                {
                    AcceptOutcome.Accepted accepted => TypedResults.Accepted(
                        $"/api/conversations/{opened.ConversationId}/messages/{accepted.Message.Id}",
                        new StartedEmail(opened.ConversationId, opened.Opened, accepted.Message)),
                    AcceptOutcome.NotYours notYours => Problems.NotOwner(notYours.Owner),
                    AcceptOutcome.Refused refused => Problems.Refused(refused.Refusal),
                    AcceptOutcome.KeyReused => Problems.Unprocessable("Idempotency key reused", "The idempotency key was already used for another message."),
                    _ => Problems.NotFound($"No conversation {opened.ConversationId}."),
                };
            default:
                throw new InvalidOperationException("Unexpected start outcome.");
        }
    }
}
