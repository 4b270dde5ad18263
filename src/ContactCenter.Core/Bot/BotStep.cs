using System.Text.Json;
using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Flows;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Telemetry;
using ContactCenter.Core.Timeline;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Core.Bot;

/// <summary>
/// A flow step the bot reached, carried out: its reply sent, the articles it showed noted, a survey answer recorded,
/// and what the flow asked for (a handoff with its context and timeout, the end). Shared by a turn, a handback and a timeout.
/// </summary>
public sealed partial class BotStep(
    NpgsqlDataSource db,
    BotReplies replies,
    ConversationStore conversations,
    TimelineStore timeline,
    Handoffs handoffs,
    HandoffContextBuilder contexts,
    KnowledgeBase knowledge,
    IOptionsMonitor<BotOptions> options,
    TimeProvider clock,
    ILogger<BotStep> log)
{
    private BotOptions Settings => options.CurrentValue;

    /// <summary>
    /// Sends the step's reply (after <paramref name="before"/>, prompts of a step passed on the way) and, unless
    /// <paramref name="actions"/> is false, performs its actions. <paramref name="trigger"/>: why the bot hands off
    /// (customer-request, sentiment, misunderstanding), null when the flow itself does.
    /// </summary>
    public async Task<BotConversation> ApplyAsync(
        BotConversation row, Conversation conversation, FlowSession session, FlowStep step, IReadOnlyList<FlowPrompt> before,
        string messageKey, string? trigger, CancellationToken ct, bool actions = true)
    {
        row = row with { SessionVersion = session.Version };
        await replies.SendAsync(conversation.Id, messageKey, [.. before, .. step.AllPrompts], step.Expect, ct);
        ContactCenterTelemetry.BotTurns.Add(1, ContactCenterTelemetry.Tag("channel", conversation.Channel.ToName()));
        if (!actions) return row;
        row = await RecordArticlesAsync(row, step, ct);
        await RecordSurveyAnswerAsync(conversation, step, messageKey, ct);
        // The flow gave up on an answer it kept not understanding and fell back to a handoff.
        if (trigger is null && step.Events.Any(e => e.Type == "fallback") && step.Actions.Any(a => a is HandoffAction)) trigger = "fallback";
        foreach (var action in step.Actions)
        {
            switch (action)
            {
                case HandoffAction h:
                    row = await HandOffAsync(row, conversation, session, Request(h.Queue, h.Reason, h.Priority, trigger ?? "flow", h.Node), ct);
                    break;
                case EnqueueAction e:
                    row = await HandOffAsync(row, conversation, session, Request(e.Queue, e.Reason, e.Priority, trigger ?? "flow", e.Node), ct);
                    break;
                case CallbackAction c:
                    row = await HandOffAsync(row, conversation, session, new HandoffRequest(c.Queue, $"callback requested to {c.Number}", c.Priority, "callback", c.Node), ct);
                    break;
                case EndAction { Resolve: true }:
                    await conversations.ResolveAsync(conversation.Id, BotOwner.Author, ct);
                    if (row.Handoffs == 0)
                    {
                        row = row with { ContainedAt = clock.GetUtcNow() };
                        CountOutcome(conversation, "contained");
                    }
                    break;
            }
        }

        return row;
    }

    /// <summary>Articles the bot showed (the flow's knowledge events that found one), for the handoff context.</summary>
    public async Task<BotConversation> RecordArticlesAsync(BotConversation row, FlowStep step, CancellationToken ct)
    {
        var articles = row.Articles;
        foreach (var e in step.Events.Where(e => e is { Type: "knowledge", Detail: "found" }))
        {
            if (!Guid.TryParse(e.Option, out var id) || articles.Any(a => a!["id"]?.GetValue<string>() == e.Option)) continue;
            if (await knowledge.GetAsync(id, ct) is not { } article) continue;
            var score = step.State.Variables.TryGetValue("kb.score", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetDouble() : (double?)null;
            articles = [.. articles.Select(a => a!.DeepClone()), new JsonObject { ["id"] = e.Option, ["title"] = article.Title, ["slug"] = article.Slug, ["score"] = score }];
        }

        return row with { Articles = articles };
    }

    /// <summary>An answer to the satisfaction question becomes <c>csat.response</c> (once per customer message).</summary>
    public async Task RecordSurveyAnswerAsync(Conversation conversation, FlowStep step, string messageKey, CancellationToken ct)
    {
        if (step.Events.FirstOrDefault(e => e.Type == "choice" && (e.Node == Settings.SurveyNode || e.Node == Settings.NpsNode))
                is not { Option: { } option, Node: var node } || !int.TryParse(option, out var score)) return;
        var scale = node == Settings.NpsNode ? 10 : 5;
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (await ConversationStore.LockForAppendAsync(connection, conversation.Id, ct) is not { } target) return;
        await timeline.AppendAsync(connection, new NewTimelineEvent
        {
            CustomerId = target.CustomerId,
            ConversationId = target.ConversationId,
            Channel = target.Channel,
            Type = TimelineEventTypes.CsatResponse,
            Direction = Direction.Inbound,
            OccurredAt = now,
            Text = score.ToString(System.Globalization.CultureInfo.InvariantCulture),
            DedupeKey = $"csat:{messageKey}",
            Data = new JsonObject { ["score"] = score, ["scale"] = scale, ["handledBy"] = conversation.Assignee },
        }, now, ct);
        await tx.CommitAsync(ct);
    }

    private HandoffRequest Request(string queue, string? reason, int priority, string trigger, string node) => trigger switch
    {
        "sentiment" => new(queue, "the customer is unhappy", priority + Settings.SentimentPriorityBoost, trigger, node),
        "customer-request" => new(queue, "customer asked for a person", priority, trigger, node),
        "misunderstanding" => new(queue, "the bot did not understand the customer", priority, trigger, node),
        "fallback" => new(queue, reason ?? "the bot did not understand the customer", priority, "misunderstanding", node),
        _ => new(queue, string.IsNullOrWhiteSpace(reason) ? null : reason, priority, trigger, node),
    };

    private async Task<BotConversation> HandOffAsync(
        BotConversation row, Conversation conversation, FlowSession session, HandoffRequest request, CancellationToken ct)
    {
        var handoff = row.Handoffs + 1;
        if (handoff == 1) CountOutcome(conversation, "handed_off");
        var context = await contexts.BuildAsync(conversation, row, session.State.Variables, request, Settings.NegativeSentiment, ct);
        var outcome = await handoffs.ToAgentAsync(conversation.Id, handoff, context, request, ct);
        if (outcome is not Routing.RoutingOutcome.Done) LogHandoffRefused(conversation.Id, request.Queue, outcome.ToString());
        // Nobody taking it in time brings the bot back once; after that it waits for a person however long it takes.
        var followUps = row.TimedOutAt is null
            ? row.FollowUps.Add(BotTimeout.For(conversation.Id, handoff, clock.GetUtcNow() + Settings.TimeoutFor(request.Queue)))
            : row.FollowUps;
        return row with { Owner = BotOwner.Agent, Handoffs = handoff, FollowUps = followUps };
    }

    private static void CountOutcome(Conversation conversation, string outcome) =>
        ContactCenterTelemetry.BotOutcomes.Add(1, ContactCenterTelemetry.Tag("channel", conversation.Channel.ToName()),
            ContactCenterTelemetry.Tag("outcome", outcome));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handoff of conversation {ConversationId} to {Queue} refused: {Outcome}")]
    private partial void LogHandoffRefused(Guid conversationId, string queue, string outcome);
}
