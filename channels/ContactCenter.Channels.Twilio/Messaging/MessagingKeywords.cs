using ContactCenter.Core.Channels;

namespace ContactCenter.Channels.Twilio.Messaging;

public enum MessagingKeyword { None, OptOut, OptIn, Help }

/// <summary>
/// The compliance keywords a whole message can be. On SMS these are the words Twilio and the carriers act on
/// (they block the number at once), so our state has to follow them. WhatsApp has no carrier keywords: only the
/// unmistakable ones count there, so a customer writing "Cancel" about an order is not unsubscribed.
/// </summary>
public static class MessagingKeywords
{
    private static readonly Dictionary<string, MessagingKeyword> Sms = new(StringComparer.OrdinalIgnoreCase)
    {
        ["STOP"] = MessagingKeyword.OptOut, ["STOPALL"] = MessagingKeyword.OptOut, ["UNSUBSCRIBE"] = MessagingKeyword.OptOut,
        ["CANCEL"] = MessagingKeyword.OptOut, ["END"] = MessagingKeyword.OptOut, ["QUIT"] = MessagingKeyword.OptOut,
        ["OPTOUT"] = MessagingKeyword.OptOut, ["REVOKE"] = MessagingKeyword.OptOut,
        ["START"] = MessagingKeyword.OptIn, ["YES"] = MessagingKeyword.OptIn, ["UNSTOP"] = MessagingKeyword.OptIn,
        ["HELP"] = MessagingKeyword.Help, ["INFO"] = MessagingKeyword.Help,
    };

    private static readonly Dictionary<string, MessagingKeyword> WhatsApp = new(StringComparer.OrdinalIgnoreCase)
    {
        ["STOP"] = MessagingKeyword.OptOut, ["STOPALL"] = MessagingKeyword.OptOut, ["UNSUBSCRIBE"] = MessagingKeyword.OptOut,
        ["START"] = MessagingKeyword.OptIn, ["UNSTOP"] = MessagingKeyword.OptIn,
        ["HELP"] = MessagingKeyword.Help,
    };

    /// <summary>The keyword the message is, if it is one word of the list (any case, surrounding punctuation ignored).</summary>
    public static MessagingKeyword Classify(Channel channel, string? body)
    {
        if (string.IsNullOrWhiteSpace(body) || body.Length > 40) return MessagingKeyword.None;
        var word = body.Trim().Trim('.', '!', '"', '\'').Trim();
        var table = channel == Channel.WhatsApp ? WhatsApp : Sms;
        return table.GetValueOrDefault(word, MessagingKeyword.None);
    }

    public static string? Name(this MessagingKeyword keyword) => keyword switch
    {
        MessagingKeyword.OptOut => "opt-out",
        MessagingKeyword.OptIn => "opt-in",
        MessagingKeyword.Help => "help",
        _ => null,
    };
}
