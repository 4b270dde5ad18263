using System.Text.Json.Serialization;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Outbound;

namespace ContactCenter.Core.Notifications;

/// <summary>What is sent on one channel: text (SMS, Telegram, Messenger, WhatsApp in its window), a WhatsApp
/// template, or an email's subject and text.</summary>
public sealed record NotificationContent(string? Text, string? Subject = null, MessageTemplate? Template = null)
{
    public OutboundContent ToOutbound() => new(Text, Template, Subject: Subject);
}

/// <summary>One recipient: a customer, or a channel address (found or created when its first step runs).</summary>
public sealed record NotificationRecipient(Guid? CustomerId, Channel? ToChannel, string? ToAddress, string? TimeZone);

/// <summary>Hours of the customer's local day when phone channels stay silent; may wrap midnight (21:00–08:00).</summary>
public sealed record QuietHours(TimeOnly Start, TimeOnly End)
{
    public bool Contains(TimeOnly local) =>
        Start <= End ? local >= Start && local < End : local >= Start || local < End;
}

public sealed record NewNotification(
    IReadOnlyList<Channel> Channels,
    IReadOnlyDictionary<Channel, NotificationContent> Content,
    TimeSpan FallbackAfter,
    QuietHours? QuietHours,
    IReadOnlyList<NotificationRecipient> Recipients,
    string? IdempotencyKey,
    string RequestHash,
    string Actor);

/// <summary>One step of a recipient's walk down the channel list.</summary>
/// <param name="Status">skipped, sent (waiting for delivery), delivered, read, failed, undelivered, timed-out.</param>
public sealed record NotificationAttempt(
    Channel Channel,
    string Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Guid? MessageId,
    DateTimeOffset At);

public sealed record NotificationProgress(int Total, int Pending, int Sending, int Delivered, int Failed, int Cancelled);

/// <summary>A notification as the API shows it. <see cref="Attempts"/> is that of its one recipient (null for a batch).</summary>
public sealed record NotificationView(
    Guid Id,
    string Status,
    IReadOnlyList<Channel> Channels,
    NotificationProgress Progress,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<NotificationAttempt>? Attempts,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Guid? CustomerId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Guid? ConversationId,
    DateTimeOffset CreatedAt,
    DateTimeOffset? CancelledAt);

public abstract record CreateOutcome
{
    public sealed record Created(Guid Id) : CreateOutcome;
    /// <summary>The idempotency key named this notification already: nothing new was sent.</summary>
    public sealed record Existing(Guid Id) : CreateOutcome;
    /// <summary>The key was used before for a different request.</summary>
    public sealed record KeyReused(Guid Id) : CreateOutcome;
    public sealed record UnknownCustomer(int Position) : CreateOutcome;
}

public static class RecipientStatus
{
    public const string Pending = "pending";
    public const string Sending = "sending";
    public const string Delivered = "delivered";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static bool IsFinal(string status) => status is Delivered or Failed or Cancelled;
}

public static class NotificationEventTypes
{
    public const string Skipped = "notification.skipped";
    public const string Attempt = "notification.attempt";
    public const string Outcome = "notification.outcome";
}

public sealed class NotificationOptions
{
    /// <summary>Quiet hours when a request names none (e.g. Start 21:00, End 08:00); none when unset.</summary>
    public TimeOnly? QuietHoursStart { get; set; }
    public TimeOnly? QuietHoursEnd { get; set; }
    /// <summary>The time zone of a recipient whose request entry names none (IANA id).</summary>
    public string DefaultTimeZone { get; set; } = "UTC";
    /// <summary>Channels quiet hours hold back: the ones that ring the customer's phone by number. Email, Telegram
    /// and Messenger are read when the customer chooses (their apps have their own do-not-disturb).</summary>
    public static bool IsQuietChannel(Channel channel) => channel is Channel.Sms or Channel.WhatsApp;
    /// <summary>Sends per second per channel across all instances (provider limits: Twilio long code 1/s,
    /// a messaging service more; Telegram 30/s per bot; WhatsApp per number tier).</summary>
    public Dictionary<Channel, double> RatePerSecond { get; set; } = new()
    {
        [Channel.Sms] = 10, [Channel.WhatsApp] = 20, [Channel.Telegram] = 25, [Channel.Messenger] = 20,
        [Channel.Instagram] = 20, [Channel.Email] = 10,
    };
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
    public int Parallelism { get; set; } = 8;
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(60);

    public QuietHours? DefaultQuietHours => QuietHoursStart is { } s && QuietHoursEnd is { } e ? new QuietHours(s, e) : null;

    public TimeSpan Interval(Channel channel) =>
        TimeSpan.FromSeconds(1 / Math.Max(0.01, RatePerSecond.GetValueOrDefault(channel, 10)));
}
