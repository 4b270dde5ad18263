using ContactCenter.Core.Channels;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Flows;
using ContactCenter.Core.Routing;
using ContactCenter.Core.Timeline;
using Hangfire;

namespace ContactCenter.Core.Bot;

/// <summary>Handing conversations between the bot and people from outside a turn: the API and the bot timeout.</summary>
public sealed partial class ChatBot
{
    /// <summary>Whether the channel's bot flow has the node (the API refuses unknown nodes with 400).</summary>
    public bool HasNode(Channels.Channel channel, string node) => catalog.BotFor(channel)?.Nodes.ContainsKey(node) == true;

    /// <summary>The bot flow serving the conversation: its company address's own (a mailbox's bot), else the channel's.</summary>
    private async Task<Flow?> BotForAsync(Guid conversationId, Channel channel, CancellationToken ct)
    {
        if (!catalog.HasAddressBots(channel)) return catalog.BotFor(channel);
        return catalog.BotFor(channel, (await conversations.GetEndpointAsync(conversationId, ct))?.CompanyAddress);
    }

    /// <summary>
    /// An agent (or supervisor) gives the conversation back to the bot, which continues at <paramref name="node"/>
    /// (default <see cref="BotOptions.ResumeNode"/>): out of the queue, away from the agent, <c>handoff.to_bot</c>.
    /// </summary>
    public async Task<HandBackOutcome> HandBackAsync(Guid conversationId, string? node, string by, string? reason, CancellationToken ct)
    {
        if (await conversations.GetAsync(conversationId, ct) is not { } conversation) return new HandBackOutcome.NotFound();
        if (await BotForAsync(conversation.Id, conversation.Channel, ct) is not { } flow)
            return new HandBackOutcome.Refused("no-bot", "No bot on this channel", $"No bot flow is configured for {conversation.Channel.ToName()} (Flows:Bots).");
        if (conversation.ClosedAt is not null)
            return new HandBackOutcome.Refused("conversation-closed", "Conversation closed", $"Conversation {conversationId} is {conversation.Status}.");

        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var row = await BotConversations.LockAsync(connection, conversation.Id, conversation.CustomerId, conversation.Channel, clock.GetUtcNow(), ct);
        var (outcome, saved) = await ResumeAsync(row, conversation, flow, node ?? Settings.ResumeNode, by, reason ?? "handed back", ct);
        await SaveAsync(connection, saved, ct);
        await tx.CommitAsync(ct);
        return outcome;
    }

    /// <summary>
    /// Due work (<see cref="BotTimeoutWork"/>) written with each handoff: when no agent took the conversation within
    /// the queue's bot timeout, the bot takes it back (once per conversation) and offers a callback or to leave a
    /// message. Public with this signature for Hangfire jobs scheduled before the work pipeline took this over.
    /// </summary>
    [AutomaticRetry(Attempts = 5)]
    public async Task BotTimeoutAsync(Guid conversationId, int handoff, CancellationToken ct)
    {
        if (await conversations.GetAsync(conversationId, ct) is not { ClosedAt: null, Status: ConversationStatus.Queued } conversation) return;
        if (await BotForAsync(conversation.Id, conversation.Channel, ct) is not { } flow) return;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (await BotConversations.LockExistingAsync(connection, conversationId, ct) is not { Owner: BotOwner.Agent } row || row.Handoffs != handoff)
            return;
        // Re-read under the bot lock: an agent may have taken it a moment ago.
        if (await conversations.GetAsync(conversationId, ct) is not { ClosedAt: null, Status: ConversationStatus.Queued } waiting) return;
        var (_, saved) = await ResumeAsync(row with { TimedOutAt = clock.GetUtcNow() }, waiting, flow, Settings.TimeoutNode, Author,
            "bot-timeout", ct);
        await SaveAsync(connection, saved, ct);
        await tx.CommitAsync(ct);
        LogTimedOut(conversationId, conversation.Queue ?? "-");
    }

    /// <summary>A person asks for the bot's conversation (<c>{ "to": "agent" }</c>): queued with the context, silently.</summary>
    public async Task<RoutingOutcome> HandToAgentAsync(Guid conversationId, string queue, string? reason, string by, CancellationToken ct)
    {
        if (await conversations.GetAsync(conversationId, ct) is not { } conversation) return new RoutingOutcome.NotFound($"No conversation {conversationId}.");
        if (conversation.ClosedAt is not null)
            return new RoutingOutcome.Refused("conversation-closed", "Conversation closed", $"Conversation {conversationId} is {conversation.Status}.");
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var row = await BotConversations.LockAsync(connection, conversation.Id, conversation.CustomerId, conversation.Channel, clock.GetUtcNow(), ct);
        var variables = (await sessions.GetAsync(SessionKey(conversation.Id), ct))?.State.Variables ?? FlowValues.None;
        var handoff = row.Handoffs + 1;
        var request = new HandoffRequest(queue, reason ?? $"handed over by {by}", conversation.Priority, "api", null);
        var context = await contexts.BuildAsync(conversation, row, variables, request, Settings.NegativeSentiment, ct);
        var outcome = await handoffs.ToAgentAsync(conversation.Id, handoff, context, request, ct);
        if (outcome is RoutingOutcome.Done)
        {
            await BotConversations.SaveAsync(connection, row with { Owner = BotOwner.Agent, Handoffs = handoff, Acknowledged = handoff }, clock.GetUtcNow(), ct);
            await tx.CommitAsync(ct);
        }

        return outcome;
    }

    private async Task<(HandBackOutcome, BotConversation)> ResumeAsync(
        BotConversation row, Conversation conversation, Flow flow, string node, string by, string reason, CancellationToken ct)
    {
        if (await handoffs.ToBotAsync(conversation.Id, node, by, reason, ct) is not { } eventId)
            return (new HandBackOutcome.Refused("conversation-closed", "Conversation closed", $"Conversation {conversation.Id} is closed."), row);
        row = row with { Owner = BotOwner.Bot, Misunderstandings = 0 };
        var key = SessionKey(conversation.Id);
        if (await sessions.GetAsync(key, ct) is null)
        {
            var customer = await customers.GetAsync(conversation.CustomerId, ct);
            await sessions.StartAsync(key, flow.Name, FlowCustomerVariables.For(customer, conversation.Channel, AddressOf(customer, conversation.Channel)), ct);
        }

        var result = await sessions.ResumeAtAsync(key, node, null, ct);
        var current = await conversations.GetAsync(conversation.Id, ct) ?? conversation;
        if (result is FlowTurnResult.Advanced { Session: var resumed })
            row = await CompleteAsync(row, current, resumed, resumed.LastStep, [], $"bot-resume:{eventId}", null, ct);
        else
            LogRejected(conversation.Id, result.GetType().Name); // not the record: its session holds the customer's variables
        return (new HandBackOutcome.Done(eventId), row);
    }

    private static string AddressOf(Customers.Customer? customer, Channels.Channel channel) =>
        customer?.Identities.FirstOrDefault(i => i.Channel == channel)?.Address ?? "";

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Information,
        Message = "Nobody took conversation {ConversationId} in {Queue} in time: the bot took it back")]
    private partial void LogTimedOut(Guid conversationId, string queue);
}

/// <summary>
/// What the bot does after events are stored: answers customer messages, asks the survey after a resolution. It
/// runs before routing's reaction to the same event, so a new conversation the bot answers is the bot's.
/// </summary>
internal sealed class BotReaction(ChatBot bot) : Reactions.ITimelineReaction
{
    public static readonly string[] Types = [TimelineEventTypes.MessageReceived, TimelineEventTypes.ConversationResolved];

    public IReadOnlySet<string> EventTypes { get; } = Types.ToHashSet();

    public int Order => -10;

    public Task ReactAsync(TimelineEvent timelineEvent, CancellationToken ct) => timelineEvent.Type == TimelineEventTypes.ConversationResolved
        ? bot.OnResolvedAsync(timelineEvent, ct)
        : bot.OnMessageAsync(timelineEvent, ct);
}

/// <summary>The bot timeout as due work, ordered with the conversation's other work.</summary>
internal sealed class BotTimeoutWork(ChatBot bot) : Work.IWorkHandler
{
    public const string Kind = "bot.timeout";

    string Work.IWorkHandler.Kind => Kind;

    public static Work.NewWork For(Guid conversationId, int handoff, DateTimeOffset due) =>
        Work.NewWork.ForConversation(Kind, conversationId, due, new System.Text.Json.Nodes.JsonObject { ["handoff"] = handoff });

    public async Task<IReadOnlyList<Work.NewWork>> RunAsync(Work.WorkItem item, CancellationToken ct)
    {
        if (item.ConversationId is { } id && item.Payload["handoff"]?.GetValue<int>() is { } handoff)
            await bot.BotTimeoutAsync(id, handoff, ct);
        return [];
    }
}
