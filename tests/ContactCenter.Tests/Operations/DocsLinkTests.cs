using System.Text.RegularExpressions;

namespace ContactCenter.Tests.Operations;

/// <summary>The docs are split by topic; these keep their links pointing at files that exist, inside the repository.</summary>
public partial class DocsLinkTests
{
    private static string Root => Path.GetFullPath(ContactCenterApp.RepositoryRoot);

    /// <summary>Every markdown file of the repository, outside build output and dot-folders (.git, .data).</summary>
    private static IEnumerable<string> MarkdownFiles() =>
        Directory.EnumerateFiles(Root, "*.md", SearchOption.AllDirectories)
            .Where(path => !Path.GetRelativePath(Root, path).Split(Path.DirectorySeparatorChar)
                .Any(part => part.StartsWith('.') || part is "bin" or "obj" or "node_modules"));

    [GeneratedRegex(@"```.*?```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();

    [GeneratedRegex(@"`[^`\n]*`")]
    private static partial Regex CodeSpan();

    // [text](target) and [text](target "title"); reference definitions: [name]: target
    [GeneratedRegex(@"\]\(\s*(?:<([^>\n]+)>|([^)\s]+))(?:\s+""[^""]*"")?\s*\)|^\s*\[[^\]]+\]:\s*(\S+)", RegexOptions.Multiline)]
    private static partial Regex Link();

    private static IEnumerable<string> LinksOf(string markdown)
    {
        var text = CodeSpan().Replace(CodeBlock().Replace(markdown, ""), "");
        return Link().Matches(text).Select(m => m.Groups.Values.Skip(1).First(g => g.Success).Value);
    }

    [Fact]
    public void EveryRelativeLinkPointsToAFileInsideTheRepository()
    {
        var files = MarkdownFiles().ToList();
        Assert.Contains(files, f => Path.GetRelativePath(Root, f) == Path.Combine("docs", "configuration.md"));
        var checkedLinks = 0;
        var broken = new List<string>();
        foreach (var file in files)
        {
            foreach (var link in LinksOf(File.ReadAllText(file)))
            {
                if (Uri.TryCreate(link, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "mailto") continue;
                if (link.StartsWith('#')) continue;
                var name = Path.GetRelativePath(Root, file);
                var target = Uri.UnescapeDataString(link.Split('#')[0]);
                if (Path.IsPathRooted(target) || link.Contains("://", StringComparison.Ordinal))
                {
                    broken.Add($"{name}: '{link}' is not a relative link");
                    continue;
                }
                var resolved = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, target));
                checkedLinks++;
                if (!resolved.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                    broken.Add($"{name}: '{link}' points outside the repository");
                else if (!File.Exists(resolved) && !Directory.Exists(resolved))
                    broken.Add($"{name}: '{link}' points to {Path.GetRelativePath(Root, resolved)}, which does not exist");
            }
        }
        Assert.True(broken.Count == 0, string.Join("\n", broken));
        Assert.True(checkedLinks > 20, $"only {checkedLinks} relative links found: is the link pattern still right?");
    }

    [Fact]
    public void TheLinkPatternFindsLinksOutsideCode()
    {
        var links = LinksOf("""
            See [a](docs/a.md#part), [b](<b c.md>), [web](https://example.com) and `[code](nope.md)`.
            ```
            [fenced](nope.md)
            ```
            [ref]: ../shared/CONTRACT.md
            """).ToList();
        Assert.Equal(["docs/a.md#part", "b c.md", "https://example.com", "../shared/CONTRACT.md"], links);
    }

    [Fact]
    public void TheReadmeShowsTheTestCommandCiRuns()
    {
        var ci = File.ReadAllLines(Path.Combine(Root, ".ci", "run"));
        var command = ci.Last(l => l.TrimStart().StartsWith("dotnet test", StringComparison.Ordinal)).Trim();
        var readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        Assert.Contains("```sh\n" + command + "\n```", readme.ReplaceLineEndings("\n"));
        Assert.Contains("```sh\ndotnet run --project src/ContactCenter.Server\n```", readme.ReplaceLineEndings("\n"));
    }
}
