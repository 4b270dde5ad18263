using System.Text.Json.Nodes;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Flows;
using ContactCenter.Core.Work;
using Hangfire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Core.Bot;

/// <summary>
/// Due work (<c>bot.timeout</c>) written with each handoff, ordered with the conversation's other work: when no agent
/// took the conversation within the queue's bot timeout, the bot takes it back (once per conversation) and offers a
/// callback or to leave a message.
/// </summary>
public sealed partial class BotTimeout(
    NpgsqlDataSource db, FlowCatalog catalog, ConversationStore conversations, BotConversations rows, BotResume resume,
    IOptionsMonitor<BotOptions> options, TimeProvider clock, ILogger<BotTimeout> log) : IWorkHandler
{
    public const string Kind = "bot.timeout";

    string IWorkHandler.Kind => Kind;

    public static NewWork For(Guid conversationId, int handoff, DateTimeOffset due) =>
        NewWork.ForConversation(Kind, conversationId, due, new JsonObject { ["handoff"] = handoff });

    public async Task<IReadOnlyList<NewWork>> RunAsync(WorkItem item, CancellationToken ct)
    {
        if (item.ConversationId is { } id && item.Payload["handoff"]?.GetValue<int>() is { } handoff)
            await TakeBackAsync(id, handoff, ct);
        return [];
    }

    public async Task TakeBackAsync(Guid conversationId, int handoff, CancellationToken ct)
    {
        if (await conversations.GetAsync(conversationId, ct) is not { ClosedAt: null, Status: ConversationStatus.Queued } conversation) return;
        if (await catalog.ForConversationAsync(db, conversation.Id, conversation.Channel, ct) is not { } flow) return;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (await BotConversations.LockExistingAsync(connection, conversationId, ct) is not { Owner: BotOwner.Agent } row || row.Handoffs != handoff)
            return;
        // Re-read under the bot lock: an agent may have taken it a moment ago.
        if (await conversations.GetAsync(conversationId, ct) is not { ClosedAt: null, Status: ConversationStatus.Queued } waiting) return;
        var (_, saved) = await resume.ResumeAsync(row with { TimedOutAt = clock.GetUtcNow() }, waiting, flow, options.CurrentValue.TimeoutNode,
            BotOwner.Author, "bot-timeout", ct);
        await rows.SaveAsync(connection, saved, ct);
        await tx.CommitAsync(ct);
        LogTimedOut(conversationId, conversation.Queue ?? "-");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Nobody took conversation {ConversationId} in {Queue} in time: the bot took it back")]
    private partial void LogTimedOut(Guid conversationId, string queue);
}

/// <summary>
/// Only for Hangfire jobs scheduled before bot timeouts became work items: they name this type and method, so both
/// stay (the bot itself is <see cref="BotTurn"/>, <see cref="BotSurvey"/>, <see cref="BotHandBack"/>, <see cref="BotTimeout"/>…).
/// </summary>
public sealed class ChatBot(BotTimeout timeout)
{
    [AutomaticRetry(Attempts = 5)]
    public Task BotTimeoutAsync(Guid conversationId, int handoff, CancellationToken ct) => timeout.TakeBackAsync(conversationId, handoff, ct);
}
