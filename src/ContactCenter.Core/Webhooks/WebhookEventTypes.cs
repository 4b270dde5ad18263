using ContactCenter.Core.Timeline;

namespace ContactCenter.Core.Webhooks;

/// <summary>What a subscription can ask for: timeline event types and the conversation lifecycle.</summary>
public static class WebhookEventTypes
{
    public const string ConversationCreated = "conversation.created";
    public const string ConversationReopened = "conversation.reopened";

    // Listed, not discovered: a typo in a subscription must be refused, not match nothing forever.
    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        ConversationCreated, ConversationReopened,
        TimelineEventTypes.ConversationAssigned, TimelineEventTypes.ConversationResolved,
        TimelineEventTypes.MessageReceived, TimelineEventTypes.MessageSent, TimelineEventTypes.MessageStatus,
        TimelineEventTypes.MessageEdited, TimelineEventTypes.CallStarted, TimelineEventTypes.CallIvr,
        TimelineEventTypes.CallQueued, TimelineEventTypes.CallConnected, TimelineEventTypes.CallEnded,
        TimelineEventTypes.CallVoicemail, TimelineEventTypes.BotReply, TimelineEventTypes.HandoffToAgent,
        TimelineEventTypes.HandoffToBot, TimelineEventTypes.ConversationQueued, TimelineEventTypes.ConversationTransferred,
        TimelineEventTypes.ConversationOverflowed, TimelineEventTypes.SlaWarning, TimelineEventTypes.SlaBreached,
        TimelineEventTypes.NoteAdded, TimelineEventTypes.CustomerMerged, TimelineEventTypes.CustomerOptedOut,
        TimelineEventTypes.CustomerOptedIn, TimelineEventTypes.CsatResponse,
        "notification.attempt", "notification.skipped", "notification.outcome",
    };
}
