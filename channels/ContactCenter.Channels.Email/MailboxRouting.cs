using ContactCenter.Core.Channels;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Flows;
using ContactCenter.Core.Reactions;
using ContactCenter.Core.Routing;
using ContactCenter.Core.Timeline;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ContactCenter.Channels.Email;

/// <summary>
/// Routing knows one default queue per channel; a mailbox may name its own (<c>Email:Mailboxes:&lt;name&gt;:Queue</c>).
/// When any does, this claims new email conversations from routing's default step and queues each in its
/// mailbox's queue instead (the channel's default queue for mailboxes without one). An email bot
/// (<c>Flows:Bots:email</c>) still answers first: then nothing here acts.
/// </summary>
internal sealed class MailboxRouting(
    IServiceProvider services,
    FlowCatalog flows,
    IOptions<EmailOptions> options,
    IOptions<RoutingOptions> routing) : IConversationOwner, ITimelineReaction
{
    private readonly bool _active = options.Value.Mailboxes.Values.Any(m => !string.IsNullOrWhiteSpace(m.Queue));
    // Resolved on first use: both need the timeline store, which needs the reaction registry listing this.
    private RoutingEngine Engine => services.GetRequiredService<RoutingEngine>();
    private ConversationStore Conversations => services.GetRequiredService<ConversationStore>();

    public IReadOnlySet<string> EventTypes { get; } = new HashSet<string> { TimelineEventTypes.MessageReceived };

    public bool Claims(Channel channel, Guid conversationId) => channel == Channel.Email && Acts;

    private bool Acts => _active && flows.BotFor(Channel.Email) is null && routing.Value.AutoQueues(Channel.Email);

    public async Task ReactAsync(TimelineEvent timelineEvent, CancellationToken ct)
    {
        if (!Acts || timelineEvent.Channel != Channel.Email || timelineEvent.ConversationId is not { } id) return;
        // Only a conversation nobody has routed yet: a re-run must not pull one back that was moved since.
        if (await Conversations.GetEndpointAsync(id, ct) is not { Status: ConversationStatus.Open } conversation) return;
        var queue = options.Value.ByAddress(conversation.CompanyAddress)?.Mailbox.Queue is { Length: > 0 } own
            ? own
            : routing.Value.QueueFor(Channel.Email);
        await Engine.EnqueueAsync(id, queue, null, "new email", ct);
    }
}
