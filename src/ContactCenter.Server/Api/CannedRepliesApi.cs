using System.Security.Claims;
using System.Text.RegularExpressions;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Customers;
using ContactCenter.Core.Desk;
using ContactCenter.Core.Routing;
using ContactCenter.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ContactCenter.Server.Api;

public sealed record CannedReplyRequest(string? Title, string? Text, string? Language);

/// <summary>The team's canned replies: agents search and use them, supervisors manage them.</summary>
public static partial class CannedRepliesApi
{
    public const int MaxTitleLength = 100;

    public static IEndpointRouteBuilder MapCannedRepliesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/canned-replies").WithTags("Canned replies").RequireAuthorization(Policies.Agent);
        api.MapGet("", SearchAsync).WithSummary("Search by title or text (q), in one language or all");
        api.MapGet("/{id:guid}", GetAsync).WithSummary("One canned reply");
        api.MapGet("/{id:guid}/filled", FilledAsync)
            .WithSummary("The reply with its variables filled in for a conversation ({customer.firstName}, {agent.name}, handoff slots such as {order.number})");
        api.MapPost("", CreateAsync).RequireAuthorization(Policies.Supervisor).WithSummary("Add a canned reply (supervisor)");
        api.MapPut("/{id:guid}", UpdateAsync).RequireAuthorization(Policies.Supervisor).WithSummary("Change a canned reply (supervisor)");
        api.MapDelete("/{id:guid}", DeleteAsync).RequireAuthorization(Policies.Supervisor).WithSummary("Remove a canned reply (supervisor)");
        return app;
    }

    private static async Task<Results<Ok<IReadOnlyList<CannedReply>>, ProblemHttpResult>> SearchAsync(
        string? q, string? language, int? limit, CannedReplyStore replies, CancellationToken ct)
    {
        if (q is { Length: > 200 }) return Problems.BadRequest("Query 'q' is longer than 200 characters.");
        if (language is not null && !LanguagePattern().IsMatch(language)) return Problems.BadRequest("Query 'language' must be a language tag such as 'en' or 'pt-BR'.");
        var size = limit ?? 50;
        if (size is < 1 or > 200) return Problems.BadRequest("Query 'limit' must be between 1 and 200.");
        return TypedResults.Ok(await replies.SearchAsync(q, language, size, ct));
    }

    private static async Task<Results<Ok<CannedReply>, ProblemHttpResult>> GetAsync(Guid id, CannedReplyStore replies, CancellationToken ct) =>
        await replies.GetAsync(id, ct) is { } reply ? TypedResults.Ok(reply) : Problems.NotFound($"No canned reply {id}.");

    private static async Task<Results<Ok<FilledReply>, ProblemHttpResult>> FilledAsync(
        Guid id, Guid? conversationId, ClaimsPrincipal user, CannedReplyStore replies, ConversationStore conversations,
        CustomerStore customers, AgentStore agents, CancellationToken ct)
    {
        if (conversationId is not { } cid) return Problems.BadRequest("Query 'conversationId' is required.");
        if (await replies.GetAsync(id, ct) is not { } reply) return Problems.NotFound($"No canned reply {id}.");
        if (await conversations.GetAsync(cid, ct) is not { } conversation) return Problems.NotFound($"No conversation {cid}.");
        var customer = await customers.GetAsync(conversation.CustomerId, ct);
        var agentId = user.FindFirstValue(Roles.AgentIdClaim);
        var agentName = (agentId is null ? null : (await agents.GetAsync(agentId, ct))?.Name) ?? user.Identity?.Name;
        var (text, missing) = CannedReplyText.Fill(reply.Text, CannedReplyText.ValuesFor(customer?.Name, agentName, conversation.Handoff));
        return TypedResults.Ok(new FilledReply(reply.Id, text, missing));
    }

    private static async Task<Results<Created<CannedReply>, ProblemHttpResult>> CreateAsync(
        CannedReplyRequest? request, ClaimsPrincipal user, CannedReplyStore replies, CancellationToken ct)
    {
        if (Validate(request) is { } problem) return problem;
        var reply = await replies.CreateAsync(Input(request!), user.Actor(), ct);
        return TypedResults.Created($"/api/canned-replies/{reply.Id}", reply);
    }

    private static async Task<Results<Ok<CannedReply>, ProblemHttpResult>> UpdateAsync(
        Guid id, CannedReplyRequest? request, CannedReplyStore replies, CancellationToken ct)
    {
        if (Validate(request) is { } problem) return problem;
        return await replies.UpdateAsync(id, Input(request!), ct) is { } reply ? TypedResults.Ok(reply) : Problems.NotFound($"No canned reply {id}.");
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(Guid id, CannedReplyStore replies, CancellationToken ct) =>
        await replies.DeleteAsync(id, ct) ? TypedResults.NoContent() : Problems.NotFound($"No canned reply {id}.");

    private static CannedReplyInput Input(CannedReplyRequest request) =>
        new(request.Title!.Trim(), request.Text!.Trim(), string.IsNullOrWhiteSpace(request.Language) ? "en" : request.Language.Trim());

    private static ProblemHttpResult? Validate(CannedReplyRequest? request)
    {
        if (request is null) return Problems.BadRequest("Body must be a JSON object with 'title', 'text' and optionally 'language'.");
        if (string.IsNullOrWhiteSpace(request.Title)) return Problems.BadRequest("'title' is required.");
        if (request.Title.Trim().Length > MaxTitleLength) return Problems.BadRequest($"'title' is longer than {MaxTitleLength} characters.");
        if (string.IsNullOrWhiteSpace(request.Text)) return Problems.BadRequest("'text' is required.");
        if (request.Text.Trim().Length > ConversationsApi.MaxTextLength)
            return Problems.BadRequest($"'text' is longer than {ConversationsApi.MaxTextLength} characters.");
        if (request.Language is { } language && !string.IsNullOrWhiteSpace(language) && !LanguagePattern().IsMatch(language.Trim()))
            return Problems.BadRequest("'language' must be a language tag such as 'en' or 'pt-BR'.");
        return null;
    }

    [GeneratedRegex("^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$")]
    private static partial Regex LanguagePattern();
}
