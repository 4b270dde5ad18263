using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;

namespace ContactCenter.Core.Channels;

/// <summary>A way a customer reaches the company. The wire name (lower case) is used in URLs, JSON,
/// configuration and the database.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Channel>))]
public enum Channel
{
    [JsonStringEnumMemberName("voice")] Voice,
    [JsonStringEnumMemberName("sms")] Sms,
    [JsonStringEnumMemberName("whatsapp")] WhatsApp,
    [JsonStringEnumMemberName("telegram")] Telegram,
    [JsonStringEnumMemberName("messenger")] Messenger,
    [JsonStringEnumMemberName("instagram")] Instagram,
    [JsonStringEnumMemberName("email")] Email,
    [JsonStringEnumMemberName("webchat")] Webchat,
}

public static class ChannelNames
{
    private static readonly Dictionary<string, Channel> ByName = Enum.GetValues<Channel>()
        .ToDictionary(c => c.ToName(), StringComparer.OrdinalIgnoreCase);

    public static IEnumerable<Channel> All => ByName.Values;

    public static string ToName(this Channel channel) => channel switch
    {
        Channel.Voice => "voice",
        Channel.Sms => "sms",
        Channel.WhatsApp => "whatsapp",
        Channel.Telegram => "telegram",
        Channel.Messenger => "messenger",
        Channel.Instagram => "instagram",
        Channel.Email => "email",
        Channel.Webchat => "webchat",
        _ => throw new ArgumentOutOfRangeException(nameof(channel), channel, null),
    };

    public static bool TryParse(string? name, [NotNullWhen(true)] out Channel channel)
    {
        channel = default;
        return name is not null && ByName.TryGetValue(name, out channel);
    }

    public static Channel Parse(string name) =>
        TryParse(name, out var channel) ? channel : throw new FormatException($"Unknown channel '{name}'.");

    /// <summary>Channels whose addresses are phone numbers: one number on any of them is one customer.</summary>
    public static bool IsPhone(this Channel channel) =>
        channel is Channel.Voice or Channel.Sms or Channel.WhatsApp;

    /// <summary>
    /// Channels where one customer may have several open conversations at once: an email thread is a conversation of
    /// its own. Every other channel has one open conversation per customer.
    /// </summary>
    public static bool HoldsSeveralOpenConversations(this Channel channel) => channel == Channel.Email;

    /// <summary>Messaging channels (text conversations), as opposed to voice calls.</summary>
    public static bool IsMessaging(this Channel channel) => channel != Channel.Voice;

    /// <summary>Wire names of the channels that hold several open conversations per customer (kept in step with the
    /// one-open index's predicate, migration 1800).</summary>
    internal static readonly string[] SeveralOpenChannelNames = [Channel.Email.ToName()];

    internal static readonly string[] PhoneChannelNames =
        [Channel.Voice.ToName(), Channel.Sms.ToName(), Channel.WhatsApp.ToName()];
}
