using ContactCenter.Core.Reactions;
using ContactCenter.Core.Timeline;
using ContactCenter.Core.Voice;
using Microsoft.Extensions.DependencyInjection;

namespace ContactCenter.Channels.Twilio.Voice;

/// <summary><c>conversation.resolved</c> → <see cref="CallWrapUps"/> (after commit, through the reactions seam).</summary>
internal sealed class CallWrapUpReaction(IServiceProvider services) : ITimelineReaction
{
    public IReadOnlySet<string> EventTypes { get; } = new HashSet<string> { TimelineEventTypes.ConversationResolved };

    public Task ReactAsync(TimelineEvent timelineEvent, CancellationToken ct) =>
        timelineEvent.ConversationId is { } conversationId
            // Resolved on use: the ledger writes timeline events, and the timeline store needs the reaction registry.
            ? services.GetRequiredService<CallWrapUps>().RecordAsync(conversationId, timelineEvent.OccurredAt, ct)
            : Task.CompletedTask;
}
