using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Customers;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Timeline;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ContactCenter.Core.Inbound;

/// <summary>
/// The one inbound path every channel adapter calls: resolve the customer, find or open the conversation on
/// the channel, append the timeline event, in one transaction, idempotent on the provider's event id.
/// When this returns, the event is durably stored and the webhook may answer 2xx.
/// </summary>
public sealed partial class Inbox(
    NpgsqlDataSource db,
    AddressNormalizer addresses,
    CustomerStore customers,
    TimelineStore timeline,
    TimeProvider clock,
    ILogger<Inbox> log)
{
    public async Task<InboundResult> ReceiveAsync(InboundEvent inbound, CancellationToken ct)
    {
        var address = addresses.Normalize(inbound.Channel, inbound.Address);
        var dedupeKey = inbound.EffectiveDedupeKey;
        await using var connection = await db.OpenConnectionAsync(ct);

        // A provider retry is the common duplicate: answer it from one read, writing nothing. The same batch
        // looks up the identity, which the write path needs anyway.
        Guid? knownCustomer;
        var lookup = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                Db.Batch("select id, customer_id, conversation_id from timeline_events where dedupe_key = $1", dedupeKey),
                Db.Batch("select customer_id from customer_identities where channel = $1 and address = $2",
                    inbound.Channel.ToName(), address),
            },
        };
        await using (lookup)
        await using (var reader = await lookup.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct))
                return new InboundResult(reader.GetInt64(0), reader.GetGuid(1), reader.Nullable<Guid?>(2), Duplicate: true, false);
            await reader.NextResultAsync(ct);
            knownCustomer = await reader.ReadAsync(ct) ? reader.GetGuid(0) : null;
        }

        var now = clock.GetUtcNow();
        await using var tx = await connection.BeginTransactionAsync(ct);
        var customerId = await customers.ResolveForInboundAsync(
            connection, inbound.Channel, address, knownCustomer, inbound.CustomerName, now, ct);
        var (conversationId, opened) = await ConversationStore.FindOrOpenAsync(
            connection, customerId, inbound.Channel, address, inbound.CompanyAddress, now, ct);

        var eventId = await timeline.AppendAsync(connection, new NewTimelineEvent
        {
            CustomerId = customerId,
            ConversationId = conversationId,
            Channel = inbound.Channel,
            Type = inbound.Type,
            Direction = Direction.Inbound,
            OccurredAt = inbound.OccurredAt,
            Text = inbound.Text,
            ProviderId = inbound.ProviderEventId,
            DedupeKey = dedupeKey,
            Data = BuildData(inbound),
        }, now, ct);

        if (eventId is null)
        {
            // A concurrent delivery of the same event committed first: drop everything this attempt wrote
            // (a customer or conversation it may have opened) and answer with the stored event.
            await tx.RollbackAsync(ct);
            var stored = await timeline.FindByDedupeKeyAsync(connection, dedupeKey, ct)
                         ?? throw new InvalidOperationException("A conflicting event vanished.");
            return new InboundResult(stored.Id, stored.CustomerId, stored.ConversationId, Duplicate: true, false);
        }

        await tx.CommitAsync(ct);
        LogReceived(inbound.Type, inbound.Channel.ToName(), Redact.Address(address), eventId.Value);
        return new InboundResult(eventId.Value, customerId, conversationId, Duplicate: false, opened);
    }

    private static JsonObject? BuildData(InboundEvent inbound)
    {
        if (inbound.Media.Count == 0) return inbound.Data;
        var data = inbound.Data is null ? new JsonObject() : (JsonObject)inbound.Data.DeepClone();
        var media = new JsonArray();
        foreach (var m in inbound.Media) media.Add(new JsonObject { ["url"] = m.Url, ["contentType"] = m.ContentType });
        data["media"] = media;
        return data;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Stored {Type} on {Channel} from {Address} as event {EventId}")]
    private partial void LogReceived(string type, string channel, string address, long eventId);
}
