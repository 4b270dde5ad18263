using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using MimeKit.Text;

namespace ContactCenter.Channels.Email;

/// <summary>
/// What an agent reads of a mail: its new part only (quoted history and signature cut), and HTML turned into
/// plain text (scripts, styles and markup dropped, entities decoded), so no markup ever reaches the desk.
/// </summary>
internal static partial class MailText
{
    private static readonly HashSet<string> Skipped = new(StringComparer.OrdinalIgnoreCase)
        { "script", "style", "head", "title", "template", "noscript", "object", "iframe", "svg" };

    private static readonly HashSet<string> Blocks = new(StringComparer.OrdinalIgnoreCase)
        { "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "hr", "pre", "section", "article" };

    /// <summary>HTML as plain text. Quoted blocks (<c>blockquote</c>) are left out: they are earlier mail.</summary>
    public static string FromHtml(string html, bool keepQuotes = false)
    {
        var text = new StringBuilder();
        var tokenizer = new HtmlTokenizer(new StringReader(html));
        string? skipping = null;
        var quoteDepth = 0;
        while (tokenizer.ReadNextToken(out var token))
        {
            switch (token)
            {
                case HtmlTagToken tag when skipping is not null:
                    if (tag.IsEndTag && tag.Name.Equals(skipping, StringComparison.OrdinalIgnoreCase)) skipping = null;
                    break;
                case HtmlTagToken tag when Skipped.Contains(tag.Name):
                    if (!tag.IsEndTag && !tag.IsEmptyElement) skipping = tag.Name;
                    break;
                case HtmlTagToken tag when tag.Name.Equals("blockquote", StringComparison.OrdinalIgnoreCase) && !keepQuotes:
                    quoteDepth = Math.Max(0, quoteDepth + (tag.IsEndTag ? -1 : 1));
                    break;
                case HtmlTagToken tag when Blocks.Contains(tag.Name):
                    if (quoteDepth == 0) text.Append('\n');
                    break;
                case HtmlDataToken data when skipping is null && quoteDepth == 0 && token.Kind == HtmlTokenKind.Data:
                    // The tokenizer decoded entities already; collapse the source's layout whitespace.
                    text.Append(Whitespace().Replace(data.Data, " "));
                    break;
            }
        }

        var lines = text.ToString().Split('\n').Select(l => l.Trim());
        return BlankRuns().Replace(string.Join('\n', lines), "\n\n").Trim();
    }

    /// <summary>The new part of a plain-text mail: cut at the first reply header, forward marker or signature.</summary>
    public static string NewPart(string text)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        var kept = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (StartsHistory(lines, i)) break;
            if (line.TrimStart().StartsWith('>')) continue;
            kept.Add(line.TrimEnd());
        }

        var result = string.Join('\n', kept).Trim();
        return result.Length > 0 ? BlankRuns().Replace(result, "\n\n") : text.Trim();
    }

    private static bool StartsHistory(string[] lines, int i)
    {
        var line = lines[i].Trim();
        if (line is "--" or "-- " || lines[i] == "-- ") return true;
        if (OriginalMessage().IsMatch(line) || line.Length >= 10 && line.All(c => c == '_')) return true;
        if (SentFrom().IsMatch(line)) return true;
        // "On Mon, 1 Dec 2026 at 10:00, Dana <dana@example.com> wrote:" — often wrapped over two lines.
        if (Wrote().IsMatch(line)) return true;
        if (i + 1 < lines.Length && AttributionStart().IsMatch(line) && Wrote().IsMatch(line + " " + lines[i + 1].Trim())) return true;
        // Outlook's header block: "From: …" followed by "Sent:"/"Date:"/"To:"/"Subject:".
        if (line.StartsWith("From:", StringComparison.OrdinalIgnoreCase))
        {
            for (var j = i + 1; j < Math.Min(lines.Length, i + 4); j++)
                if (HeaderLine().IsMatch(lines[j].Trim())) return true;
        }

        return false;
    }

    /// <summary>A subject without its reply and forward prefixes, for the thread.</summary>
    public static string BaseSubject(string? subject)
    {
        var s = (subject ?? "").Trim();
        while (ReplyPrefix().Match(s) is { Success: true } m) s = s[m.Length..].TrimStart();
        s = Token().Replace(s, "").Trim();
        return s.Length == 0 ? "(no subject)" : s.Length > 200 ? s[..200] : s;
    }

    /// <summary>The conversation reference token we put in our subjects ("[#a1b2c3d4e5f6]"), when present.</summary>
    public static string? TokenIn(string? subject) =>
        subject is not null && Token().Match(subject) is { Success: true } m ? m.Groups[1].Value.ToLowerInvariant() : null;

    /// <summary>Plain text as minimal HTML for the HTML part of our replies.</summary>
    public static string ToHtml(string text)
    {
        var paragraphs = text.Replace("\r\n", "\n").Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(p => "<p>" + WebUtility.HtmlEncode(p.Trim()).Replace("\n", "<br>") + "</p>");
        return "<!DOCTYPE html><html><body>" + string.Concat(paragraphs) + "</body></html>";
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"\n{3,}")]
    private static partial Regex BlankRuns();

    [GeneratedRegex(@"^-{2,}\s*(Original Message|Forwarded message|Ursprüngliche Nachricht|Message d'origine)\s*-{2,}$", RegexOptions.IgnoreCase)]
    private static partial Regex OriginalMessage();

    [GeneratedRegex(@"^Sent from my \w+", RegexOptions.IgnoreCase)]
    private static partial Regex SentFrom();

    [GeneratedRegex(@"^(On|Am|Le|El|Il|Op)\s.{0,300}(wrote|schrieb|a écrit|escribió|ha scritto|schreef)\s*:$", RegexOptions.IgnoreCase)]
    private static partial Regex Wrote();

    [GeneratedRegex(@"^(On|Am|Le|El|Il|Op)\s", RegexOptions.IgnoreCase)]
    private static partial Regex AttributionStart();

    [GeneratedRegex(@"^(Sent|Date|To|Subject|Cc|Gesendet|Envoyé):\s", RegexOptions.IgnoreCase)]
    private static partial Regex HeaderLine();

    [GeneratedRegex(@"^(re|fw|fwd|aw|wg|tr|sv|vs)(\[\d+\])?\s*:", RegexOptions.IgnoreCase)]
    private static partial Regex ReplyPrefix();

    [GeneratedRegex(@"\[#([a-z0-9]{12})\]", RegexOptions.IgnoreCase)]
    private static partial Regex Token();
}
