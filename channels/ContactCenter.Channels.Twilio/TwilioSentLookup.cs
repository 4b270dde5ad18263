using System.Globalization;
using System.Text.Json.Nodes;

namespace ContactCenter.Channels.Twilio;

/// <summary>What Twilio holds of an earlier attempt to create a message or call.</summary>
public abstract record EarlierAttempt
{
    public sealed record Found(string Sid, string? Status) : EarlierAttempt;
    public sealed record NotFound : EarlierAttempt;
    /// <summary>The lookup itself failed: whether the earlier attempt reached Twilio is not known.</summary>
    public sealed record Unknown(TwilioApiError Error) : EarlierAttempt;
}

/// <summary>
/// Twilio's create calls (Messages, Calls) take no idempotency key, and an attempt that timed out (or whose
/// worker died) may still have created its message or call. Before a retry creates it again, the retry looks
/// for it in Twilio's list; only "not there" lets it send.
/// </summary>
public static class TwilioSentLookup
{
    /// <summary>One page, newest first, is plenty: the window starts when the message was accepted.</summary>
    public const int PageSize = 50;

    /// <summary>Twilio's clock and ours differ a little.</summary>
    private static readonly TimeSpan Skew = TimeSpan.FromMinutes(2);

    /// <summary>
    /// An outbound message to <paramref name="to"/> (from <paramref name="from"/> when known) created since
    /// <paramref name="since"/> with the same body (any body for a template, whose rendering Twilio does). Of several,
    /// the oldest, which is the earliest attempt; <paramref name="isAnotherMessage"/> skips sids the outbox has
    /// recorded for other messages (the same text sent to the same customer a moment before).
    /// </summary>
    public static async Task<EarlierAttempt> FindMessageAsync(
        TwilioRestClient client, string to, string? from, string? body, DateTimeOffset since, Func<string, Task<bool>> isAnotherMessage,
        CancellationToken ct)
    {
        var result = await client.GetAsync(Query("Messages.json", to, from), ct);
        if (result.Error is { } error) return new EarlierAttempt.Unknown(error);
        EarlierAttempt match = new EarlierAttempt.NotFound();
        foreach (var item in result.Resource?["messages"] as JsonArray ?? [])
        {
            if (Candidate(item, since) is not { } message) continue;
            if (body is not null && !string.Equals(Text(message, "body")?.Trim(), body.Trim(), StringComparison.Ordinal)) continue;
            if (await isAnotherMessage(Text(message, "sid")!)) continue;
            match = new EarlierAttempt.Found(Text(message, "sid")!, Text(message, "status"));
        }

        return match;
    }

    /// <summary>A call to <paramref name="to"/> from <paramref name="from"/> placed since <paramref name="since"/>: the oldest.</summary>
    public static async Task<EarlierAttempt> FindCallAsync(TwilioRestClient client, string to, string from, DateTimeOffset since, CancellationToken ct)
    {
        var result = await client.GetAsync(Query("Calls.json", to, from), ct);
        if (result.Error is { } error) return new EarlierAttempt.Unknown(error);
        EarlierAttempt match = new EarlierAttempt.NotFound();
        foreach (var item in result.Resource?["calls"] as JsonArray ?? [])
        {
            if (Candidate(item, since) is { } call) match = new EarlierAttempt.Found(Text(call, "sid")!, Text(call, "status"));
        }

        return match;
    }

    private static string Query(string resource, string to, string? from) =>
        $"{resource}?To={Uri.EscapeDataString(to)}" + (from is null ? "" : $"&From={Uri.EscapeDataString(from)}") +
        $"&PageSize={PageSize.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>An outbound resource with a sid created inside the window.</summary>
    private static JsonObject? Candidate(JsonNode? item, DateTimeOffset since)
    {
        if (item is not JsonObject resource || string.IsNullOrEmpty(Text(resource, "sid"))) return null;
        if (Text(resource, "direction") is { } direction && !direction.StartsWith("outbound", StringComparison.Ordinal)) return null;
        // Twilio writes RFC 2822 dates ("Tue, 01 Dec 2026 22:05:09 +0000"); one it cannot date counts as inside the window.
        if (Text(resource, "date_created") is { } created
            && DateTimeOffset.TryParse(created, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            && at < since - Skew) return null;
        return resource;
    }

    private static string? Text(JsonObject json, string name) =>
        json[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
