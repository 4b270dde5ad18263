using ContactCenter.Core.Channels;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Customers;
using ContactCenter.Core.Flows;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Core.Bot;

public abstract record HandBackOutcome
{
    public sealed record Done(long EventId) : HandBackOutcome;
    public sealed record NotFound : HandBackOutcome;
    public sealed record Refused(string Code, string Title, string Detail) : HandBackOutcome;
}

/// <summary>
/// An agent (or supervisor) gives the conversation back to the bot (<c>POST …/handoff { "to": "bot" }</c>), which
/// continues at a node of its flow: out of the queue, away from the agent, <c>handoff.to_bot</c>.
/// </summary>
public sealed class BotHandBack(
    NpgsqlDataSource db, FlowCatalog catalog, ConversationStore conversations, BotConversations rows, BotResume resume,
    IOptionsMonitor<BotOptions> options, TimeProvider clock)
{
    /// <summary>Whether the channel's bot flow has the node (the API refuses unknown nodes with 400).</summary>
    public bool HasNode(Channel channel, string node) => catalog.BotFor(channel)?.Nodes.ContainsKey(node) == true;

    /// <summary>Hands back; the bot resumes at <paramref name="node"/> (default <see cref="BotOptions.ResumeNode"/>).</summary>
    public async Task<HandBackOutcome> HandBackAsync(Guid conversationId, string? node, string by, string? reason, CancellationToken ct)
    {
        if (await conversations.GetAsync(conversationId, ct) is not { } conversation) return new HandBackOutcome.NotFound();
        if (await catalog.ForConversationAsync(db, conversation.Id, conversation.Channel, ct) is not { } flow)
            return new HandBackOutcome.Refused("no-bot", "No bot on this channel", $"No bot flow is configured for {conversation.Channel.ToName()} (Flows:Bots).");
        if (conversation.ClosedAt is not null)
            return new HandBackOutcome.Refused("conversation-closed", "Conversation closed", $"Conversation {conversationId} is {conversation.Status}.");

        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var row = await BotConversations.LockAsync(connection, conversation.Id, conversation.CustomerId, conversation.Channel, clock.GetUtcNow(), ct);
        var (outcome, saved) = await resume.ResumeAsync(row, conversation, flow, node ?? options.CurrentValue.ResumeNode, by, reason ?? "handed back", ct);
        await rows.SaveAsync(connection, saved, ct);
        await tx.CommitAsync(ct);
        return outcome;
    }
}

/// <summary>The bot takes a conversation back from routing and continues its flow at a node (a handback, a timeout).</summary>
public sealed partial class BotResume(
    Handoffs handoffs, FlowSessionStore sessions, CustomerStore customers, ConversationStore conversations, BotStep step, ILogger<BotResume> log)
{
    /// <summary>Runs inside the caller's transaction, which holds the bot row's lock and saves the row returned.</summary>
    public async Task<(HandBackOutcome, BotConversation)> ResumeAsync(
        BotConversation row, Conversation conversation, Flow flow, string node, string by, string reason, CancellationToken ct)
    {
        if (await handoffs.ToBotAsync(conversation.Id, node, by, reason, ct) is not { } eventId)
            return (new HandBackOutcome.Refused("conversation-closed", "Conversation closed", $"Conversation {conversation.Id} is closed."), row);
        row = row with { Owner = BotOwner.Bot, Misunderstandings = 0 };
        var key = BotSessions.Key(conversation.Id);
        if (await sessions.GetAsync(key, ct) is null)
        {
            var customer = await customers.GetAsync(conversation.CustomerId, ct);
            await sessions.StartAsync(key, flow.Name, BotSessions.StartFor(customer, conversation.Channel), ct);
        }

        var result = await sessions.ResumeAtAsync(key, node, null, ct);
        var current = await conversations.GetAsync(conversation.Id, ct) ?? conversation;
        if (result is FlowTurnResult.Advanced { Session: var resumed })
            row = await step.ApplyAsync(row, current, resumed, resumed.LastStep, [], $"bot-resume:{eventId}", null, ct);
        else
            LogResumeRejected(conversation.Id, result.GetType().Name); // not the record: its session holds the customer's variables
        return (new HandBackOutcome.Done(eventId), row);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bot turn for conversation {ConversationId} not applied: {Reason}")]
    private partial void LogResumeRejected(Guid conversationId, string reason);
}
