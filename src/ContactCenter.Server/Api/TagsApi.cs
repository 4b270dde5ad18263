using System.Security.Claims;
using ContactCenter.Core.Desk;
using ContactCenter.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ContactCenter.Server.Api;

public sealed record TagsRequest(List<string>? Tags);

/// <summary>Tags on a conversation (the desk filters by them; reports count them from the timeline).</summary>
public static class TagsApi
{
    public static IEndpointRouteBuilder MapTagsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/conversations").WithTags("Conversations").RequireAuthorization(Policies.Agent);
        api.MapGet("/{id:guid}/tags", ListAsync).WithSummary("The conversation's tags");
        api.MapPost("/{id:guid}/tags", AddAsync).WithSummary("Add tags (lower case; adding one it carries changes nothing)");
        api.MapDelete("/{id:guid}/tags/{tag}", RemoveAsync).WithSummary("Remove a tag");
        return app;
    }

    private static async Task<Ok<IReadOnlyList<string>>> ListAsync(Guid id, TagStore tags, CancellationToken ct) =>
        TypedResults.Ok(await tags.ListAsync(id, ct));

    private static async Task<Results<Ok<IReadOnlyList<string>>, ProblemHttpResult>> AddAsync(
        Guid id, TagsRequest? request, ClaimsPrincipal user, TagStore tags, CancellationToken ct)
    {
        if (request?.Tags is not { Count: > 0 } given) return Problems.BadRequest("Body must have 'tags': a non-empty list.");
        var normalized = given.Select(TagStore.Normalize).ToList();
        if (normalized.Any(t => t is null))
            return Problems.BadRequest($"Each tag is 1 to {TagStore.MaxTagLength} letters, digits, spaces or _ . : / - and starts with a letter or digit.");
        var (all, tooMany) = await tags.AddAsync(id, normalized.OfType<string>().Distinct().ToList(), user.Actor(), ct);
        if (tooMany) return Problems.BadRequest($"A conversation carries at most {TagStore.MaxTagsPerConversation} tags.");
        return all is null ? Problems.NotFound($"No conversation {id}.") : TypedResults.Ok(all);
    }

    private static async Task<Results<Ok<IReadOnlyList<string>>, ProblemHttpResult>> RemoveAsync(
        Guid id, string tag, ClaimsPrincipal user, TagStore tags, CancellationToken ct)
    {
        if (TagStore.Normalize(tag) is not { } normalized) return Problems.BadRequest("That is not a tag.");
        return await tags.RemoveAsync(id, normalized, user.Actor(), ct) is { } all ? TypedResults.Ok(all) : Problems.NotFound($"No conversation {id}.");
    }
}
