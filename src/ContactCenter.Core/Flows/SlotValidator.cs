using System.Net.Mail;
using System.Text.RegularExpressions;

namespace ContactCenter.Core.Flows;

/// <summary>
/// Checks and normalizes what a <c>collect</c> node receives. Built in: <c>text</c> (anything not empty),
/// <c>digits</c>, <c>email</c>, <c>orderNumber</c> (5–10 digits, optionally after up to three letters and a dash:
/// 12345, NW-12345, also inside a sentence), <c>phone</c> (7–15 digits, optional +); or any regular expression.
/// </summary>
public sealed partial class SlotValidator
{
    private readonly Func<string, string?> _check;

    private SlotValidator(string name, Func<string, string?> check)
    {
        Name = name;
        _check = check;
    }

    public string Name { get; }

    public static readonly IReadOnlyList<string> BuiltIn = ["text", "digits", "email", "orderNumber", "phone"];

    public static SlotValidator? Named(string name) => name switch
    {
        "text" => new(name, value => value.Length > 0 ? value : null),
        "digits" => new(name, value => Spaces().Replace(value, "") is var d && d.Length > 0 && d.All(char.IsAsciiDigit) ? d : null),
        "email" => new(name, Email),
        "orderNumber" => new(name, OrderNumber),
        "phone" => new(name, value => Phone().Replace(value, "") is var p && PhoneShape().IsMatch(p) ? p : null),
        _ => null,
    };

    /// <summary>A regular expression the whole answer must match; throws <see cref="ArgumentException"/> when invalid.</summary>
    public static SlotValidator Pattern(string pattern)
    {
        var regex = new Regex($"^(?:{pattern})$", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
        return new SlotValidator($"regex {pattern}", value => regex.IsMatch(value) ? value : null);
    }

    /// <summary>The normalized value, or null when the answer does not pass.</summary>
    public string? Check(string raw) => _check(raw.Trim());

    private static string? Email(string value)
    {
        // Speech recognizers write "ana at example dot com"; chat users type the address.
        var text = Spaces().Replace(value.Replace(" at ", "@", StringComparison.OrdinalIgnoreCase)
            .Replace(" dot ", ".", StringComparison.OrdinalIgnoreCase), "");
        return MailAddress.TryCreate(text, out var address) && address.Address == text && text.Contains('.', StringComparison.Ordinal)
            ? text.ToLowerInvariant()
            : null;
    }

    private static string? OrderNumber(string value)
    {
        // Found inside a sentence too ("my order is NW-12345"); keypad and speech give the bare digits.
        var match = OrderShape().Match(value.ToUpperInvariant());
        if (!match.Success) return null;
        return match.Groups[1].Length > 0 ? $"{match.Groups[1].Value}-{match.Groups[2].Value}" : match.Groups[2].Value;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    [GeneratedRegex(@"[\s().\-]")]
    private static partial Regex Phone();

    [GeneratedRegex(@"^\+?\d{7,15}$")]
    private static partial Regex PhoneShape();

    [GeneratedRegex(@"(?<![A-Z0-9])(?:([A-Z]{1,3})-?)?(\d{5,10})(?![0-9])")]
    private static partial Regex OrderShape();
}
