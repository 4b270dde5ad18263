using System.Text.RegularExpressions;

namespace ContactCenter.Core.Conversations;

/// <summary><c>@agent-id</c> mentions in an internal note.</summary>
public static partial class Mentions
{
    public static IReadOnlyList<string> Parse(string text) =>
        Pattern().Matches(text).Select(m => m.Groups[1].Value.TrimEnd('.', '-')).Where(m => m.Length > 0).Distinct().ToList();

    // After the start or a space, so e-mail addresses are not mentions.
    [GeneratedRegex(@"(?<![\w@])@([A-Za-z0-9][A-Za-z0-9._-]{0,63})")]
    private static partial Regex Pattern();
}
