using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Timeline;

namespace ContactCenter.Core.Inbound;

public sealed record MediaReference(string Url, string? ContentType);

/// <summary>
/// What a channel adapter hands the core for anything a customer did: a message, a call step. The adapter
/// parses its provider's payload; the core knows nothing of providers.
/// </summary>
public sealed record InboundEvent
{
    public required Channel Channel { get; init; }
    /// <summary>The customer's address as the provider gave it; the inbox normalizes it.</summary>
    public required string Address { get; init; }
    /// <summary>Provider name, e.g. "twilio", "telegram", "meta".</summary>
    public required string Provider { get; init; }
    /// <summary>The provider's id for this event (MessageSid, update_id, mid …).</summary>
    public required string ProviderEventId { get; init; }
    /// <summary>Overrides the dedupe key "{Provider}:{ProviderEventId}" (e.g. CallSid plus status).</summary>
    public string? DedupeKey { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
    public string Type { get; init; } = TimelineEventTypes.MessageReceived;
    public string? Text { get; init; }
    public IReadOnlyList<MediaReference> Media { get; init; } = [];
    /// <summary>Provider details worth keeping on the timeline (location, button, profile name …).</summary>
    public JsonObject? Data { get; init; }
    /// <summary>The company's address the customer contacted (our number, WhatsApp sender, page, bot).</summary>
    public string? CompanyAddress { get; init; }
    /// <summary>A display name the provider knows (WhatsApp profile name); names an unnamed customer.</summary>
    public string? CustomerName { get; init; }

    /// <summary>
    /// The customer's own words change their consent on this channel (STOP: true, START: false). The inbox
    /// applies it in the event's transaction, so a stored STOP never lacks its opt-out and a retry changes nothing.
    /// </summary>
    public bool? OptOut { get; init; }

    /// <summary>Why the consent changed, for the timeline (e.g. "The customer texted STOP.").</summary>
    public string? OptOutReason { get; init; }

    /// <summary>
    /// On a channel that holds several open conversations per customer (email: one per thread), the conversation this
    /// event continues when it is still open; null (or a closed one) opens a new conversation. Ignored on other
    /// channels, where the customer's one open conversation is used.
    /// </summary>
    public Guid? ContinuesConversationId { get; init; }

    public string EffectiveDedupeKey => DedupeKey ?? $"{Provider}:{ProviderEventId}";
}

/// <param name="Duplicate">True when the provider event was stored before; nothing was written now.</param>
/// <param name="ConversationOpened">True when this event opened a new conversation.</param>
public sealed record InboundResult(long EventId, Guid CustomerId, Guid? ConversationId, bool Duplicate, bool ConversationOpened);
