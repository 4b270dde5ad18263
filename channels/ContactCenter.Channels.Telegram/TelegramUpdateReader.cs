using System.Text.Json;
using System.Text.Json.Nodes;
using ContactCenter.Core.Inbound;
using Microsoft.AspNetCore.Http;
using Telegram.Bot;
using Telegram.Bot.Types;

namespace ContactCenter.Channels.Telegram;

/// <summary>What a webhook body turned out to be.</summary>
internal abstract record TelegramBody
{
    public sealed record Readable(Update Update) : TelegramBody;
    /// <summary>Not an update at all (not JSON, no <c>update_id</c>, too large): 400.</summary>
    public sealed record NotAnUpdate(int Status, string Detail) : TelegramBody;
    /// <summary>
    /// An update with an id whose objects cannot be read (a <c>message</c> without <c>message_id</c>, wrong types):
    /// acknowledged with 200 and logged, because Telegram retries every non-2xx and no retry can make it readable.
    /// </summary>
    public sealed record Unreadable(int UpdateId, string Reason) : TelegramBody;
}

/// <summary>
/// Reads a Bot API update defensively: bounded, NULs removed (PostgreSQL cannot store them; the rest of the
/// message is kept), dates no clock can show replaced by the time of receipt (so the message is kept, not lost).
/// </summary>
internal static class TelegramUpdateReader
{
    /// <summary>Telegram's updates are a few kB; a message's text is at most 4096 characters.</summary>
    public const int MaxBodyBytes = 256 * 1024;

    private const long MaxUnixSeconds = 253_402_300_799; // 9999-12-31T23:59:59Z

    public static async Task<TelegramBody> ReadAsync(HttpRequest request, DateTimeOffset now, CancellationToken ct)
    {
        if (request.ContentLength > MaxBodyBytes) return TooLarge();
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes) return TooLarge();
            buffer.Write(chunk, 0, read);
        }

        JsonNode? node;
        try
        {
            node = JsonNode.Parse(ProviderText.StripNulEscapes(buffer.ToArray()), documentOptions: new JsonDocumentOptions { MaxDepth = 64, AllowDuplicateProperties = false });
        }
        // InvalidOperationException: the duplicate-key check meets a property name escaping half a surrogate pair.
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return new TelegramBody.NotAnUpdate(400, $"The body is not a Telegram update: {e.Message}");
        }

        if (node is not JsonObject update || update["update_id"] is not JsonValue id || !id.TryGetValue<int>(out var updateId) || updateId <= 0)
            return new TelegramBody.NotAnUpdate(400, "The body is not a Telegram update (no positive integer update_id).");

        RepairDates(update, now.ToUnixTimeSeconds());
        try
        {
            return update.Deserialize<Update>(JsonBotAPI.Options) is { } parsed
                ? new TelegramBody.Readable(parsed)
                : new TelegramBody.Unreadable(updateId, "null");
        }
        catch (Exception e) when (e is JsonException or ArgumentException or FormatException or InvalidOperationException or OverflowException)
        {
            return new TelegramBody.Unreadable(updateId, e.GetType().Name);
        }
    }

    private static TelegramBody TooLarge() => new TelegramBody.NotAnUpdate(413, $"The body is larger than {MaxBodyBytes / 1024} kB.");

    /// <summary>Every Unix-time field (<c>date</c>, <c>edit_date</c>, <c>forward_date</c> …) outside 1970–9999 becomes <paramref name="now"/>.</summary>
    private static void RepairDates(JsonNode? node, long now)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj.ToList())
                {
                    if (name.EndsWith("date", StringComparison.Ordinal) && value is JsonValue v && v.GetValueKind() == JsonValueKind.Number
                        && !(v.TryGetValue<long>(out var seconds) && seconds is >= 0 and <= MaxUnixSeconds))
                        obj[name] = now;
                    else
                        RepairDates(value, now);
                }

                break;
            case JsonArray array:
                foreach (var item in array) RepairDates(item, now);
                break;
        }
    }
}
