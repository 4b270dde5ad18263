using ContactCenter.Core.Timeline;

namespace ContactCenter.Core.Reactions;

/// <summary>
/// Work that follows a stored event (assign it, start or stop a response clock, let the bot answer).
/// Runs after the event's transaction commits, at least once: a reaction must be idempotent, keyed by
/// the event id, because a crash or a failing sibling reaction makes the whole set run again.
/// </summary>
public interface ITimelineReaction
{
    /// <summary>The event types this reaction wants; other events never create reaction work.</summary>
    IReadOnlySet<string> EventTypes { get; }

    Task ReactAsync(TimelineEvent timelineEvent, CancellationToken ct);
}

/// <summary>Which reactions want which event types; known at start-up.</summary>
public sealed class ReactionRegistry(IEnumerable<ITimelineReaction> reactions)
{
    private readonly ITimelineReaction[] _reactions = reactions.ToArray();
    private readonly HashSet<string> _types = reactions.SelectMany(r => r.EventTypes).ToHashSet(StringComparer.Ordinal);

    public bool Wants(string eventType) => _types.Contains(eventType);

    public IEnumerable<ITimelineReaction> For(string eventType) =>
        _reactions.Where(r => r.EventTypes.Contains(eventType));
}
