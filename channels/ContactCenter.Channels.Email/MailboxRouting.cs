using ContactCenter.Core.Channels;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Reactions;
using ContactCenter.Core.Routing;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Timeline;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Channels.Email;

/// <summary>
/// Routing knows one default queue per channel; a mailbox may name its own (<c>Email:Mailboxes:&lt;name&gt;:Queue</c>).
/// This runs after the bot (which may take the conversation) and before routing's default step: a new email
/// conversation from such a mailbox is queued in the mailbox's queue, so routing finds it queued already.
/// </summary>
internal sealed class MailboxRouting(
    NpgsqlDataSource db,
    RoutingEngine engine,
    ConversationStore conversations,
    IOptions<EmailOptions> options,
    IOptions<RoutingOptions> routing) : ITimelineReaction
{
    public static readonly string[] Types = [TimelineEventTypes.MessageReceived];

    public IReadOnlySet<string> EventTypes { get; } = Types.ToHashSet();

    /// <summary>After the bot (-10), before routing (0).</summary>
    public int Order => -5;

    public async Task ReactAsync(TimelineEvent timelineEvent, CancellationToken ct)
    {
        if (timelineEvent.Channel != Channel.Email || timelineEvent.ConversationId is not { } id || !routing.Value.AutoQueues(Channel.Email)) return;
        // Only a conversation nobody has routed yet: a re-run must not pull one back that was moved since.
        if (await conversations.GetEndpointAsync(id, ct) is not { Status: ConversationStatus.Open } conversation) return;
        if (options.Value.ByAddress(conversation.CompanyAddress)?.Mailbox.Queue is not { Length: > 0 } queue) return;
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            if (await connection.Sql("select exists (select 1 from bot_conversations where conversation_id = $1)", id).ExecuteScalarAsync(ct) is true)
                return;
        }

        await engine.EnqueueAsync(id, queue, null, "new email", ct);
    }
}
