using System.Collections.Immutable;
using System.Text.Json.Nodes;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Customers;
using ContactCenter.Core.Flows;
using ContactCenter.Core.Timeline;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ContactCenter.Core.Bot;

/// <summary>
/// The bot's answer to one customer message, inside its turn (<see cref="BotTurn"/>): the flow started or stepped
/// with the message, a jump to a person when the customer asks for one, is clearly unhappy or keeps being
/// misunderstood; silence (but one note of the wait) once a person owns the conversation.
/// </summary>
public sealed partial class BotAnswer(
    FlowSessionStore sessions,
    CustomerStore customers,
    ConversationStore conversations,
    Handoffs handoffs,
    BotStep step,
    BotReplies replies,
    IOptionsMonitor<BotOptions> options,
    ILogger<BotAnswer> log)
{
    private BotOptions Settings => options.CurrentValue;

    public async Task<BotConversation> AnswerAsync(BotConversation row, Flow flow, TimelineEvent message, CancellationToken ct)
    {
        row = row with { LastEventId = message.Id };
        if (await conversations.GetAsync(row.ConversationId, ct) is not { ClosedAt: null } conversation) return row;
        var text = message.Text?.Trim();
        var choice = message.Data["choice"] as JsonObject;
        var sentiment = choice is null ? BotIntents.Sentiment(text) : 0;
        row = row with { Sentiment = Math.Min(row.Sentiment, sentiment) };

        if (row.Owner == BotOwner.Agent)
        {
            // A person owns it: the bot stays silent, except for one note of where the customer stands in line.
            if (conversation.Status == ConversationStatus.Queued && row.Acknowledged < row.Handoffs)
            {
                await replies.AcknowledgeWaitAsync(conversation, row.Handoffs, ct);
                row = row with { Acknowledged = row.Handoffs };
            }

            return row;
        }

        var key = BotSessions.Key(row.ConversationId);
        var session = await sessions.GetAsync(key, ct);
        var messageKey = $"bot:{message.Id}";
        if (session is not null && session.Version != row.SessionVersion && !session.Ended)
        {
            // A turn advanced the session but crashed before saving the row: render and act on it again
            // (the outbox key and the handoff's dedupe key make the repeat harmless).
            return await step.ApplyAsync(row, conversation, session, session.LastStep, [], messageKey, null, ct);
        }

        var trigger = choice is null && BotIntents.AsksForPerson(text) ? "customer-request"
            : sentiment <= Settings.NegativeSentiment ? "sentiment"
            : null;
        IReadOnlyList<FlowPrompt> before = [];
        FlowTurnResult result;
        if (session is null || session.Ended)
        {
            await handoffs.MarkBotAsync(row.ConversationId, ct);
            var customer = await customers.GetAsync(row.CustomerId, ct);
            var start = BotSessions.StartFor(customer, conversation.Channel, BotIntents.LanguageOf(text));
            start = start with { Variables = start.Variables.ToImmutableDictionary().SetItem("message.text", FlowValues.Of(text ?? "")) };
            // A channel may know where a handoff goes before the bot asks (web chat's pre-chat topic): the flows' route.queue.
            if (message.Data["routeQueue"] is JsonValue routeQueue && routeQueue.TryGetValue<string>(out var queue) && queue.Length > 0)
                start = start with { Variables = start.Variables.ToImmutableDictionary().SetItem("route.queue", FlowValues.Of(queue)) };
            // The first message usually says what the customer wants: it answers the greeting's question at once
            // (started and stepped in one write).
            (result, var startedStep) = await sessions.StartThenStepAsync(key, flow.Name, start,
                first => trigger is null && !BotIntents.IsGreeting(text) && first.Expect is { } expect ? BotIntents.InputOf(text, choice, expect) : null, ct);
            if (startedStep is not null)
            {
                before = startedStep.Prompts;
            }
            else
            {
                if (result is not FlowTurnResult.Advanced { Session: var started }) return await RefusedAsync(row, conversation, result, messageKey, ct);
                if (trigger is null) return await step.ApplyAsync(row, conversation, started, started.LastStep, [], messageKey, null, ct);
                result = await sessions.ResumeAtAsync(key, Settings.PersonNode, started.Version, ct);
            }
        }
        else if (trigger is not null)
        {
            result = await sessions.ResumeAtAsync(key, Settings.PersonNode, session.Version, ct);
        }
        else
        {
            result = await sessions.StepAsync(key, BotIntents.InputOf(text, choice, session.LastStep.Expect), session.Version, ct);
        }

        if (result is not FlowTurnResult.Advanced { Session: var advanced }) return await RefusedAsync(row, conversation, result, messageKey, ct);
        var reached = advanced.LastStep;
        row = row with { Misunderstandings = row.Misunderstandings + BotIntents.Misses(reached) };
        if (trigger is null && row.Misunderstandings >= Settings.MaxMisunderstandings && !reached.Actions.Any(a => a is HandoffAction))
        {
            // Repeated confusion: skip the re-asked question and go to a person.
            row = await step.RecordArticlesAsync(row, reached, ct);
            result = await sessions.ResumeAtAsync(key, Settings.PersonNode, advanced.Version, ct);
            if (result is not FlowTurnResult.Advanced { Session: var resumed }) return await RefusedAsync(row, conversation, result, messageKey, ct);
            return await step.ApplyAsync(row with { Misunderstandings = 0 }, conversation, resumed, resumed.LastStep, [], messageKey, "misunderstanding", ct);
        }

        return await step.ApplyAsync(row, conversation, advanced, reached, before, messageKey, trigger, ct);
    }

    private async Task<BotConversation> RefusedAsync(BotConversation row, Conversation conversation, FlowTurnResult result, string messageKey, CancellationToken ct)
    {
        switch (result)
        {
            case FlowTurnResult.Conflict { Current: var current }:
                // Someone else moved the session (a handback racing this turn): show where it stands now.
                return await step.ApplyAsync(row, conversation, current, current.LastStep, [], messageKey, null, ct, actions: false);
            case FlowTurnResult.Rejected rejected:
                LogRejected(row.ConversationId, rejected.Reason);
                return row with { SessionVersion = rejected.Current.Version };
            default:
                LogRejected(row.ConversationId, result.GetType().Name);
                return row;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bot turn for conversation {ConversationId} not applied: {Reason}")]
    private partial void LogRejected(Guid conversationId, string reason);
}
