using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Flows;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Timeline;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Core.Bot;

/// <summary>The satisfaction question after a person resolved the conversation, and its answer.</summary>
public sealed class BotSurvey(
    NpgsqlDataSource db,
    FlowCatalog catalog,
    FlowSessionStore sessions,
    ConversationStore conversations,
    BotConversations rows,
    BotReplies replies,
    BotStep step,
    IOptionsMonitor<BotOptions> options,
    TimeProvider clock)
{
    /// <summary>How long after the question an answer still counts.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromHours(24);

    private BotOptions Settings => options.CurrentValue;

    /// <summary>
    /// A conversation a person handled was resolved: the bot asks the satisfaction question on the channel (once).
    /// The answer arrives in a new conversation (this one is closed); <see cref="TryAnswerAsync"/> takes it.
    /// </summary>
    public async Task AskAsync(TimelineEvent resolved, CancellationToken ct)
    {
        if (!Settings.SurveyAfterResolution || resolved.ConversationId is not { } conversationId || resolved.Data["by"]?.GetValue<string>() == BotOwner.Author) return;
        if (resolved.Channel is not { } channel || await catalog.ForConversationAsync(db, conversationId, channel, ct) is null) return;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (await BotConversations.LockExistingAsync(connection, conversationId, ct) is not { Handoffs: > 0, SurveySentAt: null } row) return;
        var result = await sessions.ResumeAtAsync(BotSessions.Key(conversationId), Settings.SurveyNode, null, ct);
        if (result is FlowTurnResult.Advanced { Session: var session })
        {
            // The 0–10 question is asked in words: eleven numbered choices would be numbered from 1 (and overflow lists).
            await replies.SendAsync(conversationId, $"bot-survey:{conversationId}", session.LastStep.AllPrompts.ToList(),
                Settings.SurveyNode == Settings.NpsNode ? null : session.LastStep.Expect, ct);
            row = row with { SurveySentAt = clock.GetUtcNow(), SessionVersion = session.Version };
        }

        await rows.SaveAsync(connection, row, ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// A first message in a new conversation that answers the satisfaction question of the customer's conversation
    /// resolved just before: recorded there as <c>csat.response</c>, and the new conversation is closed at once
    /// (it is not a new request, never queued, not counted as a bot conversation). False when it is no answer.
    /// </summary>
    public async Task<bool> TryAnswerAsync(NpgsqlConnection connection, BotConversation row, TimelineEvent message, CancellationToken ct)
    {
        Guid surveyed;
        await using (var find = connection.Sql("""
            select b.conversation_id from bot_conversations b join conversations c on c.id = b.conversation_id
            where b.customer_id = $1 and b.channel = $2 and b.conversation_id <> $3 and c.closed_at is not null
              and b.survey_sent_at >= $4
            order by b.survey_sent_at desc limit 1
            """, row.CustomerId, row.Channel.ToName(), row.ConversationId, clock.GetUtcNow() - Window))
        {
            if (await find.ExecuteScalarAsync(ct) is not Guid found) return false;
            surveyed = found;
        }

        var key = BotSessions.Key(surveyed);
        // Still at a question (the second one when the 1–5 question leads to the 0–10 one); an answered survey has ended.
        if (await sessions.GetAsync(key, ct) is not { State.Node: var node, Ended: false } session
            || (node != Settings.SurveyNode && node != Settings.NpsNode)) return false;
        var input = BotIntents.InputOf(message.Text, message.Data["choice"] as JsonObject, session.LastStep.Expect);
        if (input is not FlowInput.Choice) return false;
        if (await sessions.StepAsync(key, input, session.Version, ct) is not FlowTurnResult.Advanced { Session: var answered }) return false;
        if (await conversations.GetAsync(surveyed, ct) is not { } old) return false;
        await step.RecordSurveyAnswerAsync(old, answered.LastStep, $"bot:{message.Id}", ct);
        await replies.SendAsync(surveyed, $"bot:{message.Id}", answered.LastStep.AllPrompts.ToList(), null, ct);
        await conversations.ResolveAsync(row.ConversationId, BotOwner.Author, ct);
        return true;
    }
}
