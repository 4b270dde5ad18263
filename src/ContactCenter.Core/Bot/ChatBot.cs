using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Customers;
using ContactCenter.Core.Flows;
using ContactCenter.Core.Outbound;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Telemetry;
using ContactCenter.Core.Timeline;
using ContactCenter.Core.Work;
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
/// The bot on messaging channels. Each customer message is one turn of the channel's bot flow, run after the
/// message is stored (<see cref="BotReaction"/>) under the conversation's bot row lock: turns of a conversation
/// take turns, and a message already answered (a redelivery) is skipped. Replies go through the outbox with a
/// key per message, so a turn retried after a crash sends nothing twice.
/// </summary>
public sealed partial class ChatBot(
    NpgsqlDataSource db,
    FlowCatalog catalog,
    FlowSessionStore sessions,
    Outbox outbox,
    CustomerStore customers,
    ConversationStore conversations,
    TimelineStore timeline,
    Handoffs handoffs,
    HandoffContextBuilder contexts,
    KnowledgeBase knowledge,
    WorkStore work,
    IOptionsMonitor<BotOptions> options,
    TimeProvider clock,
    ILogger<ChatBot> log)
{
    public const string Author = "bot";

    private BotOptions Settings => options.CurrentValue;

    public static string SessionKey(Guid conversationId) => $"conversation:{conversationId}";

    /// <summary>Answers the customer's message (and any earlier one of the conversation not answered yet).</summary>
    public async Task OnMessageAsync(TimelineEvent message, CancellationToken ct)
    {
        if (message.ConversationId is not { } conversationId || message.Channel is not { } channel || message.Direction != Direction.Inbound) return;
        if (catalog.BotFor(channel) is not { } flow) return;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var row = await BotConversations.LockAsync(connection, conversationId, message.CustomerId, channel, clock.GetUtcNow(), ct);
        if (row.LastEventId >= message.Id) return;
        if (row.Created && await TryAnswerSurveyAsync(connection, row, message, ct))
        {
            // Not a bot conversation of its own: no row stays (a redelivery finds the conversation closed).
            await tx.RollbackAsync(ct);
            return;
        }

        foreach (var pending in await UnansweredAsync(connection, conversationId, row.LastEventId, message.Id, ct))
            row = await TurnAsync(row, flow, pending, ct);
        await SaveAsync(connection, row, ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>Saves the row and writes the work its change causes, in the caller's transaction.</summary>
    private async Task SaveAsync(NpgsqlConnection connection, BotConversation row, CancellationToken ct)
    {
        await BotConversations.SaveAsync(connection, row, clock.GetUtcNow(), ct);
        await work.AddAsync(connection, row.FollowUps, ct);
    }

    private static async Task<List<TimelineEvent>> UnansweredAsync(NpgsqlConnection connection, Guid conversationId, long after, long upTo, CancellationToken ct)
    {
        await using var command = connection.Sql($"""
            select {TimelineStore.Columns} from timeline_events
            where conversation_id = $1 and id > $2 and id <= $3 and type = 'message.received' and direction = 'inbound'
            order by id
            """, conversationId, after, upTo);
        var list = new List<TimelineEvent>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) list.Add(TimelineStore.Read(reader));
        return list;
    }

    private async Task<BotConversation> TurnAsync(BotConversation row, Flow flow, TimelineEvent message, CancellationToken ct)
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
                await AcknowledgeWaitAsync(conversation, row, ct);
                row = row with { Acknowledged = row.Handoffs };
            }

            return row;
        }

        var key = SessionKey(row.ConversationId);
        var session = await sessions.GetAsync(key, ct);
        var messageKey = $"bot:{message.Id}";
        if (session is not null && session.Version != row.SessionVersion && !session.Ended)
        {
            // A turn advanced the session but crashed before saving the row: render and act on it again
            // (the outbox key and the handoff's dedupe key make the repeat harmless).
            return await CompleteAsync(row, conversation, session, session.LastStep, [], messageKey, null, ct);
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
            var start = FlowCustomerVariables.For(customer, conversation.Channel, AddressOf(customer, conversation.Channel), LanguageOf(text));
            start = start with { Variables = start.Variables.ToImmutableDictionary().SetItem("message.text", FlowValues.Of(text ?? "")) };
            // A channel may know where a handoff goes before the bot asks (web chat's pre-chat topic): the flows' route.queue.
            if (message.Data["routeQueue"] is JsonValue routeQueue && routeQueue.TryGetValue<string>(out var queue) && queue.Length > 0)
                start = start with { Variables = start.Variables.ToImmutableDictionary().SetItem("route.queue", FlowValues.Of(queue)) };
            result = await sessions.StartAsync(key, flow.Name, start, ct);
            if (result is not FlowTurnResult.Advanced { Session: var started }) return await RefusedAsync(row, conversation, result, messageKey, ct);
            // The first message usually says what the customer wants: it answers the greeting's question at once.
            if (trigger is null && !IsGreeting(text) && started.LastStep.Expect is not null)
            {
                before = started.LastStep.Prompts;
                result = await sessions.StepAsync(key, InputOf(text, choice, started.LastStep.Expect), started.Version, ct);
            }
            else if (trigger is null)
            {
                return await CompleteAsync(row, conversation, started, started.LastStep, [], messageKey, null, ct);
            }
            else
            {
                result = await sessions.ResumeAtAsync(key, Settings.PersonNode, started.Version, ct);
            }
        }
        else if (trigger is not null)
        {
            result = await sessions.ResumeAtAsync(key, Settings.PersonNode, session.Version, ct);
        }
        else
        {
            result = await sessions.StepAsync(key, InputOf(text, choice, session.LastStep.Expect), session.Version, ct);
        }

        if (result is not FlowTurnResult.Advanced { Session: var advanced }) return await RefusedAsync(row, conversation, result, messageKey, ct);
        var step = advanced.LastStep;
        row = row with { Misunderstandings = row.Misunderstandings + Misses(step) };
        if (trigger is null && row.Misunderstandings >= Settings.MaxMisunderstandings && !step.Actions.Any(a => a is HandoffAction))
        {
            // Repeated confusion: skip the re-asked question and go to a person.
            await RecordArticlesAsync(row, step, ct);
            result = await sessions.ResumeAtAsync(key, Settings.PersonNode, advanced.Version, ct);
            if (result is not FlowTurnResult.Advanced { Session: var resumed }) return await RefusedAsync(row, conversation, result, messageKey, ct);
            return await CompleteAsync(row with { Misunderstandings = 0 }, conversation, resumed, resumed.LastStep, [], messageKey, "misunderstanding", ct);
        }

        return await CompleteAsync(row, conversation, advanced, step, before, messageKey, trigger, ct);
    }

    private async Task<BotConversation> RefusedAsync(BotConversation row, Conversation conversation, FlowTurnResult result, string messageKey, CancellationToken ct)
    {
        switch (result)
        {
            case FlowTurnResult.Conflict { Current: var current }:
                // Someone else moved the session (a handback racing this turn): show where it stands now.
                return await CompleteAsync(row, conversation, current, current.LastStep, [], messageKey, null, ct, actions: false);
            case FlowTurnResult.Rejected rejected:
                LogRejected(row.ConversationId, rejected.Reason);
                return row with { SessionVersion = rejected.Current.Version };
            default:
                LogRejected(row.ConversationId, result.GetType().Name);
                return row;
        }
    }

    /// <summary>Sends the turn's reply and performs what the flow asked for: a handoff, the end, a survey answer.</summary>
    private async Task<BotConversation> CompleteAsync(
        BotConversation row, Conversation conversation, FlowSession session, FlowStep step, IReadOnlyList<FlowPrompt> before,
        string messageKey, string? trigger, CancellationToken ct, bool actions = true)
    {
        row = row with { SessionVersion = session.Version };
        await SendAsync(conversation.Id, messageKey, [.. before, .. step.AllPrompts], step.Expect, ct);
        ContactCenterTelemetry.BotTurns.Add(1, ContactCenterTelemetry.Tag("channel", conversation.Channel.ToName()));
        if (!actions) return row;
        row = await RecordArticlesAsync(row, step, ct);
        await RecordSurveyAsync(conversation, step, messageKey, ct);
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
                    await conversations.ResolveAsync(conversation.Id, Author, ct);
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

    private static void CountOutcome(Conversation conversation, string outcome) =>
        ContactCenterTelemetry.BotOutcomes.Add(1, ContactCenterTelemetry.Tag("channel", conversation.Channel.ToName()),
            ContactCenterTelemetry.Tag("outcome", outcome));

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
            ? row.FollowUps.Add(BotTimeoutWork.For(conversation.Id, handoff, clock.GetUtcNow() + Settings.TimeoutFor(request.Queue)))
            : row.FollowUps;
        return row with { Owner = BotOwner.Agent, Handoffs = handoff, FollowUps = followUps };
    }

    /// <summary>Articles the bot showed (the flow's knowledge events that found one), for the handoff context.</summary>
    private async Task<BotConversation> RecordArticlesAsync(BotConversation row, FlowStep step, CancellationToken ct)
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
    private async Task RecordSurveyAsync(Conversation conversation, FlowStep step, string messageKey, CancellationToken ct)
    {
        if (step.Events.FirstOrDefault(e => e.Type == "choice" && e.Node == Settings.SurveyNode) is not { Option: { } option } ||
            !int.TryParse(option, out var score)) return;
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
            Data = new JsonObject { ["score"] = score, ["scale"] = 5, ["handledBy"] = conversation.Assignee },
        }, now, ct);
        await tx.CommitAsync(ct);
    }

    private async Task SendAsync(Guid conversationId, string key, IReadOnlyList<FlowPrompt> prompts, FlowExpectation? expect, CancellationToken ct)
    {
        var text = string.Join("\n\n", prompts.Select(p => p.Text.Trim()).Where(t => t.Length > 0));
        var choices = expect?.Choices.Select(c => new ReplyChoice(c.Id, c.Title)).ToList();
        if (text.Length == 0 && choices is not { Count: > 0 }) return;
        var outcome = await outbox.AcceptAsync(conversationId,
            new OutboundRequest(new OutboundContent(text, Choices: choices is { Count: > 0 } ? choices : null), key, Author, AuthorKind.Bot), ct);
        if (outcome is AcceptOutcome.Refused refused) LogSendRefused(conversationId, refused.Refusal.Code);
    }

    /// <summary>The one note a waiting customer gets: place in line and expected wait.</summary>
    private async Task AcknowledgeWaitAsync(Conversation conversation, BotConversation row, CancellationToken ct)
    {
        var session = await sessions.GetAsync(SessionKey(conversation.Id), ct);
        var spanish = session?.State.Language == "es";
        if (await handoffs.EstimateAsync(conversation.Id, Settings.DefaultWaitPerPosition, ct) is not { } estimate) return;
        var minutes = Math.Max(1, (int)Math.Ceiling(estimate.ExpectedWait.TotalMinutes));
        var text = spanish
            ? $"Gracias, recibimos su mensaje. Está en el lugar {estimate.Position} de la fila; la espera estimada es de unos {minutes} min. Una persona le responderá aquí."
            : $"Thanks, we've got your message. You're number {estimate.Position} in line; the expected wait is about {minutes} min. A person will reply here.";
        await SendAsync(conversation.Id, $"bot-wait:{row.Handoffs}", [new FlowPrompt("wait", text, null, spanish ? "es" : "en", "")], null, ct);
    }

    /// <summary>The caller's side of input: a button is a choice; "2" picks the second option shown.</summary>
    internal static FlowInput InputOf(string? text, JsonObject? choice, FlowExpectation? expect)
    {
        if (choice?["id"]?.GetValue<string>() is { Length: > 0 } id) return new FlowInput.Choice(id, choice["title"]?.GetValue<string>());
        var typed = text ?? "";
        if (expect is { Choices.Count: > 0 } && int.TryParse(typed.Trim().TrimEnd('.', ')'), out var n) && n >= 1 && n <= expect.Choices.Count)
            return new FlowInput.Choice(expect.Choices[n - 1].Id, expect.Choices[n - 1].Title);
        return new FlowInput.Text(typed);
    }

    /// <summary>Questions asked again in this step (a wrong answer that did not fall back).</summary>
    private static int Misses(FlowStep step) =>
        step.Events.Count(e => e.Type is "no-match" or "invalid" && !step.Events.Any(f => f.Type == "fallback" && f.Node == e.Node));

    private static bool IsGreeting(string? text) =>
        string.IsNullOrWhiteSpace(text) || FlowMatching.Normalize(text) is "hi" or "hello" or "hey" or "hola" or "buenas" or "start"
            or "buenos dias" or "buenas tardes" or "good morning" or "good afternoon";

    /// <summary>A first message in Spanish starts the flow in Spanish (a hint, not a language detector).</summary>
    internal static string? LanguageOf(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (text.Contains('¿') || text.Contains('¡') || text.Contains('ñ')) return "es";
        var words = $" {FlowMatching.Normalize(text)} ";
        string[] spanish = ["hola", "gracias", "quiero", "necesito", "ayuda", "pedido", "como", "donde", "por favor", "buenas", "mi"];
        return spanish.Count(w => words.Contains($" {w} ", StringComparison.Ordinal)) >= 2 ? "es" : null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bot turn for conversation {ConversationId} not applied: {Reason}")]
    private partial void LogRejected(Guid conversationId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bot reply in conversation {ConversationId} refused by the outbox: {Code}")]
    private partial void LogSendRefused(Guid conversationId, string code);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handoff of conversation {ConversationId} to {Queue} refused: {Outcome}")]
    private partial void LogHandoffRefused(Guid conversationId, string queue, string outcome);
}
