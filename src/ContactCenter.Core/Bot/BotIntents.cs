using System.Text.Json.Nodes;
using ContactCenter.Core.Flows;

namespace ContactCenter.Core.Bot;

/// <summary>
/// What the bot listens for at any point of a flow, in English and Spanish: a request for a person, and how
/// the customer feels (a small lexicon: each negative word −1, each positive word +1, shouting −1).
/// </summary>
public static class BotIntents
{
    private static readonly string[] PersonPhrases =
    [
        "agent", "human", "person", "representative", "operator", "real person", "someone real", "live agent",
        "talk to someone", "speak to someone",
        "agente", "humano", "persona", "representante", "operador", "asesor", "hablar con alguien",
    ];

    private static readonly string[] Negative =
    [
        "terrible", "awful", "horrible", "worst", "hate", "angry", "furious", "useless", "ridiculous", "unacceptable",
        "disgusting", "pathetic", "scam", "fraud", "garbage", "sucks", "stupid", "incompetent", "fed up", "sick of",
        "disappointed", "annoyed", "frustrated", "never again", "waste of time", "lawyer",
        "pesimo", "odio", "furioso", "furiosa", "enojado", "enojada", "inutil", "ridiculo", "inaceptable", "estafa",
        "fraude", "basura", "harto", "harta", "decepcionado", "decepcionada", "vergüenza", "verguenza", "peor",
    ];

    private static readonly string[] Positive =
    [
        "thanks", "thank you", "great", "perfect", "awesome", "love", "excellent", "helpful",
        "gracias", "genial", "perfecto", "excelente", "encanta",
    ];

    /// <summary>The whole message asks for a person ("agent", "0", "I want to talk to a human").</summary>
    public static bool AsksForPerson(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return false;
        var words = FlowMatching.Normalize(text);
        if (words is "0" or "cero" or "zero") return true;
        var padded = $" {words} ";
        return PersonPhrases.Any(p => padded.Contains($" {FlowMatching.Normalize(p)} ", StringComparison.Ordinal));
    }

    /// <summary>Negative below zero; "This is ridiculous, your service is terrible!!" scores −3.</summary>
    public static int Sentiment(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return 0;
        var padded = $" {FlowMatching.Normalize(text)} ";
        var score = Positive.Count(p => padded.Contains($" {FlowMatching.Normalize(p)} ", StringComparison.Ordinal))
                    - Negative.Count(n => padded.Contains($" {FlowMatching.Normalize(n)} ", StringComparison.Ordinal));
        var letters = text.Where(char.IsLetter).ToList();
        if (text.Contains("!!", StringComparison.Ordinal) || (letters.Count >= 12 && letters.All(c => !char.IsLower(c)))) score--;
        return score;
    }

    public static string SentimentLabel(int score, int negativeThreshold) =>
        score <= negativeThreshold ? "negative" : score < 0 ? "slightly negative" : score > 0 ? "positive" : "neutral";

    /// <summary>The caller's side of input: a button is a choice; "2" picks the second option shown.</summary>
    public static FlowInput InputOf(string? text, JsonObject? choice, FlowExpectation? expect)
    {
        if (choice?["id"]?.GetValue<string>() is { Length: > 0 } id) return new FlowInput.Choice(id, choice["title"]?.GetValue<string>());
        var typed = text ?? "";
        // An option named by the number itself (the 0–10 question's "9") wins over the ninth option.
        if (expect?.Choices.FirstOrDefault(c => c.Id == typed.Trim().TrimEnd('.', ')')) is { } named) return new FlowInput.Choice(named.Id, named.Title);
        if (expect is { Choices.Count: > 0 } && int.TryParse(typed.Trim().TrimEnd('.', ')'), out var n) && n >= 1 && n <= expect.Choices.Count)
            return new FlowInput.Choice(expect.Choices[n - 1].Id, expect.Choices[n - 1].Title);
        return new FlowInput.Text(typed);
    }

    /// <summary>Questions asked again in this step (a wrong answer that did not fall back).</summary>
    public static int Misses(FlowStep step) =>
        step.Events.Count(e => e.Type is "no-match" or "invalid" && !step.Events.Any(f => f.Type == "fallback" && f.Node == e.Node));

    public static bool IsGreeting(string? text) =>
        string.IsNullOrWhiteSpace(text) || FlowMatching.Normalize(text) is "hi" or "hello" or "hey" or "hola" or "buenas" or "start"
            or "buenos dias" or "buenas tardes" or "good morning" or "good afternoon";

    /// <summary>A first message in Spanish starts the flow in Spanish (a hint, not a language detector).</summary>
    public static string? LanguageOf(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (text.Contains('¿') || text.Contains('¡') || text.Contains('ñ')) return "es";
        var words = $" {FlowMatching.Normalize(text)} ";
        string[] spanish = ["hola", "gracias", "quiero", "necesito", "ayuda", "pedido", "como", "donde", "por favor", "buenas", "mi"];
        return spanish.Count(w => words.Contains($" {w} ", StringComparison.Ordinal)) >= 2 ? "es" : null;
    }
}
