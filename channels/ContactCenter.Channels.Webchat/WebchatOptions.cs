using ContactCenter.Channels.Email;
using Microsoft.Extensions.Options;

namespace ContactCenter.Channels.Webchat;

/// <summary>Configuration under <c>Webchat</c>: the widgets a website may embed and the visitors' limits.</summary>
public sealed class WebchatOptions
{
    public const string Section = "Webchat";

    /// <summary>Key for <c>userHash</c> = HMAC-SHA256(secret, userId), hex: the website vouches for its signed-in user.</summary>
    public string? IdentitySecret { get; set; }

    /// <summary>By widget id (the script tag's <c>data-widget</c>).</summary>
    public Dictionary<string, WidgetOptions> Widgets { get; set; } = new(StringComparer.Ordinal);

    /// <summary>With nobody available in the widget's queue for this long, the widget offers to leave a message.</summary>
    public TimeSpan OfflineAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The longest message a visitor may send, in characters.</summary>
    public int MaxMessageLength { get; set; } = 2000;

    /// <summary>Requests per minute one visitor token may make (messages, typing, reads, reconnects).</summary>
    public int VisitorRequestsPerMinute { get; set; } = 120;

    /// <summary>Requests per minute to <c>/webchat</c> from one IP address (many visitors behind one NAT share it).</summary>
    public int IpRequestsPerMinute { get; set; } = 1200;

    public WidgetOptions? Widget(string? id) => id is not null && Widgets.TryGetValue(id, out var widget) ? widget : null;

    /// <summary>True when some widget lets pages from <paramref name="origin"/> use the visitor API (the CORS policy).</summary>
    public bool AnyWidgetAllows(string origin) => Widgets.Values.Any(w => w.Allows(origin));
}

public sealed class WidgetOptions
{
    /// <summary>Origins (scheme://host[:port]) of the pages that may embed the widget; nothing else may start a session.</summary>
    public List<string> Origins { get; set; } = [];

    /// <summary>Where the widget's conversations wait when the bot does not take them (empty: the channel's queue).</summary>
    public string? Queue { get; set; }

    /// <summary>The bot flow answering this widget's visitors (instead of <c>Flows:Bots:webchat</c>, which serves the widgets
    /// without one); checked with the flows at start-up.</summary>
    public string? Bot { get; set; }

    /// <summary>The mailbox (a name under <c>Email:Mailboxes</c>) answers to offline messages are mailed from; empty: the
    /// mailbox whose <c>Queue</c> is the conversation's queue, else the first mailbox with an SMTP server.</summary>
    public string? ReplyMailbox { get; set; }

    public PreChatOptions PreChat { get; set; } = new();

    public bool Allows(string? origin) =>
        origin is not null && Origins.Any(o => string.Equals(o.TrimEnd('/'), origin, StringComparison.OrdinalIgnoreCase));

    public string? QueueFor(string? topic) =>
        PreChat.Topics.FirstOrDefault(t => t.Id == topic)?.Queue is { Length: > 0 } q ? q : Queue is { Length: > 0 } ? Queue : null;
}

/// <summary>The form a visitor fills in before the first message (off unless <c>Enabled</c>).</summary>
public sealed class PreChatOptions
{
    public bool Enabled { get; set; }
    public bool AskName { get; set; } = true;
    public bool AskEmail { get; set; } = true;
    /// <summary>A choice of topic; each may send the conversation to its own queue.</summary>
    public List<PreChatTopic> Topics { get; set; } = [];
}

public sealed class PreChatTopic
{
    public string Id { get; set; } = "";
    public string Title { get; set; } = "";
    public string? Queue { get; set; }
}

/// <summary>Refuses to start with a widget no page could use or a secret too short to vouch for anyone.</summary>
internal sealed class WebchatChecks(IOptions<EmailOptions> mail) : IValidateOptions<WebchatOptions>
{
    public ValidateOptionsResult Validate(string? name, WebchatOptions o)
    {
        var errors = new List<string>();
        if (o.IdentitySecret is { } secret && secret.Length is > 0 and < 16)
            errors.Add("Webchat:IdentitySecret must be at least 16 characters.");
        if (o.MaxMessageLength is < 1 or > 10_000) errors.Add("Webchat:MaxMessageLength must be between 1 and 10000.");
        if (o.VisitorRequestsPerMinute < 1) errors.Add("Webchat:VisitorRequestsPerMinute must be positive.");
        if (o.IpRequestsPerMinute < 1) errors.Add("Webchat:IpRequestsPerMinute must be positive.");
        if (o.OfflineAfter < TimeSpan.Zero) errors.Add("Webchat:OfflineAfter must not be negative.");
        foreach (var (id, widget) in o.Widgets)
        {
            if (!WidgetIds.IsValid(id)) errors.Add($"Webchat:Widgets:{id}: a widget id is 1–64 of a-z A-Z 0-9 _ -.");
            foreach (var origin in widget.Origins)
                if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.PathAndQuery != "/")
                    errors.Add($"Webchat:Widgets:{id}:Origins: '{origin}' is not an origin like https://www.example.com.");
            if (widget.ReplyMailbox is { Length: > 0 } replyMailbox
                && !mail.Value.Mailboxes.Any(m => string.Equals(m.Key, replyMailbox, StringComparison.OrdinalIgnoreCase) && m.Value.Smtp.IsConfigured))
                errors.Add($"Webchat:Widgets:{id}:ReplyMailbox: '{replyMailbox}' is not a mailbox under Email:Mailboxes with an Smtp:Host.");
            foreach (var topic in widget.PreChat.Topics)
                if (string.IsNullOrWhiteSpace(topic.Id) || string.IsNullOrWhiteSpace(topic.Title))
                    errors.Add($"Webchat:Widgets:{id}:PreChat:Topics: every topic needs an Id and a Title.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

public static class WidgetIds
{
    public static bool IsValid(string? id) =>
        id is { Length: > 0 and <= 64 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');
}
