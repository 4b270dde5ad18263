using ContactCenter.Core.Conversations;
using ContactCenter.Core.Flows;
using ContactCenter.Core.Routing;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Core.Bot;

/// <summary>A person asks for the bot's conversation (<c>POST …/handoff { "to": "agent" }</c>): queued with the context, silently.</summary>
public sealed class BotHandToAgent(
    NpgsqlDataSource db,
    ConversationStore conversations,
    FlowSessionStore sessions,
    HandoffContextBuilder contexts,
    Handoffs handoffs,
    BotConversations rows,
    IOptionsMonitor<BotOptions> options,
    TimeProvider clock)
{
    public async Task<RoutingOutcome> HandToAgentAsync(Guid conversationId, string queue, string? reason, string by, CancellationToken ct)
    {
        if (await conversations.GetAsync(conversationId, ct) is not { } conversation) return new RoutingOutcome.NotFound($"No conversation {conversationId}.");
        if (conversation.ClosedAt is not null)
            return new RoutingOutcome.Refused("conversation-closed", "Conversation closed", $"Conversation {conversationId} is {conversation.Status}.");
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var row = await BotConversations.LockAsync(connection, conversation.Id, conversation.CustomerId, conversation.Channel, clock.GetUtcNow(), ct);
        var variables = (await sessions.GetAsync(BotSessions.Key(conversation.Id), ct))?.State.Variables ?? FlowValues.None;
        var handoff = row.Handoffs + 1;
        var request = new HandoffRequest(queue, reason ?? $"handed over by {by}", conversation.Priority, "api", null);
        var context = await contexts.BuildAsync(conversation, row, variables, request, options.CurrentValue.NegativeSentiment, ct);
        var outcome = await handoffs.ToAgentAsync(conversation.Id, handoff, context, request, ct);
        if (outcome is RoutingOutcome.Done)
        {
            await rows.SaveAsync(connection, row with { Owner = BotOwner.Agent, Handoffs = handoff, Acknowledged = handoff }, ct);
            await tx.CommitAsync(ct);
        }

        return outcome;
    }
}
