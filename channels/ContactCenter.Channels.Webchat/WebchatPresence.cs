using ContactCenter.Core.Bot;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Routing;
using ContactCenter.Core.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Channels.Webchat;

/// <summary><c>position</c> and <c>expectedWaitSeconds</c> while waiting for a person; <c>online</c> false: leave a message instead.
/// Where the visitor's conversation stands, as the widget says it: waiting (place in line), with a person, or offline.</summary>
public sealed record VisitorState(Guid? ConversationId, string? Status, int? Position, int? ExpectedWaitSeconds, bool Online);

/// <summary>
/// Whether anyone can answer the widget now: its queue (the topic's, the widget's, else the channel's) is within
/// business hours and someone was available within <see cref="WebchatOptions.OfflineAfter"/>; otherwise the widget
/// offers to leave a message. Skills are not weighed: any available agent counts.
/// </summary>
public sealed class WebchatPresence(
    NpgsqlDataSource db,
    VisitorTimeline timeline,
    QueueStore queues,
    Handoffs handoffs,
    IOptionsMonitor<WebchatOptions> options,
    IOptionsMonitor<BotOptions> bot,
    IOptions<RoutingOptions> routing,
    TimeProvider clock)
{
    public async Task<VisitorState> StateAsync(Visitor visitor, WidgetOptions widget, CancellationToken ct)
    {
        var online = await OnlineAsync(widget.QueueFor(visitor.PreChat["topic"]?.GetValue<string>()) ?? routing.Value.QueueFor(Channel.Webchat), ct);
        if (await timeline.CurrentAsync(visitor.Address, ct) is not { } conversation) return new VisitorState(null, null, null, null, online);
        if (conversation.Status == ConversationStatus.Queued
            && await handoffs.EstimateAsync(conversation.Id, bot.CurrentValue.DefaultWaitPerPosition, ct) is { } estimate)
            return new VisitorState(conversation.Id, conversation.Status, estimate.Position, (int)Math.Ceiling(estimate.ExpectedWait.TotalSeconds), online);
        return new VisitorState(conversation.Id, conversation.Status, null, null, online);
    }

    public async Task<bool> OnlineAsync(string queue, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (await queues.GetAsync(queue, ct) is { } q && !QueueStore.HoursOf(q.Definition).IsOpen(now)) return false;
        await using var connection = await db.OpenConnectionAsync(ct);
        // Someone available now, or someone who stopped being available (away, on a break) only a moment ago.
        await using var command = connection.Sql("""
            select exists (select 1 from agents where status = $1 or status_changed_at > $2)
            """, AgentStatus.Available, now - options.CurrentValue.OfflineAfter);
        return await command.ExecuteScalarAsync(ct) is true;
    }
}

/// <summary>The visitor saw the chat up to an event: the agents' messages until then become <c>read</c> (statuses only move forward).</summary>
public sealed class WebchatReads(NpgsqlDataSource db, Core.Outbound.OutboxDispatcher dispatcher)
{
    // Seen on the page is read, even if the (no-op) dispatch has not recorded "sent" yet: statuses only move forward.
    private static readonly string[] Unread =
    [
        Core.Outbound.DeliveryStatus.Pending, Core.Outbound.DeliveryStatus.Dispatching, Core.Outbound.DeliveryStatus.Accepted,
        Core.Outbound.DeliveryStatus.Queued, Core.Outbound.DeliveryStatus.Sending, Core.Outbound.DeliveryStatus.Sent,
        Core.Outbound.DeliveryStatus.Delivered,
    ];

    public async Task<int> MarkReadAsync(string address, long upToEventId, CancellationToken ct)
    {
        var unread = new List<Guid>();
        await using (var connection = await db.OpenConnectionAsync(ct))
        await using (var command = connection.Sql("""
            select m.id from customer_identities i
            join conversations c on c.customer_id = i.customer_id and c.channel = 'webchat' and c.customer_address = i.address
            join timeline_events e on e.conversation_id = c.id and e.type = 'message.sent' and e.id <= $2
            join outbound_messages m on m.id = (e.data ->> 'messageId')::uuid and m.status = any($3)
            where i.channel = 'webchat' and i.address = $1
            """, address, upToEventId, Unread))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) unread.Add(reader.GetGuid(0));
        }

        foreach (var id in unread) await dispatcher.RecordStatusAsync(id, Core.Outbound.DeliveryStatus.Read, null, null, ct);
        return unread.Count;
    }
}
