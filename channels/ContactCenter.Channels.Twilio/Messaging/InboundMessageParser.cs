using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Customers;
using ContactCenter.Core.Inbound;
using Microsoft.AspNetCore.Http;

namespace ContactCenter.Channels.Twilio.Messaging;

public sealed record InboundMessage(InboundEvent Event, MessagingKeyword Keyword);

/// <summary>
/// Turns Twilio's incoming-message form (SMS, MMS, WhatsApp; shared/reference/PROVIDERS.md) into the core's
/// <see cref="InboundEvent"/>. Anything Twilio would never send (no sender, a media count that is not a number,
/// a missing media URL) is refused with a reason, which the webhook answers as 400.
/// </summary>
public static class InboundMessageParser
{
    public const string Provider = "twilio";
    public const string WhatsAppPrefix = "whatsapp:";
    public const int MaxBodyLength = 4096;
    public const int MaxMedia = 10;

    public static bool TryParse(IFormCollection form, AddressNormalizer addresses, DateTimeOffset receivedAt,
        [NotNullWhen(true)] out InboundMessage? message, [NotNullWhen(false)] out string? error)
    {
        message = null;
        var sid = First(form, "MessageSid") ?? First(form, "SmsMessageSid") ?? First(form, "SmsSid");
        if (sid is null) return Fail("'MessageSid' is required.", out error);
        if (sid.Length > 64 || !sid.All(char.IsAsciiLetterOrDigit)) return Fail("'MessageSid' is not a Twilio message sid.", out error);

        var from = First(form, "From");
        if (from is null) return Fail("'From' is required.", out error);
        var channel = from.StartsWith(WhatsAppPrefix, StringComparison.OrdinalIgnoreCase) ? Channel.WhatsApp : Channel.Sms;
        if (!addresses.TryNormalize(channel, from, out var customerAddress))
            return Fail("'From' is not a phone number.", out error);

        var body = Value(form, "Body");
        if (body is { Length: > MaxBodyLength }) return Fail($"'Body' is longer than {MaxBodyLength} characters.", out error);

        var data = new JsonObject();
        if (CompanyAddress(channel, First(form, "To"), addresses) is { } to) data["to"] = to;
        if (!TryMedia(form, out var media, out error)) return false;
        if (!TryLocation(form, data, out error)) return false;

        var text = string.IsNullOrEmpty(body) ? null : body;
        // Buttons and list picks: the same { id, title } on every channel, the title as the text (see the briefing).
        var buttonText = First(form, "ButtonText");
        var listId = First(form, "ListId");
        (string Id, string Title)? choice = (First(form, "ButtonPayload") ?? buttonText) is { } buttonId
            ? (buttonId, buttonText ?? buttonId)
            : listId is not null ? (listId, First(form, "ListTitle") ?? listId) : null;
        if (choice is { } picked)
        {
            data["choice"] = new JsonObject { ["id"] = picked.Id, ["title"] = picked.Title };
            text = picked.Title;
        }

        if (First(form, "ProfileName") is { } profileName) data["profileName"] = profileName;
        if (First(form, "WaId") is { } waId) data["waId"] = waId;
        if (First(form, "OriginalRepliedMessageSid") is { } repliedTo) data["replyTo"] = repliedTo;
        if (int.TryParse(First(form, "NumSegments"), NumberStyles.None, CultureInfo.InvariantCulture, out var segments)) data["segments"] = segments;
        AddReferral(form, data);

        var keyword = choice is null ? MessagingKeywords.Classify(channel, body) : MessagingKeyword.None;
        if (keyword.Name() is { } keywordName) data["keyword"] = keywordName;

        message = new InboundMessage(new InboundEvent
        {
            Channel = channel,
            Address = customerAddress,
            Provider = Provider,
            ProviderEventId = sid,
            OccurredAt = receivedAt,
            Text = text,
            Media = media,
            Data = data,
            CompanyAddress = data["to"]?.GetValue<string>(),
            CustomerName = First(form, "ProfileName"),
        }, keyword);
        error = null;
        return true;
    }

    /// <summary>
    /// The company's number as stored on the conversation: E.164 without the <c>whatsapp:</c> prefix, or the raw
    /// value (a short code) when it is not a full phone number.
    /// </summary>
    private static string? CompanyAddress(Channel channel, string? to, AddressNormalizer addresses)
    {
        if (to is null) return null;
        if (addresses.TryNormalize(channel, to, out var normalized)) return normalized;
        var raw = to.StartsWith(WhatsAppPrefix, StringComparison.OrdinalIgnoreCase) ? to[WhatsAppPrefix.Length..] : to;
        return raw.Length is > 0 and <= 64 ? raw : null;
    }

    private static bool TryMedia(IFormCollection form, out IReadOnlyList<MediaReference> media, [NotNullWhen(false)] out string? error)
    {
        media = [];
        error = null;
        var count = First(form, "NumMedia");
        if (count is null) return true;
        if (!int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > MaxMedia)
            return Fail($"'NumMedia' must be a whole number from 0 to {MaxMedia}.", out error);

        var list = new List<MediaReference>(n);
        for (var i = 0; i < n; i++)
        {
            var url = First(form, $"MediaUrl{i}");
            if (url is null || url.Length > 2048 || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
                return Fail($"'MediaUrl{i}' must be an absolute http(s) URL when 'NumMedia' is {n}.", out error);
            list.Add(new MediaReference(url, First(form, $"MediaContentType{i}")));
        }

        media = list;
        return true;
    }

    private static bool TryLocation(IFormCollection form, JsonObject data, [NotNullWhen(false)] out string? error)
    {
        error = null;
        var (latitude, longitude) = (First(form, "Latitude"), First(form, "Longitude"));
        if (latitude is null && longitude is null) return true;
        if (!double.TryParse(latitude, NumberStyles.Float, CultureInfo.InvariantCulture, out var lat) || lat is < -90 or > 90
            || !double.TryParse(longitude, NumberStyles.Float, CultureInfo.InvariantCulture, out var lon) || lon is < -180 or > 180)
            return Fail("'Latitude' and 'Longitude' must both be coordinates in degrees.", out error);

        var location = new JsonObject { ["latitude"] = lat, ["longitude"] = lon };
        if (First(form, "Address") is { } address) location["address"] = address;
        if (First(form, "Label") is { } label) location["label"] = label;
        data["location"] = location;
        return true;
    }

    /// <summary>Click-to-WhatsApp ads send Referral* fields (source, headline, body, ad click id): kept as they come.</summary>
    private static void AddReferral(IFormCollection form, JsonObject data)
    {
        JsonObject? referral = null;
        foreach (var (key, values) in form)
        {
            if (key.Length <= "Referral".Length || !key.StartsWith("Referral", StringComparison.Ordinal) || values.Count == 0) continue;
            var name = key["Referral".Length..];
            referral ??= new JsonObject();
            referral[char.ToLowerInvariant(name[0]) + name[1..]] = values[0];
        }

        if (referral is not null) data["referral"] = referral;
    }

    /// <summary>A parameter's first value, null when absent or blank.</summary>
    internal static string? First(IFormCollection form, string name) =>
        form.TryGetValue(name, out var values) && values.Count > 0 && !string.IsNullOrWhiteSpace(values[0]) ? values[0]!.Trim() : null;

    /// <summary>A parameter's first value as sent (a message body keeps its spacing).</summary>
    private static string? Value(IFormCollection form, string name) =>
        form.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : null;

    private static bool Fail(string reason, out string error)
    {
        error = reason;
        return false;
    }
}
