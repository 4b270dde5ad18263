using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ContactCenter.Core.Flows;

/// <summary>
/// Which option a caller meant. Keys match exactly; a chat button matches by its id; words (speech or typed)
/// match an option's synonyms, title or id as whole words, ignoring case, accents and punctuation, the
/// longest matching phrase winning ("technical support" beats "support"). A lone spoken or typed digit or
/// digit word ("two", "dos") counts as that key.
/// </summary>
public static class FlowMatching
{
    private static readonly Dictionary<string, string> DigitWords = new(StringComparer.Ordinal)
    {
        ["zero"] = "0", ["cero"] = "0", ["one"] = "1", ["uno"] = "1", ["una"] = "1", ["two"] = "2", ["dos"] = "2",
        ["three"] = "3", ["tres"] = "3", ["four"] = "4", ["cuatro"] = "4", ["five"] = "5", ["cinco"] = "5",
        ["six"] = "6", ["seis"] = "6", ["seven"] = "7", ["siete"] = "7", ["eight"] = "8", ["ocho"] = "8",
        ["nine"] = "9", ["nueve"] = "9",
    };

    public static FlowOption? Match(IReadOnlyList<FlowOption> options, FlowInput input, string language, string defaultLanguage,
        IReadOnlyDictionary<string, JsonElement> variables)
    {
        switch (input)
        {
            case FlowInput.Digits digits:
                var pressed = digits.Value.Trim().TrimEnd('#');
                return options.FirstOrDefault(o => o.Key == pressed);
            case FlowInput.Choice choice:
                return options.FirstOrDefault(o => o.Id.Equals(choice.Id.Trim(), StringComparison.OrdinalIgnoreCase))
                       ?? (choice.Title is null ? null : ByWords(options, choice.Title, language, defaultLanguage, variables));
            case FlowInput.Text text:
                var typed = text.Value.Trim();
                return options.FirstOrDefault(o => o.Key is not null && o.Key == typed)
                       ?? options.FirstOrDefault(o => o.Id.Equals(typed, StringComparison.OrdinalIgnoreCase))
                       ?? ByWords(options, typed, language, defaultLanguage, variables);
            case FlowInput.Speech speech:
                return ByWords(options, speech.Transcript, language, defaultLanguage, variables);
            default:
                return null;
        }
    }

    private static FlowOption? ByWords(IReadOnlyList<FlowOption> options, string said, string language, string defaultLanguage,
        IReadOnlyDictionary<string, JsonElement> variables)
    {
        var words = Normalize(said);
        if (words.Length == 0) return null;
        var asKey = DigitWords.GetValueOrDefault(words, words);
        if (options.FirstOrDefault(o => o.Key is not null && o.Key == asKey) is { } keyed) return keyed;

        var padded = $" {words} ";
        FlowOption? best = null;
        var bestLength = 0;
        foreach (var option in options)
        {
            foreach (var phrase in Phrases(option, language, defaultLanguage, variables))
            {
                var normalized = Normalize(phrase);
                if (normalized.Length > bestLength && padded.Contains($" {normalized} ", StringComparison.Ordinal))
                {
                    best = option;
                    bestLength = normalized.Length;
                }
            }
        }

        return best;
    }

    private static IEnumerable<string> Phrases(FlowOption option, string language, string defaultLanguage,
        IReadOnlyDictionary<string, JsonElement> variables)
    {
        yield return option.Id.Replace('-', ' ').Replace('_', ' ');
        if (option.Title?.For(language, defaultLanguage)?.Render(variables) is { Length: > 0 } title) yield return title;
        foreach (var synonym in Synonyms(option, language)) yield return synonym;
    }

    private static IEnumerable<string> Synonyms(FlowOption option, string language) =>
        option.Speech.GetValueOrDefault(language, []).Concat(option.Speech.GetValueOrDefault(Localized.AnyLanguage, []));

    public static FlowChoice ChoiceOf(FlowOption option, string language, string defaultLanguage, IReadOnlyDictionary<string, JsonElement> variables) =>
        new(option.Id, option.Key, option.Title?.For(language, defaultLanguage)?.Render(variables) ?? option.Id,
            Synonyms(option, language).ToList());

    /// <summary>Lower case, no accents, words separated by single spaces.</summary>
    public static string Normalize(string text)
    {
        var decomposed = text.Normalize(NormalizationForm.FormD);
        var result = new StringBuilder(decomposed.Length);
        var space = true;
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark) continue;
            if (char.IsLetterOrDigit(c))
            {
                result.Append(char.ToLowerInvariant(c));
                space = false;
            }
            else if (!space)
            {
                result.Append(' ');
                space = true;
            }
        }

        return result.ToString().TrimEnd();
    }

    /// <summary>The caller's words or keys as text, for <c>last.input</c>, slots and events.</summary>
    public static string RawText(FlowInput input) => input switch
    {
        FlowInput.Digits d => d.Value.Trim().TrimEnd('#'),
        FlowInput.Speech s => s.Transcript.Trim(),
        FlowInput.Text t => t.Value.Trim(),
        FlowInput.Choice c => (c.Title ?? c.Id).Trim(),
        _ => "",
    };

    public static string Describe(FlowInput input) => input switch
    {
        FlowInput.Digits => "keys",
        FlowInput.Speech => "speech",
        FlowInput.Text => "text",
        FlowInput.Choice => "a choice",
        FlowInput.NoInput => "no input",
        FlowInput.LookupResult => "a lookup result",
        FlowInput.KnowledgeResult => "a knowledge-base result",
        FlowInput.Outcome => "an action outcome",
        _ => input.GetType().Name,
    };
}
