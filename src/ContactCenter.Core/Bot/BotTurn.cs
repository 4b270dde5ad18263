using ContactCenter.Core.Flows;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Timeline;
using Npgsql;

namespace ContactCenter.Core.Bot;

/// <summary>
/// The bot on messaging channels: each customer message is one turn of the channel's bot flow, run after the
/// message is stored (<see cref="BotReaction"/>) under the conversation's bot row lock, so turns of a conversation
/// take turns and a message already answered (a redelivery) is skipped. Replies go through the outbox with a key
/// per message, so a turn retried after a crash sends nothing twice.
/// </summary>
public sealed class BotTurn(
    NpgsqlDataSource db, FlowCatalog catalog, BotConversations rows, BotSurvey survey, BotAnswer answer, TimeProvider clock)
{
    /// <summary>Answers the customer's message (and any earlier one of the conversation not answered yet).</summary>
    public async Task OnMessageAsync(TimelineEvent message, CancellationToken ct)
    {
        if (message.ConversationId is not { } conversationId || message.Channel is not { } channel || message.Direction != Direction.Inbound) return;
        if (await catalog.ForConversationAsync(db, conversationId, channel, ct) is not { } flow) return;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var row = await BotConversations.LockAsync(connection, conversationId, message.CustomerId, channel, clock.GetUtcNow(), ct);
        if (row.LastEventId >= message.Id) return;
        if (row.Created && await survey.TryAnswerAsync(connection, row, message, ct))
        {
            // Not a bot conversation of its own: no row stays (a redelivery finds the conversation closed).
            await tx.RollbackAsync(ct);
            return;
        }

        foreach (var pending in await UnansweredAsync(connection, conversationId, row.LastEventId, message.Id, ct))
            row = await answer.AnswerAsync(row, flow, pending, ct);
        await rows.SaveAsync(connection, row, ct);
        await tx.CommitAsync(ct);
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
}

/// <summary>
/// What the bot does after events are stored: answers customer messages, asks the survey after a resolution. It
/// runs before routing's reaction to the same event, so a new conversation the bot answers is the bot's.
/// </summary>
internal sealed class BotReaction(BotTurn turn, BotSurvey survey) : Reactions.ITimelineReaction
{
    public static readonly string[] Types = [TimelineEventTypes.MessageReceived, TimelineEventTypes.ConversationResolved];

    public IReadOnlySet<string> EventTypes { get; } = Types.ToHashSet();

    public int Order => -10;

    public Task ReactAsync(TimelineEvent timelineEvent, CancellationToken ct) => timelineEvent.Type == TimelineEventTypes.ConversationResolved
        ? survey.AskAsync(timelineEvent, ct)
        : turn.OnMessageAsync(timelineEvent, ct);
}
