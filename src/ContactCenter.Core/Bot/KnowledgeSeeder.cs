using System.Text.RegularExpressions;
using ContactCenter.Core.Flows;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using YamlDotNet.Serialization;

namespace ContactCenter.Core.Bot;

/// <summary>
/// Loads the seed folder (<c>Bot:KnowledgeBase:SeedPath</c>, default <c>kb/</c>) at start: one markdown file per
/// article, front matter <c>title</c>, <c>language</c> (en, es), <c>tags</c>; the file name is the slug. Running
/// it again changes nothing unless a file changed; articles edited through the API are left alone.
/// </summary>
public sealed partial class KnowledgeSeeder(
    KnowledgeBase knowledge, IOptions<BotOptions> options, ILogger<KnowledgeSeeder> log, string contentRoot) : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        var (written, files) = await SeedAsync(ct);
        if (files > 0) LogSeeded(log, files, written);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    public async Task<(int Written, int Files)> SeedAsync(CancellationToken ct)
    {
        var path = options.Value.KnowledgeBase.SeedPath;
        if (string.IsNullOrWhiteSpace(path)) return (0, 0);
        var folder = Path.GetFullPath(Path.Combine(contentRoot, path));
        if (!Directory.Exists(folder)) return (0, 0);
        var drafts = Directory.EnumerateFiles(folder, "*.md").Order(StringComparer.Ordinal).Select(Parse).ToList();
        return (await knowledge.SeedAsync(drafts, ct), drafts.Count);
    }

    /// <summary>Reads one seed file; a broken one stops the start, naming the file (like a broken flow).</summary>
    public static ArticleDraft Parse(string file)
    {
        var text = File.ReadAllText(file).ReplaceLineEndings("\n");
        var match = FrontMatter().Match(text);
        if (!match.Success) throw new InvalidOperationException($"{file}: an article starts with front matter between '---' lines (title, language, tags).");
        var head = new DeserializerBuilder().Build().Deserialize<SeedHead?>(match.Groups[1].Value) ?? new SeedHead();
        var slug = Path.GetFileNameWithoutExtension(file);
        var body = match.Groups[2].Value.Trim();
        var language = head.Language ?? "en";
        if (!Slugs.IsValid(slug)) throw new InvalidOperationException($"{file}: the file name must be a slug (a-z, 0-9, dashes).");
        if (string.IsNullOrWhiteSpace(head.Title) || body.Length == 0) throw new InvalidOperationException($"{file}: an article needs a title and a body.");
        if (!KnowledgeBase.Configs.ContainsKey(language))
            throw new InvalidOperationException($"{file}: language '{language}' is not one of {string.Join(", ", KnowledgeBase.Configs.Keys)}.");
        return new ArticleDraft(slug, head.Title.Trim(), body, language.ToLowerInvariant(), head.Tags ?? []);
    }

    [GeneratedRegex(@"\A---\n(.*?)\n---\n(.*)\z", RegexOptions.Singleline)]
    private static partial Regex FrontMatter();

    private sealed class SeedHead
    {
        [YamlMember(Alias = "title")] public string? Title { get; set; }
        [YamlMember(Alias = "language")] public string? Language { get; set; }
        [YamlMember(Alias = "tags")] public List<string>? Tags { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Knowledge base: {Files} seed articles, {Written} written")]
    private static partial void LogSeeded(ILogger logger, int files, int written);
}

/// <summary>The flow's <c>answer</c> node: the best article, when it is good enough, as the answer.</summary>
internal sealed class KnowledgeResolver(KnowledgeBase knowledge, IOptionsMonitor<BotOptions> options) : IFlowActionResolver
{
    public bool CanResolve(FlowAction action) => action is KnowledgeAction;

    public async Task<FlowInput> ResolveAsync(FlowAction action, CancellationToken ct)
    {
        var query = ((KnowledgeAction)action).Query;
        if (string.IsNullOrWhiteSpace(query)) return new FlowInput.KnowledgeResult(false);
        var best = (await knowledge.SearchAsync(query, 1, ct)).FirstOrDefault();
        if (best is not { GoodEnough: true }) return new FlowInput.KnowledgeResult(false, ArticleId: best?.Article.Id.ToString(), Score: best?.Rank);
        var answer = $"{best.Article.Title}\n\n{Shorten(best.Article.Body, options.CurrentValue.KnowledgeBase.MaxAnswerLength)}";
        return new FlowInput.KnowledgeResult(true, answer, best.Article.Id.ToString(), best.Rank);
    }

    /// <summary>Cut at the last sentence end that fits, so a chat answer never ends mid-word.</summary>
    internal static string Shorten(string text, int max)
    {
        if (text.Length <= max) return text;
        var cut = text.LastIndexOfAny(['.', '!', '?', '\n'], max - 1);
        return cut > max / 3 ? text[..(cut + 1)].TrimEnd() : text[..(max - 1)].TrimEnd() + "…";
    }
}
