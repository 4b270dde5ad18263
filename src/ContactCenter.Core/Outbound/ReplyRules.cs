using ContactCenter.Core.Channels;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Storage;
using Npgsql;

namespace ContactCenter.Core.Outbound;

/// <param name="FreeText">Null when a free-form reply may go now; else why not (e.g. WhatsApp's window closed: templates only).</param>
/// <param name="AgentOnly">Only a person may answer now (Meta between 24 hours and 7 days: sent with the HUMAN_AGENT tag).</param>
/// <param name="OptedOut">Set when the customer opted out on the channel: nothing may be sent, and why.</param>
public sealed record ReplyRulesView(
    Channel Channel, DateTimeOffset? LastInboundAt, OutboundRefusal? FreeText, bool AgentOnly, OptOutView? OptedOut);

public sealed record OptOutView(DateTimeOffset? At, string? Reason);

/// <summary>
/// The channel's rules for the next agent reply, before anyone types: the same checks the outbox makes when a
/// message is accepted (<see cref="IChannelSender.Check"/>), asked with a probe reply.
/// </summary>
public sealed class ReplyRules(NpgsqlDataSource db, IEnumerable<IChannelSender> senders, TimeProvider clock)
{
    private readonly Dictionary<Channel, IChannelSender> _senders = Outbox.SendersByChannel(senders);

    public async Task<ReplyRulesView?> ForConversationAsync(Guid conversationId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var find = connection.Sql(
            "select customer_id, channel, customer_address from conversations where id = $1", conversationId);
        Guid customerId;
        Channel channel;
        string address;
        await using (var reader = await find.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct)) return null;
            (customerId, channel, address) = (reader.GetGuid(0), ChannelNames.Parse(reader.GetString(1)), reader.GetString(2));
        }

        var lastInbound = await Outbox.LastInboundAtAsync(connection, customerId, channel, ct);
        var optedOut = await OptOutAsync(connection, customerId, channel, address, ct);
        if (!_senders.TryGetValue(channel, out var sender))
            return new ReplyRulesView(channel, lastInbound, new OutboundRefusal("channel-unavailable", "Channel not configured",
                $"No sender is configured for the {channel.ToName()} channel."), false, optedOut);
        var probe = new OutboundContent("·");
        var asAgent = sender.Check(new OutboundCheck(channel, AuthorKind.Agent, probe, lastInbound, now));
        var asBot = sender.Check(new OutboundCheck(channel, AuthorKind.Bot, probe, lastInbound, now));
        return new ReplyRulesView(channel, lastInbound, asAgent, asAgent is null && asBot is not null, optedOut);
    }

    private static async Task<OptOutView?> OptOutAsync(NpgsqlConnection connection, Guid customerId, Channel channel, string address, CancellationToken ct)
    {
        await using var command = connection.Sql("""
            select i.opted_out_at,
                   (select e.data ->> 'reason' from timeline_events e
                    where e.customer_id = $3 and e.channel = $1 and e.type = 'customer.opted_out' order by e.id desc limit 1)
            from customer_identities i where i.channel = $1 and i.address = $2 and i.opted_out
            """, channel.ToName(), address, customerId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new OptOutView(reader.NullableInstant(0), reader.Nullable<string>(1)) : null;
    }
}
