using ContactCenter.Core.Bot;
using ContactCenter.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ContactCenter.Server.Api;

public sealed record ArticleRequest(string? Slug, string? Title, string? Body, string? Language, List<string>? Tags);

/// <summary>A search hit as the API shows it: the article, its normalized rank, word coverage, and whether the bot would answer with it.</summary>
public sealed record ArticleHit(KnowledgeArticle Article, double Rank, double Coverage, bool GoodEnough);

/// <summary>Knowledge-base articles: agents read and search, supervisors and admins write.</summary>
public static class KnowledgeBaseApi
{
    public const int MaxTitle = 200;
    public const int MaxBody = 20000;

    public static IEndpointRouteBuilder MapKnowledgeBaseApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/kb/articles").WithTags("Knowledge base").RequireAuthorization(Policies.Agent);
        api.MapGet("", ListAsync).WithSummary("List articles (newest first), or search them with ?q=");
        api.MapGet("/{id:guid}", GetAsync).WithSummary("One article");
        api.MapPost("", AddAsync).RequireAuthorization(Policies.Supervisor).WithSummary("Add an article (supervisor)");
        api.MapPut("/{id:guid}", UpdateAsync).RequireAuthorization(Policies.Supervisor).WithSummary("Edit an article (supervisor)");
        return app;
    }

    private static async Task<Results<Ok<IReadOnlyList<KnowledgeArticle>>, Ok<List<ArticleHit>>, ProblemHttpResult>> ListAsync(
        string? q, string? language, int? limit, KnowledgeBase knowledge, CancellationToken ct)
    {
        var size = limit ?? 50;
        if (size is < 1 or > 500) return Problems.BadRequest("Query 'limit' must be between 1 and 500.");
        if (language is not null && !KnowledgeBase.Configs.ContainsKey(language))
            return Problems.BadRequest($"Query 'language' must be one of: {string.Join(", ", KnowledgeBase.Configs.Keys)}.");
        if (q is not null)
        {
            if (string.IsNullOrWhiteSpace(q) || q.Length > 500) return Problems.BadRequest("Query 'q' must have 1 to 500 characters.");
            var hits = await knowledge.SearchAsync(q, size, ct);
            return TypedResults.Ok(hits.Where(h => language is null || h.Article.Language == language)
                .Select(h => new ArticleHit(h.Article, h.Rank, h.Coverage, h.GoodEnough)).ToList());
        }

        return TypedResults.Ok(await knowledge.ListAsync(language, size, ct));
    }

    private static async Task<Results<Ok<KnowledgeArticle>, ProblemHttpResult>> GetAsync(Guid id, KnowledgeBase knowledge, CancellationToken ct) =>
        await knowledge.GetAsync(id, ct) is { } article ? TypedResults.Ok(article) : Problems.NotFound($"No article {id}.");

    private static async Task<Results<Created<KnowledgeArticle>, ProblemHttpResult>> AddAsync(
        ArticleRequest? request, KnowledgeBase knowledge, CancellationToken ct)
    {
        if (Validate(request, out var draft) is { } problem) return problem;
        return await knowledge.AddAsync(draft!, ct) switch
        {
            ArticleSaveResult.Saved saved => TypedResults.Created($"/api/kb/articles/{saved.Article.Id}", saved.Article),
            ArticleSaveResult.SlugTaken taken => Problems.Conflict("Slug taken", $"An article with slug '{taken.Slug}' exists; give another 'slug'."),
            var other => throw new InvalidOperationException($"Unexpected result {other}."),
        };
    }

    private static async Task<Results<Ok<KnowledgeArticle>, ProblemHttpResult>> UpdateAsync(
        Guid id, ArticleRequest? request, KnowledgeBase knowledge, CancellationToken ct)
    {
        if (Validate(request, out var draft) is { } problem) return problem;
        return await knowledge.UpdateAsync(id, draft!, ct) switch
        {
            ArticleSaveResult.Saved saved => TypedResults.Ok(saved.Article),
            ArticleSaveResult.NotFound => Problems.NotFound($"No article {id}."),
            ArticleSaveResult.SlugTaken taken => Problems.Conflict("Slug taken", $"Another article has slug '{taken.Slug}'."),
            var other => throw new InvalidOperationException($"Unexpected result {other}."),
        };
    }

    private static ProblemHttpResult? Validate(ArticleRequest? request, out ArticleDraft? draft)
    {
        draft = null;
        var errors = new List<string>();
        if (request is null) return Invalid(["Body must be a JSON object with 'title', 'body' and 'language'."]);
        var title = request.Title?.Trim();
        var body = request.Body?.Trim();
        if (string.IsNullOrEmpty(title)) errors.Add("'title' is required.");
        else if (title.Length > MaxTitle) errors.Add($"'title' is longer than {MaxTitle} characters.");
        if (string.IsNullOrEmpty(body)) errors.Add("'body' is required.");
        else if (body.Length > MaxBody) errors.Add($"'body' is longer than {MaxBody} characters.");
        var language = request.Language?.Trim().ToLowerInvariant() ?? "en";
        if (!KnowledgeBase.Configs.ContainsKey(language)) errors.Add($"'language' must be one of: {string.Join(", ", KnowledgeBase.Configs.Keys)}.");
        if (request.Slug is { } slug && !Slugs.IsValid(slug)) errors.Add("'slug' must be 1 to 80 lower-case letters, digits and inner dashes.");
        var tags = (request.Tags ?? []).Select(t => t?.Trim() ?? "").ToList();
        if (tags.Count > 20 || tags.Any(t => t.Length is 0 or > 40)) errors.Add("'tags' holds at most 20 tags of 1 to 40 characters.");
        if (errors.Count > 0) return Invalid(errors);
        draft = new ArticleDraft(request.Slug, title!, body!, language, tags);
        return null;
    }

    private static ProblemHttpResult Invalid(List<string> errors) =>
        TypedResults.Problem(string.Join(" ", errors), statusCode: 400, title: "Invalid article",
            extensions: new Dictionary<string, object?> { ["errors"] = errors });
}
