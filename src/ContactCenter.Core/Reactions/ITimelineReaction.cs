using ContactCenter.Core.Timeline;

namespace ContactCenter.Core.Reactions;

/// <summary>
/// Work that follows a stored event (assign it, start or stop a response clock, let the bot answer). Runs in the
/// work pipeline (<see cref="Work.EventWork"/>) after the event's transaction commits, at least once, in order
/// with everything else of the event's conversation: a reaction must be idempotent, keyed by the event id,
/// because a crash or a failing sibling reaction makes the whole set run again. Register it with
/// <see cref="Work.WorkServiceCollectionExtensions.AddTimelineReaction{T}"/>, which also tells the timeline which
/// event types create work (the timeline cannot ask the reactions: they depend on it).
/// </summary>
public interface ITimelineReaction
{
    /// <summary>The event types this reaction wants; other events never create reaction work.</summary>
    IReadOnlySet<string> EventTypes { get; }

    /// <summary>Reactions to one event run lowest first: the bot (-10) decides whether it owns a new conversation
    /// before routing (0) looks at it.</summary>
    int Order => 0;

    Task ReactAsync(TimelineEvent timelineEvent, CancellationToken ct);
}

/// <summary>The event types that create work, as registered; known at start-up, before any reaction exists.</summary>
public sealed class ReactionTypes
{
    public HashSet<string> EventTypes { get; } = new(StringComparer.Ordinal);
}

/// <summary>Which reactions want which event types.</summary>
public sealed class ReactionRegistry(IEnumerable<ITimelineReaction> reactions)
{
    private readonly ITimelineReaction[] _reactions = reactions.OrderBy(r => r.Order).ToArray();

    public IEnumerable<ITimelineReaction> All => _reactions;

    public IEnumerable<ITimelineReaction> For(string eventType) =>
        _reactions.Where(r => r.EventTypes.Contains(eventType));
}
