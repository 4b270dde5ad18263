using ContactCenter.Core.Reactions;
using ContactCenter.Core.Timeline;
using ContactCenter.Core.Voice;

namespace ContactCenter.Channels.Twilio.Voice;

/// <summary><c>conversation.resolved</c> → <see cref="CallWrapUps"/>: the wrap-up time of the agent's last call.</summary>
internal sealed class CallWrapUpReaction(CallWrapUps wrapUps) : ITimelineReaction
{
    public static readonly string[] Types = [TimelineEventTypes.ConversationResolved];

    public IReadOnlySet<string> EventTypes { get; } = Types.ToHashSet();

    public Task ReactAsync(TimelineEvent timelineEvent, CancellationToken ct) =>
        timelineEvent.ConversationId is { } conversationId
            ? wrapUps.RecordAsync(conversationId, timelineEvent.OccurredAt, ct)
            : Task.CompletedTask;
}
