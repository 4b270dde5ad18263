using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;

namespace ContactCenter.Core.Timeline;

/// <summary>One entry of a customer's timeline, in the shape of shared/CONTRACT.md.</summary>
public sealed record TimelineEvent(
    long Id,
    Guid CustomerId,
    Guid? ConversationId,
    Channel? Channel,
    string Type,
    string Direction,
    DateTimeOffset OccurredAt,
    string? Text,
    string? ProviderId,
    JsonObject Data);

/// <summary>An event to append. <see cref="DedupeKey"/> makes the append idempotent.</summary>
public sealed record NewTimelineEvent
{
    public required Guid CustomerId { get; init; }
    public Guid? ConversationId { get; init; }
    public Channel? Channel { get; init; }
    public required string Type { get; init; }
    public required string Direction { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
    public string? Text { get; init; }
    public string? ProviderId { get; init; }
    public string? DedupeKey { get; init; }
    public JsonObject? Data { get; init; }
}

public static class TimelineEventTypes
{
    public const string MessageReceived = "message.received";
    public const string MessageSent = "message.sent";
    public const string MessageStatus = "message.status";
    public const string MessageEdited = "message.edited";
    public const string CallStarted = "call.started";
    public const string CallIvr = "call.ivr";
    public const string CallQueued = "call.queued";
    public const string CallConnected = "call.connected";
    public const string CallEnded = "call.ended";
    public const string CallVoicemail = "call.voicemail";
    public const string BotReply = "bot.reply";
    public const string HandoffToAgent = "handoff.to_agent";
    public const string HandoffToBot = "handoff.to_bot";
    public const string ConversationQueued = "conversation.queued";
    public const string ConversationAssigned = "conversation.assigned";
    public const string ConversationTransferred = "conversation.transferred";
    /// <summary>An agent took the conversation from its owner (or its queue): data <c>from</c>, <c>to</c>.</summary>
    public const string ConversationTakenOver = "conversation.taken_over";
    public const string ConversationOverflowed = "conversation.overflowed";
    public const string ConversationResolved = "conversation.resolved";
    public const string ConversationReopened = "conversation.reopened";
    public const string ConversationPriorityChanged = "conversation.priority_changed";
    public const string SlaWarning = "sla.warning";
    public const string SlaBreached = "sla.breached";
    public const string NoteAdded = "note.added";
    public const string CustomerMerged = "customer.merged";
    public const string CustomerOptedOut = "customer.opted_out";
    public const string CustomerOptedIn = "customer.opted_in";
    public const string CsatResponse = "csat.response";
    /// <summary>After-commit work about this conversation kept failing and was parked (an admin can retry it).</summary>
    public const string WorkParked = "work.parked";
}

public static class Direction
{
    public const string Inbound = "inbound";
    public const string Outbound = "outbound";
    /// <summary>Events of the company's own making that no one sends or receives: notes, SLA, assignment.</summary>
    public const string Internal = "internal";
}
