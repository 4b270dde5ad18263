using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Customers;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Telemetry;
using ContactCenter.Core.Timeline;
using ContactCenter.Core.Work;
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
        // The span is current while the event is written, so its work_items row records it as the parent of the
        // after-commit work.
        using var activity = ContactCenterTelemetry.Source.StartActivity("inbox.receive");
        activity?.SetTag("contactcenter.channel", inbound.Channel.ToName());
        activity?.SetTag("contactcenter.event.type", inbound.Type);
        var result = await StoreAsync(inbound, ct);
        activity?.SetTag("contactcenter.event.id", result.EventId);
        activity?.SetTag("contactcenter.duplicate", result.Duplicate);
        if (!result.Duplicate)
            ContactCenterTelemetry.InboundEvents.Add(1,
                ContactCenterTelemetry.Tag("channel", inbound.Channel.ToName()), ContactCenterTelemetry.Tag("type", inbound.Type));
        return result;
    }

    private async Task<InboundResult> StoreAsync(InboundEvent inbound, CancellationToken ct)
    {
        inbound = ProviderText.Clean(inbound);
        var address = addresses.Normalize(inbound.Channel, inbound.Address);
        var dedupeKey = inbound.EffectiveDedupeKey;
        await using var connection = await db.OpenConnectionAsync(ct);
        // The one-statement path cannot carry a consent change; those take the full transaction below.
        if (inbound.OptOut is null && await TryAppendToOpenConversationAsync(connection, inbound, address, dedupeKey, ct) is { } fast)
            return fast;

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
            connection, customerId, inbound.Channel, address, inbound.CompanyAddress, now, ct, inbound.ContinuesConversationId);

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

        if (inbound.OptOut is { } optOut)
            await customers.ApplyOptOutAsync(connection, customerId, inbound.Channel, address, optOut,
                inbound.OptOutReason ?? (optOut ? "The customer asked to stop." : "The customer asked to start again."),
                conversationId, now, ct);

        await tx.CommitAsync(ct);
        LogReceived(inbound.Type, inbound.Channel.ToName(), Redact.Address(address), eventId.Value);
        return new InboundResult(eventId.Value, customerId, conversationId, Duplicate: false, opened);
    }

    /// <summary>
    /// The common case in one round trip: a known customer (not being merged) writing into their open
    /// conversation. One statement is one transaction: it share-locks the customer exactly like the full
    /// path, so a merge still cannot strand the event. Returns null when anything is unusual (new customer
    /// or conversation, a merge, changed addresses, a concurrent duplicate) and the full path takes over.
    /// </summary>
    private async Task<InboundResult?> TryAppendToOpenConversationAsync(
        NpgsqlConnection connection, InboundEvent inbound, string address, string dedupeKey, CancellationToken ct)
    {
        // A new thread on a channel with several open conversations opens one: the full path does that.
        var several = inbound.Channel.HoldsSeveralOpenConversations();
        if (several && inbound.ContinuesConversationId is null) return null;
        var now = clock.GetUtcNow();
        var reactionRow = timeline.WantsReaction(inbound.Type)
            ? $", r as ({WorkStore.EventWorkSql("ins", "$5", "$12::text")})"
            : "";
        await using var command = connection.Sql($"""
            with ident as (
                -- A retry takes no lock and writes nothing: it is answered from the second branch below.
                select customer_id from customer_identities where channel = $1 and address = $2
                  and not exists (select 1 from timeline_events where dedupe_key = $8)),
            cust as (
                select id, merged_into from customers where id = (select customer_id from ident) for share),
            conv as (
                select id from conversations
                where customer_id = (select id from cust where merged_into is null) and channel = $1 and closed_at is null
                  and customer_address = $2 and company_address is not distinct from coalesce($10, company_address)
                  and ($13::uuid is null or id = $13)),
            named as (
                update customers set name = $11
                where $11::text is not null and name is null and id = (select id from cust where merged_into is null)
                  and exists (select 1 from conv)),
            ins as (
                insert into timeline_events (customer_id, conversation_id, channel, type, direction, occurred_at, recorded_at,
                                             text, provider_id, dedupe_key, data)
                select cust.id, conv.id, $1, $3, 'inbound', $4, $5, $6, $7, $8, $9
                from cust, conv where cust.merged_into is null
                on conflict (dedupe_key) do nothing
                returning id, customer_id, conversation_id, type, occurred_at){reactionRow}
            select id, customer_id, conversation_id, false from ins
            union all
            select id, customer_id, conversation_id, true from timeline_events where dedupe_key = $8
            """,
            inbound.Channel.ToName(), address, inbound.Type, inbound.OccurredAt, now, Db.Text(inbound.Text),
            Db.Text(inbound.ProviderEventId), dedupeKey, Db.Jsonb(BuildData(inbound)?.ToJsonString() ?? "{}"),
            Db.Text(inbound.CompanyAddress), Db.Text(CustomerStore.TrimName(inbound.CustomerName)),
            Db.Text(ContactCenterTelemetry.CurrentTraceParent()), Db.Uuid(several ? inbound.ContinuesConversationId : null));
        await using var reader = await command.ExecuteReaderAsync(ct);
        // A row from the second branch is an event stored before this statement began: a provider retry.
        if (!await reader.ReadAsync(ct)) return null;
        var duplicate = reader.GetBoolean(3);
        var result = new InboundResult(reader.GetInt64(0), reader.GetGuid(1), reader.Nullable<Guid?>(2), duplicate, ConversationOpened: false);
        if (!duplicate) LogReceived(inbound.Type, inbound.Channel.ToName(), Redact.Address(address), result.EventId);
        return result;
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
