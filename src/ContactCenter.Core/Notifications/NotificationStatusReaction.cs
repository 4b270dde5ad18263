using ContactCenter.Core.Reactions;
using ContactCenter.Core.Timeline;
using Npgsql;

namespace ContactCenter.Core.Notifications;

/// <summary>
/// A status change of an outbound message (Twilio's delivered, undelivered 63016, …) wakes the notification
/// recipient watching it, so fallback does not wait for the poll. One small reaction on the existing seam: it
/// ports to the unified after-commit pipeline as one handler.
/// </summary>
public sealed class NotificationStatusReaction(NpgsqlDataSource db, TimeProvider clock) : ITimelineReaction
{
    public IReadOnlySet<string> EventTypes { get; } = new HashSet<string> { TimelineEventTypes.MessageStatus };

    public async Task ReactAsync(TimelineEvent timelineEvent, CancellationToken ct)
    {
        if (timelineEvent.Data["messageId"]?.GetValue<string>() is { } id && Guid.TryParse(id, out var messageId))
            await NotificationStore.WakeForMessageAsync(db, messageId, clock.GetUtcNow(), ct);
    }
}
