using ContactCenter.Core.Conversations;
using ContactCenter.Core.Flows;
using ContactCenter.Core.Outbound;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ContactCenter.Core.Bot;

/// <summary>
/// What the bot says, through the outbox with a key per cause (<c>bot:{message}</c>, <c>bot-wait:{handoff}</c>…),
/// so a turn run again after a crash sends nothing twice.
/// </summary>
public sealed partial class BotReplies(
    Outbox outbox, FlowSessionStore sessions, Handoffs handoffs, IOptionsMonitor<BotOptions> options, ILogger<BotReplies> log)
{
    public async Task SendAsync(Guid conversationId, string key, IReadOnlyList<FlowPrompt> prompts, FlowExpectation? expect, CancellationToken ct)
    {
        var text = string.Join("\n\n", prompts.Select(p => p.Text.Trim()).Where(t => t.Length > 0));
        var choices = expect?.Choices.Select(c => new ReplyChoice(c.Id, c.Title)).ToList();
        if (text.Length == 0 && choices is not { Count: > 0 }) return;
        var outcome = await outbox.AcceptAsync(conversationId,
            new OutboundRequest(new OutboundContent(text, Choices: choices is { Count: > 0 } ? choices : null), key, BotOwner.Author, AuthorKind.Bot), ct);
        if (outcome is AcceptOutcome.Refused refused) LogSendRefused(conversationId, refused.Refusal.Code);
    }

    /// <summary>The one note a waiting customer gets after a handoff: place in line and expected wait.</summary>
    public async Task AcknowledgeWaitAsync(Conversation conversation, int handoff, CancellationToken ct)
    {
        var session = await sessions.GetAsync(BotSessions.Key(conversation.Id), ct);
        var spanish = session?.State.Language == "es";
        if (await handoffs.EstimateAsync(conversation.Id, options.CurrentValue.DefaultWaitPerPosition, ct) is not { } estimate) return;
        var minutes = Math.Max(1, (int)Math.Ceiling(estimate.ExpectedWait.TotalMinutes));
        var text = spanish
            ? $"Gracias, recibimos su mensaje. Está en el lugar {estimate.Position} de la fila; la espera estimada es de unos {minutes} min. Una persona le responderá aquí."
            : $"Thanks, we've got your message. You're number {estimate.Position} in line; the expected wait is about {minutes} min. A person will reply here.";
        await SendAsync(conversation.Id, $"bot-wait:{handoff}", [new FlowPrompt("wait", text, null, spanish ? "es" : "en", "")], null, ct);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bot reply in conversation {ConversationId} refused by the outbox: {Code}")]
    private partial void LogSendRefused(Guid conversationId, string code);
}

/// <summary>The bot's flow session of a conversation: its key, and what a new one starts with.</summary>
public static class BotSessions
{
    public static string Key(Guid conversationId) => $"conversation:{conversationId}";

    public static FlowStart StartFor(Customers.Customer? customer, Channels.Channel channel, string? language = null) =>
        FlowCustomerVariables.For(customer, channel, customer?.Identities.FirstOrDefault(i => i.Channel == channel)?.Address ?? "", language);
}
