using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace ContactCenter.Channels.Meta;

/// <summary>The webhook body Meta posts for Messenger (<c>object: page</c>) and Instagram (<c>object: instagram</c>).</summary>
internal sealed record MetaNotification(string? Object, List<MetaEntry>? Entry)
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        // Meta adds fields all the time; ids are strings, but tolerate numbers where Meta is loose.
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };
}

internal sealed record MetaEntry(string? Id, long Time, List<MetaMessaging>? Messaging);

internal sealed record MetaMessaging(
    MetaParty? Sender,
    MetaParty? Recipient,
    long Timestamp,
    MetaMessage? Message,
    MetaPostback? Postback,
    MetaDelivery? Delivery);

internal sealed record MetaParty(string? Id);

internal sealed record MetaMessage(
    string? Mid,
    string? Text,
    bool IsEcho,
    bool IsDeleted,
    bool IsUnsupported,
    MetaQuickReply? QuickReply,
    List<MetaAttachment>? Attachments,
    MetaReplyTo? ReplyTo);

internal sealed record MetaQuickReply(string? Payload);

internal sealed record MetaAttachment(string? Type, JsonObject? Payload);

internal sealed record MetaReplyTo(string? Mid);

internal sealed record MetaPostback(string? Mid, string? Title, string? Payload);

internal sealed record MetaDelivery(List<string>? Mids, long Watermark);
