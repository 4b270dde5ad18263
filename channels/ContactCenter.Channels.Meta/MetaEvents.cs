using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Inbound;

namespace ContactCenter.Channels.Meta;

/// <summary>One thing a webhook POST asks for, in the order Meta sent it.</summary>
internal abstract record MetaAction
{
    public sealed record Store(InboundEvent Event) : MetaAction;
    /// <summary>Meta delivered these messages of ours to the customer.</summary>
    public sealed record Delivered(Channel Channel, IReadOnlyList<string> Mids) : MetaAction;
    public sealed record Skip(string Reason) : MetaAction;
}

/// <summary>The body is not a notification the service can read: the webhook answers 400.</summary>
internal sealed class MalformedNotificationException(string message) : Exception(message);

/// <summary>Turns a Messenger or Instagram notification into actions. Pure: no I/O.</summary>
internal static class MetaEvents
{
    public const string Provider = "meta";
    private const long MaxUnixMilliseconds = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

    public static IReadOnlyList<MetaAction> Plan(MetaNotification notification, DateTimeOffset now)
    {
        Channel? channel = notification.Object switch
        {
            "page" => Channel.Messenger,
            "instagram" => Channel.Instagram,
            null => throw new MalformedNotificationException("The notification has no 'object'."),
            _ => null,
        };
        if (channel is null) return [new MetaAction.Skip($"object '{notification.Object}'")];
        if (notification.Entry is null) throw new MalformedNotificationException("The notification has no 'entry' list.");

        var actions = new List<MetaAction>();
        foreach (var entry in notification.Entry)
        {
            if (entry is null) throw new MalformedNotificationException("An entry is null.");
            foreach (var messaging in entry.Messaging ?? [])
            {
                if (messaging is null) throw new MalformedNotificationException("A messaging event is null.");
                actions.Add(PlanOne(channel.Value, entry, messaging, now));
            }
        }

        return actions;
    }

    private static MetaAction PlanOne(Channel channel, MetaEntry entry, MetaMessaging e, DateTimeOffset now)
    {
        if (e.Message is { IsEcho: true }) return new MetaAction.Skip("an echo of the page's own message");
        if (e.Delivery is { Mids: { Count: > 0 } mids }) return new MetaAction.Delivered(channel, mids);
        if (e.Message is null && e.Postback is null) return new MetaAction.Skip("an event that is neither a message nor a postback");
        if (e.Message is { IsDeleted: true }) return new MetaAction.Skip("a message the customer unsent");

        var sender = e.Sender?.Id is { Length: > 0 } s ? s : throw new MalformedNotificationException("A messaging event has no sender id.");
        // A time no clock could show (negative, past year 9999) is not the customer's fault: keep the message, at receipt.
        var at = e.Timestamp is > 0 and <= MaxUnixMilliseconds ? DateTimeOffset.FromUnixTimeMilliseconds(e.Timestamp) : now;
        var data = new JsonObject { ["meta"] = new JsonObject { ["pageId"] = entry.Id, ["recipientId"] = e.Recipient?.Id } };
        var media = new List<MediaReference>();
        string mid;
        string? text;
        if (e.Postback is { } postback)
        {
            // Postbacks have carried a mid since 2020; older ones are identified by who pressed when.
            mid = postback.Mid is { Length: > 0 } m ? m : $"postback:{sender}:{e.Timestamp}";
            text = postback.Title;
            data["choice"] = new JsonObject { ["id"] = postback.Payload ?? postback.Title ?? "", ["title"] = postback.Title ?? postback.Payload ?? "" };
        }
        else
        {
            var message = e.Message!;
            mid = message.Mid is { Length: > 0 } m ? m : throw new MalformedNotificationException("A message has no 'mid'.");
            text = message.Text;
            if (message.QuickReply is { Payload: { } payload })
                data["choice"] = new JsonObject { ["id"] = payload, ["title"] = message.Text ?? payload };
            if (message.ReplyTo?.Mid is { } replyTo) data["replyTo"] = replyTo;
            if (message.IsUnsupported) data["unsupported"] = true;
            var others = new JsonArray();
            foreach (var attachment in message.Attachments ?? [])
            {
                if (attachment?.Payload?["url"] is JsonValue url && url.TryGetValue<string>(out var href) && attachment.Type is "image" or "video" or "audio" or "file")
                    media.Add(new MediaReference(href, ContentType(attachment.Type)));
                else if (attachment is { Type: "location", Payload: { } p } && p["coordinates"] is JsonObject c)
                    data["location"] = new JsonObject { ["latitude"] = c["lat"]?.DeepClone(), ["longitude"] = c["long"]?.DeepClone() };
                else if (attachment is not null)
                    others.Add(new JsonObject { ["type"] = attachment.Type, ["payload"] = attachment.Payload?.DeepClone() });
            }
            if (others.Count > 0) data["attachments"] = others;
        }

        return new MetaAction.Store(new InboundEvent
        {
            Channel = channel,
            Address = sender,
            Provider = Provider,
            ProviderEventId = mid,
            DedupeKey = "meta:" + mid,
            OccurredAt = at,
            Text = text,
            Media = media,
            Data = data,
            CompanyAddress = e.Recipient?.Id ?? entry.Id,
        });
    }

    /// <summary>Meta names the kind of file, not its MIME type; the URL serves the real one.</summary>
    private static string ContentType(string? type) => type switch
    {
        "image" => "image/*",
        "video" => "video/*",
        "audio" => "audio/*",
        _ => "application/octet-stream",
    };
}
