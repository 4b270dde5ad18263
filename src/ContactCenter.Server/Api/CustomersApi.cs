using System.Security.Claims;
using ContactCenter.Core.Accounts;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Customers;
using ContactCenter.Core.Timeline;
using ContactCenter.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ContactCenter.Server.Api;

public sealed record MergeRequest(Guid? OtherCustomerId);

public sealed record CustomerProfileRequest(string? Name, string? Email);

public static class CustomersApi
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;

    public static IEndpointRouteBuilder MapCustomersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/customers").WithTags("Customers").RequireAuthorization(Policies.CustomerReader);
        api.MapGet("", FindAsync).WithSummary("Find the customer behind a channel address");
        api.MapGet("/{id:guid}", GetAsync).WithSummary("Profile: name, identities on every channel, open conversations");
        api.MapPatch("/{id:guid}", UpdateAsync).WithSummary("Set the customer's name and e-mail (a field left out stays, \"\" clears it)");
        api.MapGet("/{id:guid}/timeline", TimelineAsync).WithSummary("The unified timeline, newest first, cursor paged");
        api.MapPost("/{id:guid}/merge", MergeAsync).WithSummary("Merge another customer into this one")
            .RequireAuthorization(Policies.Supervisor);
        return app;
    }

    private static async Task<Results<Ok<Customer>, ProblemHttpResult>> FindAsync(
        string? channel, string? address, ClaimsPrincipal user, AddressNormalizer addresses, CustomerStore customers,
        ConversationVisibility visibility, CancellationToken ct)
    {
        if (!ChannelNames.TryParse(channel, out var parsed))
            return Problems.BadRequest($"Query 'channel' must be one of: {string.Join(", ", ChannelNames.All.Select(c => c.ToName()))}.");
        if (string.IsNullOrWhiteSpace(address)) return Problems.BadRequest("Query 'address' is required.");
        var normalized = addresses.Normalize(parsed, address);
        return await customers.FindAsync(parsed, normalized, ct) is { } customer && await user.MaySeeCustomerAsync(customer.Id, visibility, ct)
            ? TypedResults.Ok(customer.VisibleTo(user))
            : Problems.NotFound($"No customer has the {parsed.ToName()} address {normalized}.");
    }

    // The scope check ran before (ScopedAccess); an agent's copy still lists only the conversations they may open.
    private static async Task<Results<Ok<Customer>, ProblemHttpResult>> GetAsync(Guid id, ClaimsPrincipal user, CustomerStore customers, CancellationToken ct) =>
        await customers.GetAsync(id, ct) is { } customer ? TypedResults.Ok(customer.VisibleTo(user)) : Problems.NotFound($"No customer {id}.");

    private static async Task<Results<Ok<Customer>, ProblemHttpResult>> UpdateAsync(
        Guid id, CustomerProfileRequest? request, ClaimsPrincipal user, CustomerStore customers, CancellationToken ct)
    {
        if (request is null || (request.Name is null && request.Email is null)) return Problems.BadRequest("Body must have 'name' and/or 'email'.");
        if (request.Name is { Length: > 200 }) return Problems.BadRequest("'name' is longer than 200 characters.");
        var email = request.Email?.Trim();
        if (email is { Length: > 0 } && (email.Length > 254 || !System.Net.Mail.MailAddress.TryCreate(email, out var parsed) || parsed.Address != email))
            return Problems.BadRequest("'email' is not an e-mail address.");
        return await customers.UpdateProfileAsync(id, request.Name?.Trim(), email, ct) is { } customer
            ? TypedResults.Ok(customer.VisibleTo(user))
            : Problems.NotFound($"No customer {id}.");
    }

    private static async Task<Results<Ok<TimelinePage>, ProblemHttpResult>> TimelineAsync(
        Guid id, string? before, int? limit, CustomerStore customers, TimelineStore timeline, CancellationToken ct)
    {
        var size = limit ?? DefaultPageSize;
        if (size is < 1 or > MaxPageSize) return Problems.BadRequest($"Query 'limit' must be between 1 and {MaxPageSize}.");
        TimelineCursor? cursor = null;
        if (before is not null)
        {
            if (!TimelineCursor.TryDecode(before, out var decoded))
                return Problems.BadRequest("Query 'before' is not a cursor this API returned (pass the page's 'next').");
            cursor = decoded;
        }

        if (await customers.SurvivorAsync(id, ct) is not { } survivor) return Problems.NotFound($"No customer {id}.");
        return TypedResults.Ok(await timeline.PageAsync(survivor, cursor, size, ct));
    }

    private static async Task<Results<Ok<Customer>, ProblemHttpResult>> MergeAsync(
        Guid id, MergeRequest? request, HttpContext http, AuditTrail audit, CustomerStore customers, CancellationToken ct)
    {
        if (request?.OtherCustomerId is not { } other) return Problems.BadRequest("Body must name 'otherCustomerId'.");
        if (other == id) return Problems.BadRequest("A customer cannot be merged with itself.");
        var merge = await customers.MergeAsync(id, other, http.User.Identity?.Name ?? "unknown", ct);
        // A replayed merge changed nothing: only the one that merged is audited.
        if (merge is MergeOutcome.Merged) await audit.RecordAsync(http, AuditActions.CustomerMerged, "customer", id.ToString(), new { mergedCustomerId = other });
        return merge switch
        {
            MergeOutcome.Merged merged => TypedResults.Ok(merged.Customer),
            MergeOutcome.AlreadyMerged replay => TypedResults.Ok(replay.Customer),
            MergeOutcome.NotFound missing => Problems.NotFound($"No customer {missing.Id}."),
            MergeOutcome.Refused refused => Problems.Conflict("Merge refused", refused.Detail),
            var outcome => throw new InvalidOperationException($"Unexpected merge outcome {outcome}."),
        };
    }
}
