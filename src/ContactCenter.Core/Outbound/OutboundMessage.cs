using System.ComponentModel.DataAnnotations;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Conversations;

namespace ContactCenter.Core.Outbound;

/// <summary>An outbound message as the API shows it: what was sent, where it stands, why it failed.</summary>
public sealed record OutboundMessage(
    Guid Id,
    Guid ConversationId,
    Channel Channel,
    string Status,
    string? Text,
    MessageTemplate? Template,
    string Author,
    string AuthorKind,
    int Attempts,
    string? ProviderMessageId,
    string? ErrorCode,
    string? ErrorMessage,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <param name="Actor">The person replying through the API, checked against the conversation's owner; null for the
/// service itself (bot, notifications), which may always send.</param>
public sealed record OutboundRequest(OutboundContent Content, string? IdempotencyKey, string Author, string AuthorKind, ConversationActor? Actor = null);

public abstract record AcceptOutcome
{
    /// <param name="Created">False when the idempotency key named a message accepted before.</param>
    public sealed record Accepted(OutboundMessage Message, bool Created) : AcceptOutcome;
    public sealed record ConversationNotFound : AcceptOutcome;
    public sealed record Refused(OutboundRefusal Refusal) : AcceptOutcome;
    /// <summary>The conversation is another agent's (<see cref="ConversationAccess"/>).</summary>
    public sealed record NotYours(NotOwner Owner) : AcceptOutcome;
    /// <summary>The idempotency key was used before for a different message.</summary>
    public sealed record KeyReused(OutboundMessage Existing) : AcceptOutcome;
}

public sealed class OutboxOptions
{
    /// <summary>Delivery attempts before a temporarily failing message is given up as failed.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 8;
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);
    [Range(typeof(TimeSpan), "00:00:00.001", "7.00:00:00")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(5);
    /// <summary>How long an attempt may stay in flight before the sweep assumes its worker died.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan DispatchLease { get; set; } = TimeSpan.FromMinutes(2);
    /// <summary>
    /// First attempts one instance makes at once, in process, right after the commit (<see cref="OutboundDispatchQueue"/>);
    /// 0 sends every first attempt through a Hangfire job, as retries always are.
    /// </summary>
    [Range(0, 1000)]
    public int DispatchParallelism { get; set; } = 16;
    /// <summary>First attempts waiting in process; beyond it they go to Hangfire.</summary>
    [Range(1, 1_000_000)]
    public int DispatchQueueCapacity { get; set; } = 10_000;
}
