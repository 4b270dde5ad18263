using ContactCenter.Core.Reactions;
using ContactCenter.Core.Timeline;
using Microsoft.Extensions.Options;

namespace ContactCenter.Core.Work;

/// <summary>
/// The work of a stored event: every <see cref="ITimelineReaction"/> that wants its type, lowest
/// <see cref="ITimelineReaction.Order"/> first, one after the other. A failure runs the whole set again.
/// </summary>
public sealed class EventWork : IWorkHandler
{
    public const string Kind = "event";

    private readonly TimelineStore _timeline;
    private readonly ReactionRegistry _reactions;

    public EventWork(TimelineStore timeline, ReactionRegistry reactions, IOptions<ReactionTypes> types)
    {
        _timeline = timeline;
        _reactions = reactions;
        // A reaction registered without its event types would never run: refuse to start instead.
        foreach (var reaction in reactions.All)
        {
            if (reaction.EventTypes.Except(types.Value.EventTypes).ToList() is { Count: > 0 } missing)
                throw new InvalidOperationException(
                    $"{reaction.GetType().Name} wants {string.Join(", ", missing)}: register it with AddTimelineReaction<T>(event types).");
        }
    }

    string IWorkHandler.Kind => Kind;

    public async Task<IReadOnlyList<NewWork>> RunAsync(WorkItem item, CancellationToken ct)
    {
        // The claim read the event already (one round trip less per item); an item built elsewhere reads it here.
        if (item.EventId is not { } id || (item.Event ?? await _timeline.GetAsync(id, ct)) is not { } stored) return [];
        System.Diagnostics.Activity.Current?.SetTag("contactcenter.event.type", stored.Type);
        foreach (var reaction in _reactions.For(stored.Type))
            await reaction.ReactAsync(stored, ct);
        return [];
    }
}
