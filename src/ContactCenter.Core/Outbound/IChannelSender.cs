using System.Text.Json.Serialization;
using ContactCenter.Core.Channels;

namespace ContactCenter.Core.Outbound;

/// <summary>
/// How a channel adapter plugs into the outbox: it states its channel rules (checked when a message is
/// accepted, so the API can refuse at once) and delivers stored messages through its provider.
/// </summary>
public interface IChannelSender
{
    IReadOnlyCollection<Channel> Channels { get; }

    /// <summary>Channel rules (24-hour windows, tags, templates). Null allows the message.</summary>
    OutboundRefusal? Check(OutboundCheck check);

    /// <summary>
    /// One delivery attempt. Say what the provider said: accepted, temporary (retried with backoff) or
    /// permanent (failed at once). Transport errors and timeouts are temporary.
    /// </summary>
    Task<SendOutcome> SendAsync(OutboundDelivery delivery, CancellationToken ct);

    /// <summary>
    /// Whether the provider reports delivery to the customer (delivered, read). Email does not: a message the mail
    /// server accepted stays "sent" unless it bounces, so a notification counts it as delivered once its
    /// fallback window passed without a bounce.
    /// </summary>
    bool ReportsDelivery => true;
}

public sealed record MessageTemplate(string ContentSid, IReadOnlyDictionary<string, string>? Variables);

/// <summary>A choice the customer can pick (bot menus): rendered as buttons, quick replies or numbered text.</summary>
public sealed record ReplyChoice(string Id, string Title);

/// <param name="Subject">For channels with subjects (email): the subject of a message that starts a thread; a reply
/// keeps its thread's subject.</param>
public sealed record OutboundContent(
    string? Text,
    MessageTemplate? Template = null,
    IReadOnlyList<string>? MediaUrls = null,
    IReadOnlyList<ReplyChoice>? Choices = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Subject = null);

public static class AuthorKind
{
    public const string Agent = "agent";
    public const string Bot = "bot";
    public const string System = "system";
}

/// <param name="LastInboundAt">When the customer last wrote on this channel (windows count from it).</param>
public sealed record OutboundCheck(
    Channel Channel,
    string AuthorKind,
    OutboundContent Content,
    DateTimeOffset? LastInboundAt,
    DateTimeOffset Now);

/// <summary>Why a message cannot be sent; the API answers 409 with it as problem details.</summary>
public sealed record OutboundRefusal(string Code, string Title, string Detail);

/// <param name="Attempt">1 for the first; a later attempt may follow one that reached the provider unanswered
/// (a timeout, a reset, a crash), so a sender whose provider has no idempotency key looks before sending again.</param>
/// <param name="AcceptedAt">When the outbox accepted the message: no attempt can have reached the provider before.</param>
public sealed record OutboundDelivery(
    Guid MessageId,
    Guid ConversationId,
    Channel Channel,
    string To,
    string? From,
    OutboundContent Content,
    string AuthorKind,
    int Attempt,
    DateTimeOffset? LastInboundAt,
    DateTimeOffset Now,
    DateTimeOffset? AcceptedAt = null);

public abstract record SendOutcome
{
    /// <param name="Status">The provider's first status (Twilio: queued; Telegram and Meta: sent).</param>
    public sealed record Accepted(string ProviderMessageId, string Status) : SendOutcome;

    public sealed record Transient(string? ErrorCode, string Error, TimeSpan? RetryAfter = null) : SendOutcome;

    /// <param name="OptedOut">The provider says the customer refuses messages (STOP, blocked the bot).</param>
    public sealed record Permanent(string? ErrorCode, string Error, bool OptedOut = false) : SendOutcome;
}
