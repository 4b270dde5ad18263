using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Customers;
using ContactCenter.Core.Notifications;
using ContactCenter.Core.Outbound;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ContactCenter.Server.Api;

public sealed record NotificationTarget(string? Channel, string? Address);

public sealed record NotificationRecipientRequest(Guid? CustomerId, NotificationTarget? To, string? TimeZone);

public sealed record ChannelContentRequest(string? Text, string? Subject, TemplateRequest? Template);

public sealed record QuietHoursRequest(string? Start, string? End);

public sealed record NotificationRequest(
    Guid? CustomerId,
    NotificationTarget? To,
    string? TimeZone,
    List<NotificationRecipientRequest>? Recipients,
    List<string>? Channels,
    Dictionary<string, ChannelContentRequest?>? Content,
    string? FallbackAfter,
    QuietHoursRequest? QuietHours,
    string? IdempotencyKey);

/// <summary>Checks a notification request field by field; a problem names the field (extension <c>field</c>).</summary>
internal static class NotificationRequests
{
    public const int MaxRecipients = 10_000;
    public static readonly TimeSpan DefaultFallbackAfter = TimeSpan.FromMinutes(10);
    private static readonly Channel[] Notifiable = [Channel.WhatsApp, Channel.Sms, Channel.Email, Channel.Telegram, Channel.Messenger, Channel.Instagram];
    private const int MaxEmailText = 100_000;

    public static ProblemHttpResult? TryParse(NotificationRequest? request, string actor, AddressNormalizer addresses, out NewNotification parsed)
    {
        parsed = null!;
        if (request is null) return Field("body", "Send a JSON object: { customerId | to | recipients, channels, content, fallbackAfter?, idempotencyKey? }.");

        var given = (request.CustomerId is not null ? 1 : 0) + (request.To is not null ? 1 : 0) + (request.Recipients is not null ? 1 : 0);
        if (given != 1) return Field("customerId", "Name the recipient with exactly one of 'customerId', 'to' or 'recipients'.");
        if (request.TimeZone is { } zone && !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
            return Field("timeZone", $"Unknown time zone '{zone}'; use an IANA id such as Europe/Berlin.");

        var recipients = new List<NotificationRecipient>();
        var list = request.Recipients ?? [new NotificationRecipientRequest(request.CustomerId, request.To, request.TimeZone)];
        if (list.Count is 0 or > MaxRecipients) return Field("recipients", $"Between 1 and {MaxRecipients} recipients per request.");
        for (var i = 0; i < list.Count; i++)
        {
            var prefix = request.Recipients is null ? "" : $"recipients[{i}].";
            if (ParseRecipient(list[i], prefix, request.TimeZone, addresses, out var recipient) is { } problem) return problem;
            recipients.Add(recipient);
        }

        if (request.Channels is not { Count: > 0 } names) return Field("channels", "List the channels to try, in order, e.g. [\"whatsapp\", \"sms\"].");
        var channels = new List<Channel>();
        for (var i = 0; i < names.Count; i++)
        {
            if (!ChannelNames.TryParse(names[i], out var channel) || !Notifiable.Contains(channel))
                return Field($"channels[{i}]", $"Unknown channel '{names[i]}' for notifications; use {string.Join(", ", Notifiable.Select(c => c.ToName()))}.");
            if (channels.Contains(channel)) return Field($"channels[{i}]", $"'{names[i]}' is listed twice.");
            channels.Add(channel);
        }

        var content = new Dictionary<Channel, NotificationContent>();
        foreach (var listed in request.Content?.Keys ?? Enumerable.Empty<string>())
        {
            if (!ChannelNames.TryParse(listed, out var channel) || !channels.Contains(channel))
                return Field($"content.{listed}", $"content has '{listed}', which is not in 'channels'.");
        }

        foreach (var channel in channels)
        {
            var name = channel.ToName();
            var entry = request.Content?.FirstOrDefault(c => string.Equals(c.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
            if (entry is null) return Field($"content.{name}", $"'{name}' is in 'channels' but content.{name} is missing.");
            if (ParseContent(channel, entry, out var parsedContent) is { } problem) return problem;
            content[channel] = parsedContent;
        }

        var fallbackAfter = DefaultFallbackAfter;
        if (request.FallbackAfter is { } text && (!TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out fallbackAfter)
                                                  || fallbackAfter < TimeSpan.FromSeconds(1) || fallbackAfter > TimeSpan.FromDays(7)))
            return Field("fallbackAfter", "fallbackAfter is a duration between 00:00:01 and 7.00:00:00, e.g. \"00:10:00\".");

        QuietHours? quiet = null;
        if (request.QuietHours is { } q)
        {
            if (!TimeOnly.TryParseExact(q.Start ?? "", "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var start))
                return Field("quietHours.start", "quietHours.start is a local time, \"HH:mm\".");
            if (!TimeOnly.TryParseExact(q.End ?? "", "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var end))
                return Field("quietHours.end", "quietHours.end is a local time, \"HH:mm\".");
            quiet = new QuietHours(start, end);
        }

        var key = string.IsNullOrWhiteSpace(request.IdempotencyKey) ? null : request.IdempotencyKey.Trim();
        if (key is { Length: > 200 }) return Field("idempotencyKey", "idempotencyKey is longer than 200 characters.");

        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(request with { IdempotencyKey = null }))));
        parsed = new NewNotification(channels, content, fallbackAfter, quiet, recipients, key, hash, actor);
        return null;
    }

    private static ProblemHttpResult? ParseRecipient(NotificationRecipientRequest entry, string prefix, string? defaultZone,
        AddressNormalizer addresses, out NotificationRecipient recipient)
    {
        recipient = null!;
        if ((entry.CustomerId is null) == (entry.To is null))
            return Field($"{prefix}customerId", "Each recipient has exactly one of 'customerId' or 'to'.");
        var zone = entry.TimeZone ?? defaultZone;
        if (zone is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
            return Field($"{prefix}timeZone", $"Unknown time zone '{zone}'; use an IANA id such as Europe/Berlin.");
        if (entry.To is { } to)
        {
            if (!ChannelNames.TryParse(to.Channel, out var channel) || !Notifiable.Contains(channel))
                return Field($"{prefix}to.channel", $"Unknown channel '{to.Channel}'.");
            if (string.IsNullOrWhiteSpace(to.Address) || !addresses.TryNormalize(channel, to.Address, out var address))
                return Field($"{prefix}to.address", $"'{to.Address}' is not a valid {channel.ToName()} address.");
            recipient = new NotificationRecipient(null, channel, address, zone);
        }
        else
        {
            recipient = new NotificationRecipient(entry.CustomerId, null, null, zone);
        }

        return null;
    }

    private static ProblemHttpResult? ParseContent(Channel channel, ChannelContentRequest entry, out NotificationContent content)
    {
        content = null!;
        var name = channel.ToName();
        var text = string.IsNullOrWhiteSpace(entry.Text) ? null : entry.Text;
        var max = channel switch
        {
            Channel.Sms or Channel.WhatsApp => 1600,
            Channel.Email => MaxEmailText,
            _ => ConversationsApi.MaxTextLength,
        };
        if (text is { Length: var length } && length > max)
            return Field($"content.{name}.text", $"content.{name}.text has {length} characters; at most {max}.");
        MessageTemplate? template = null;
        if (entry.Template is { } t)
        {
            if (channel != Channel.WhatsApp) return Field($"content.{name}.template", "Templates are for WhatsApp only.");
            if (string.IsNullOrWhiteSpace(t.ContentSid) || t.ContentSid.Length > 64)
                return Field($"content.{name}.template.contentSid", "template.contentSid is the approved template's Content SID (HX…).");
            template = new MessageTemplate(t.ContentSid.Trim(), t.Variables);
        }

        if (channel == Channel.Email)
        {
            if (string.IsNullOrWhiteSpace(entry.Subject)) return Field("content.email.subject", "content.email.subject is required.");
            if (entry.Subject.Length > 998) return Field("content.email.subject", "content.email.subject is longer than 998 characters.");
        }

        if (text is null && template is null)
            return Field(channel == Channel.WhatsApp ? "content.whatsapp" : $"content.{name}.text",
                channel == Channel.WhatsApp ? "content.whatsapp needs a 'template' (or 'text' for a customer inside the 24-hour window)."
                    : $"content.{name}.text is required.");
        content = new NotificationContent(text, channel == Channel.Email ? entry.Subject : null, template);
        return null;
    }

    private static ProblemHttpResult Field(string field, string detail) => WebhooksApi.FieldProblem(field, detail);
}
