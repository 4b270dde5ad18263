using ContactCenter.Core.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Core.Bot;

public sealed record KnowledgeArticle(
    Guid Id, string Slug, string Title, string Body, string Language, IReadOnlyList<string> Tags, string Source,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <param name="Rank">ts_rank_cd normalized to 0–1 (rank / (rank + 1)), title weighted over body.</param>
/// <param name="Coverage">The share of the question's words the article contains.</param>
/// <param name="GoodEnough">The bot may answer with it (both over the configured minimums).</param>
public sealed record KnowledgeMatch(KnowledgeArticle Article, double Rank, double Coverage, bool GoodEnough);

public sealed record ArticleDraft(string? Slug, string Title, string Body, string Language, IReadOnlyList<string> Tags);

public abstract record ArticleSaveResult
{
    public sealed record Saved(KnowledgeArticle Article, bool Created) : ArticleSaveResult;
    public sealed record SlugTaken(string Slug) : ArticleSaveResult;
    public sealed record NotFound : ArticleSaveResult;
}

/// <summary>
/// Knowledge-base articles in PostgreSQL, searched with full-text search: each article in its own language's
/// text-search configuration, the question's words OR-ed, ranked with <c>ts_rank_cd</c> (title weighs more).
/// </summary>
public sealed class KnowledgeBase(NpgsqlDataSource db, IOptionsMonitor<BotOptions> options, TimeProvider clock)
{
    /// <summary>Languages the knowledge base can search, with their PostgreSQL text-search configurations.</summary>
    public static readonly IReadOnlyDictionary<string, string> Configs = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["en"] = "english", ["es"] = "spanish",
    };

    /// <summary>Weights D, C, B, A: the title (A) counts most, the body (B) less.</summary>
    private static readonly float[] Weights = [0.1f, 0.2f, 0.4f, 1.0f];

    private const string Columns = "id, slug, title, body, language, tags, source, created_at, updated_at";

    public async Task<IReadOnlyList<KnowledgeMatch>> SearchAsync(string question, int limit, CancellationToken ct)
    {
        var settings = options.CurrentValue.KnowledgeBase;
        await using var connection = await db.OpenConnectionAsync(ct);
        // Every configuration turns the question into its own lexemes; an article is matched in its language.
        await using var command = connection.Sql($"""
            with q as (
                select c.cfg, replace(plainto_tsquery(c.cfg, $1)::text, '&', '|') as qt,
                       array(select lexeme from unnest(to_tsvector(c.cfg, $1))) as lexemes
                from unnest($2::regconfig[]) c(cfg)),
            top as (
                select {Prefixed("a")}, a.search, q.lexemes, ts_rank_cd($4::float4[], a.search, q.qt::tsquery, 32) as rank
                from kb_articles a join q on q.cfg = a.config
                where q.qt <> '' and a.search @@ q.qt::tsquery
                order by rank desc, a.updated_at desc
                limit $3)
            -- Coverage only for the best few: unpacking every matching article's vector would cost more than ranking it.
            select {Columns}, rank,
                   (select count(*) from unnest(lexemes) x where x = any(tsvector_to_array(search)))::float8 / greatest(cardinality(lexemes), 1)
            from top
            order by rank desc, updated_at desc
            """, Fold(question), Configs.Values.Distinct().ToArray(), limit, Weights);
        var list = new List<KnowledgeMatch>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var rank = Math.Round(reader.GetFloat(9), 4);
            var coverage = Math.Round(reader.GetDouble(10), 4);
            list.Add(new KnowledgeMatch(Read(reader), rank, coverage, rank >= settings.MinRank && coverage >= settings.MinCoverage));
        }

        return list;
    }

    public async Task<KnowledgeArticle?> GetAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql($"select {Columns} from kb_articles where id = $1", id);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    public async Task<IReadOnlyList<KnowledgeArticle>> ListAsync(string? language, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql($"""
            select {Columns} from kb_articles where ($1::text is null or language = $1)
            order by updated_at desc, id desc limit $2
            """, Db.Text(language), limit);
        var list = new List<KnowledgeArticle>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) list.Add(Read(reader));
        return list;
    }

    /// <summary>Adds an article (a slug from the title when none is given).</summary>
    public async Task<ArticleSaveResult> AddAsync(ArticleDraft draft, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var slug = draft.Slug ?? Slugs.From(draft.Title);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var insert = connection.Sql($"""
            insert into kb_articles (id, slug, title, body, language, config, tags, source, created_at, updated_at, search_title, search_body)
            values ($1, $2, $3, $4, $5, $6::regconfig, $7, 'api', $8, $8, $9, $10)
            on conflict (slug) do nothing
            returning {Columns}
            """, Guid.CreateVersion7(now), slug, draft.Title, draft.Body, draft.Language, Configs[draft.Language], draft.Tags.ToArray(), now,
            Fold(draft.Title), Fold(draft.Body));
        await using var reader = await insert.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new ArticleSaveResult.Saved(Read(reader), true) : new ArticleSaveResult.SlugTaken(slug);
    }

    /// <summary>Replaces an article's content; from now on the seed folder no longer overwrites it.</summary>
    public async Task<ArticleSaveResult> UpdateAsync(Guid id, ArticleDraft draft, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        try
        {
            await using var update = connection.Sql($"""
                update kb_articles set slug = coalesce($2, slug), title = $3, body = $4, language = $5, config = $6::regconfig, tags = $7,
                    source = 'api', updated_at = $8, search_title = $9, search_body = $10
                where id = $1
                returning {Columns}
                """, id, Db.Text(draft.Slug), draft.Title, draft.Body, draft.Language, Configs[draft.Language], draft.Tags.ToArray(), clock.GetUtcNow(),
                Fold(draft.Title), Fold(draft.Body));
            await using var reader = await update.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct) ? new ArticleSaveResult.Saved(Read(reader), false) : new ArticleSaveResult.NotFound();
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return new ArticleSaveResult.SlugTaken(draft.Slug!);
        }
    }

    /// <summary>Inserts or refreshes seed articles by slug, leaving articles edited through the API alone.</summary>
    /// <returns>How many rows were written (0 when the folder is unchanged).</returns>
    public async Task<int> SeedAsync(IReadOnlyList<ArticleDraft> drafts, CancellationToken ct)
    {
        if (drafts.Count == 0) return 0;
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        var written = 0;
        foreach (var draft in drafts)
        {
            await using var upsert = connection.Sql("""
                insert into kb_articles (id, slug, title, body, language, config, tags, source, created_at, updated_at, search_title, search_body)
                values ($1, $2, $3, $4, $5, $6::regconfig, $7, 'seed', $8, $8, $9, $10)
                on conflict (slug) do update set title = excluded.title, body = excluded.body, language = excluded.language,
                    config = excluded.config, tags = excluded.tags, updated_at = excluded.updated_at,
                    search_title = excluded.search_title, search_body = excluded.search_body
                where kb_articles.source = 'seed'
                  and (kb_articles.title, kb_articles.body, kb_articles.language, kb_articles.tags)
                      is distinct from (excluded.title, excluded.body, excluded.language, excluded.tags)
                """, Guid.CreateVersion7(now), draft.Slug!, draft.Title, draft.Body, draft.Language, Configs[draft.Language],
                draft.Tags.ToArray(), now, Fold(draft.Title), Fold(draft.Body));
            written += await upsert.ExecuteNonQueryAsync(ct);
        }

        return written;
    }

    /// <summary>Accents and punctuation off ("¿contraseña?" → " contrasena "), so text search does not depend on the database's locale.</summary>
    internal static string Fold(string text)
    {
        var decomposed = text.Normalize(System.Text.NormalizationForm.FormD);
        var folded = new System.Text.StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
        {
            // Punctuation becomes a space too: under LC_CTYPE C the parser would glue "¿Cómo" into one word.
            if (System.Globalization.CharUnicodeInfo.GetUnicodeCategory(c) != System.Globalization.UnicodeCategory.NonSpacingMark)
                folded.Append(char.IsLetterOrDigit(c) ? c : ' ');
        }

        return folded.ToString().Normalize(System.Text.NormalizationForm.FormC);
    }

    private static string Prefixed(string alias) => string.Join(", ", Columns.Split(", ").Select(c => $"{alias}.{c}"));

    private static KnowledgeArticle Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
        reader.GetFieldValue<string[]>(5), reader.GetString(6), reader.Instant(7), reader.Instant(8));
}

public static class Slugs
{
    /// <summary>Lower-case ASCII words joined by dashes, at most 80 characters.</summary>
    public static string From(string text)
    {
        var words = Flows.FlowMatching.Normalize(text).Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(w => new string(w.Where(char.IsAsciiLetterOrDigit).ToArray())).Where(w => w.Length > 0);
        var slug = string.Join('-', words);
        if (slug.Length > 80) slug = slug[..80].TrimEnd('-');
        return slug.Length == 0 ? Guid.NewGuid().ToString("N")[..12] : slug;
    }

    public static bool IsValid(string slug) =>
        slug.Length is > 0 and <= 80 && slug.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
        && !slug.StartsWith('-') && !slug.EndsWith('-');
}
