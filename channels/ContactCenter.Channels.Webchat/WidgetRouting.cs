using ContactCenter.Core.Channels;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Reactions;
using ContactCenter.Core.Routing;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Timeline;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Channels.Webchat;

/// <summary>
/// A widget may name its queue, and a pre-chat topic its own (<c>Webchat:Widgets:&lt;id&gt;:Queue</c>, <c>…:PreChat:Topics</c>).
/// Like the mailboxes' routing: after the bot (which may take the conversation), before routing's default step, a new
/// webchat conversation is queued where the visitor's widget and topic say, so routing finds it queued already.
/// </summary>
internal sealed class WidgetRouting(
    NpgsqlDataSource db,
    RoutingEngine engine,
    ConversationStore conversations,
    IOptionsMonitor<WebchatOptions> options,
    IOptions<RoutingOptions> routing) : ITimelineReaction
{
    public static readonly string[] Types = [TimelineEventTypes.MessageReceived];

    public IReadOnlySet<string> EventTypes { get; } = Types.ToHashSet();

    /// <summary>After the bot (-10), before routing (0).</summary>
    public int Order => -5;

    public async Task ReactAsync(TimelineEvent timelineEvent, CancellationToken ct)
    {
        if (timelineEvent.Channel != Channel.Webchat || timelineEvent.ConversationId is not { } id || !routing.Value.AutoQueues(Channel.Webchat)) return;
        if (await conversations.GetEndpointAsync(id, ct) is not { Status: ConversationStatus.Open } conversation) return;
        if (options.CurrentValue.Widget(conversation.CompanyAddress) is not { } widget) return;
        string? topic;
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            if (await connection.Sql("select exists (select 1 from bot_conversations where conversation_id = $1)", id).ExecuteScalarAsync(ct) is true)
                return;
            await using var command = connection.Sql(
                "select pre_chat ->> 'topic' from webchat_visitors where address = $1 order by created_at desc limit 1", conversation.CustomerAddress);
            topic = await command.ExecuteScalarAsync(ct) as string;
        }

        if (widget.QueueFor(topic) is { } queue) await engine.EnqueueAsync(id, queue, null, topic is null ? "web chat" : $"web chat: {topic}", ct);
    }
}
