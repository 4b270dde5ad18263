using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Customers;
using ContactCenter.Core.Outbound;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Timeline;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Core.Notifications;

/// <summary>
/// One step of one recipient: look at the message being watched (delivered → done; failed, undelivered or
/// not delivered by <c>fallbackAfter</c> → next channel), then walk the channel list from where it stands,
/// skipping channels with a reason, and hand the first allowed one to the outbox. Safe to run twice: the
/// outbox's idempotency key (recipient and step) never sends one step twice, and timeline entries carry
/// dedupe keys.
/// </summary>
public sealed partial class NotificationStepper(
    NpgsqlDataSource db,
    Outbox outbox,
    OutboxDispatcher dispatcher,
    IEnumerable<IChannelSender> senders,
    CustomerStore customers,
    NotificationStore store,
    TimeProvider clock,
    IOptions<NotificationOptions> options,
    ILogger<NotificationStepper> log)
{
    private readonly Dictionary<Channel, IChannelSender> _senders = Outbox.SendersByChannel(senders);
    private readonly NotificationOptions _options = options.Value;
    private static readonly TimeSpan SlotTolerance = TimeSpan.FromMilliseconds(20);
    internal const string RecallReason = "The notification was cancelled before this message was sent.";

    public async Task StepAsync(Guid recipientId, CancellationToken ct)
    {
        if (await store.LoadAsync(recipientId, ct) is not { } r) return;
        if (RecipientStatus.IsFinal(r.Status))
        {
            await store.SaveAsync(r with { NextStepAt = null }, [], ct);
            return;
        }

        var now = clock.GetUtcNow();
        var events = new List<NewTimelineEvent>();
        var customerId = r.CustomerId ?? await ResolveAddressAsync(r, now, ct);
        r = r with { CustomerId = customerId };

        if (r.Status == RecipientStatus.Sending)
        {
            var message = await outbox.GetAsync(r.MessageId!.Value, ct);
            var status = message?.Status ?? DeliveryStatus.Failed;
            var channel = r.Channels[r.Step];
            if (status is DeliveryStatus.Delivered or DeliveryStatus.Read)
            {
                Amend(r, status, null, now);
                await FinishAsync(r, RecipientStatus.Delivered, channel, null, events, now, ct);
                return;
            }

            if (r.CancelledAt is not null)
            {
                // Taken back if it has not gone out (the cancel recalls what it finds; a send racing the cancel is
                // caught here); a message out already stays out, but no fallback follows it.
                var recalled = status == DeliveryStatus.Canceled
                               || (status == DeliveryStatus.Pending && await dispatcher.RecallAsync(r.MessageId!.Value, RecallReason, ct));
                if (recalled) Amend(r, DeliveryStatus.Canceled, "recalled before it was sent", now);
                await FinishAsync(r, RecipientStatus.Cancelled, channel, recalled ? "cancelled; the message was recalled" : "cancelled", events, now, ct);
                return;
            }

            string? reason = null;
            if (DeliveryStatus.IsFinal(status)) reason = message?.ErrorCode ?? message?.ErrorMessage ?? "no reason given";
            else if (now >= r.FallbackAt && status == DeliveryStatus.Sent && _senders.TryGetValue(channel, out var silent) && !silent.ReportsDelivery)
            {
                // A channel without delivery reports (email): accepted, and no bounce within the window, is as far as we can know.
                Amend(r, DeliveryStatus.Delivered, "accepted by the server; no bounce within the fallback window", now);
                await FinishAsync(r, RecipientStatus.Delivered, channel, null, events, now, ct);
                return;
            }
            else if (now >= r.FallbackAt) (status, reason) = ("timed-out", $"not delivered within {r.FallbackAfter}");
            else
            {
                // Still on its way: look again when the window closes (a status callback wakes it sooner).
                await store.SaveAsync(r with { NextStepAt = r.FallbackAt }, [], ct);
                return;
            }

            Amend(r, status, reason, now);
            events.Add(Event(r, NotificationEventTypes.Attempt, channel, r.ConversationId, $"{r.Step}:result", now,
                new JsonObject { ["status"] = status, ["reason"] = reason, ["messageId"] = r.MessageId.ToString() }));
            r = r with { Step = r.Step + 1, Status = RecipientStatus.Pending, MessageId = null, FallbackAt = null };
        }

        if (r.CancelledAt is not null)
        {
            await FinishAsync(r, RecipientStatus.Cancelled, null, "cancelled", events, now, ct);
            return;
        }

        for (var step = r.Step; step < r.Channels.Count; step++)
        {
            var channel = r.Channels[step];
            r = r with { Step = step };
            var (address, skip) = customerId is { } c ? await CheckAsync(c, channel, r, now, ct) : (null, "no-identity");
            if (skip is not null)
            {
                r.Attempts.Add(new NotificationAttempt(channel, "skipped", skip, null, now));
                if (customerId is not null)
                    events.Add(Event(r, NotificationEventTypes.Skipped, channel, null, $"{step}:skipped", now, new JsonObject { ["reason"] = skip }));
                continue;
            }

            if (!(r.PacedStep == step && r.PacedAt <= now + SlotTolerance))
            {
                var slot = await store.ReserveSlotAsync(channel, _options.Interval(channel), ct);
                if (slot > now + SlotTolerance)
                {
                    // Over the channel's rate: come back at the reserved slot (skips so far are kept).
                    await store.SaveAsync(r with { PacedStep = step, PacedAt = slot, NextStepAt = slot }, events, ct);
                    return;
                }
            }

            var conversationId = await OpenConversationAsync(customerId!.Value, channel, address!, r, now, ct);
            var content = r.Content[channel];
            var accepted = await outbox.AcceptAsync(conversationId,
                new OutboundRequest(content.ToOutbound(), $"notification:{r.Id}:{step}", $"notification:{r.NotificationId}", AuthorKind.System), ct);
            if (accepted is AcceptOutcome.Accepted { Message: var message })
            {
                // A cancel that landed while this step ran has not seen this message: take it back before it goes out.
                if (await store.IsCancelledAsync(r.NotificationId, ct)) await dispatcher.RecallAsync(message.Id, RecallReason, ct);
                r.Attempts.Add(new NotificationAttempt(channel, "sent", null, message.Id, now));
                events.Add(Event(r, NotificationEventTypes.Attempt, channel, conversationId, $"{step}:sent", now,
                    new JsonObject { ["status"] = "sent", ["messageId"] = message.Id.ToString() }));
                await store.SaveAsync(r with
                {
                    Status = RecipientStatus.Sending, MessageId = message.Id, ConversationId = conversationId,
                    FallbackAt = now + r.FallbackAfter, NextStepAt = now + r.FallbackAfter,
                }, events, ct);
                return;
            }

            var refusal = accepted is AcceptOutcome.Refused { Refusal: var why } ? why.Code : accepted.GetType().Name;
            r.Attempts.Add(new NotificationAttempt(channel, "skipped", refusal, null, now));
            events.Add(Event(r, NotificationEventTypes.Skipped, channel, null, $"{step}:skipped", now, new JsonObject { ["reason"] = refusal }));
        }

        await FinishAsync(r with { Step = r.Channels.Count }, RecipientStatus.Failed, null, "no channel delivered it", events, now, ct);
    }

    /// <summary>Why the channel cannot be used now (null: it can), with the customer's address on it.</summary>
    private async Task<(string? Address, string? Skip)> CheckAsync(Guid customerId, Channel channel, RecipientState r, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        string? address = null;
        var optedOut = false;
        // The channel's own identity; for a phone channel, else the customer's number on another phone channel.
        await using (var find = connection.Sql("""
            select address, opted_out, channel = $2 from customer_identities
            where customer_id = $1 and (channel = $2 or ($3 and channel = any($4)))
            order by channel = $2 desc, created_at limit 1
            """, customerId, channel.ToName(), channel.IsPhone(), new[] { "sms", "whatsapp", "voice" }))
        await using (var reader = await find.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct))
            {
                address = reader.GetString(0);
                optedOut = reader.GetBoolean(1) && reader.GetBoolean(2);
            }
        }

        // Email: the address an agent recorded on the customer's profile counts (the send makes it their identity).
        if (address is null && channel == Channel.Email)
            address = (await connection.Sql("select email from customers where id = $1", customerId).ExecuteScalarAsync(ct) as string)?.ToLowerInvariant();
        if (address is null) return (null, "no-identity");
        if (optedOut) return (address, "opted-out");
        if (NotificationOptions.IsQuietChannel(channel) && (r.QuietHours ?? _options.DefaultQuietHours) is { } quiet
            && quiet.Contains(TimeOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, ZoneOf(r)).DateTime)))
            return (address, "quiet-hours");
        if (!_senders.TryGetValue(channel, out var sender)) return (address, "channel-unavailable");
        var lastInbound = await Outbox.LastInboundAtAsync(connection, customerId, channel, ct);
        var refusal = sender.Check(new OutboundCheck(channel, AuthorKind.System, r.Content[channel].ToOutbound(), lastInbound, now));
        return (address, refusal?.Code);
    }

    private TimeZoneInfo ZoneOf(RecipientState r) =>
        TimeZoneInfo.TryFindSystemTimeZoneById(r.TimeZone ?? _options.DefaultTimeZone, out var zone) ? zone : TimeZoneInfo.Utc;

    /// <summary>A recipient named by address: the customer behind it, created when new.</summary>
    private async Task<Guid?> ResolveAddressAsync(RecipientState r, DateTimeOffset now, CancellationToken ct)
    {
        if (r.ToChannel is not { } channel || r.ToAddress is not { } address) return null;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var id = await customers.ResolveForInboundAsync(connection, channel, address, null, null, now, ct);
        await tx.CommitAsync(ct);
        return id;
    }

    /// <summary>The customer's open conversation on the channel, opened for this notification when there is none (on
    /// email always a new one: a notification is a thread of its own); a conversation it opens carries the
    /// notification as its context, so a reply is routed with it.</summary>
    private async Task<Guid> OpenConversationAsync(Guid customerId, Channel channel, string address, RecipientState r,
        DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var survivor = await CustomerStore.LockSurvivorAsync(connection, customerId, ct);
        // An address taken from the profile becomes the customer's identity, so the answer finds them (when it is
        // nobody else's already: then the answer lands with that customer, as any mail from that address would).
        if (channel == Channel.Email) await CustomerStore.ClaimIdentityAsync(connection, survivor, channel, address, now, ct);
        var (id, opened) = await ConversationStore.FindOrOpenAsync(connection, survivor, channel, address, null, now, ct);
        if (opened)
        {
            var content = r.Content[channel];
            var context = new JsonObject
            {
                ["trigger"] = "notification",
                ["reason"] = "The customer was sent a notification; a reply continues here.",
                ["channel"] = channel.ToName(),
                ["notification"] = new JsonObject
                {
                    ["id"] = r.NotificationId.ToString(),
                    ["text"] = content.Text,
                    ["template"] = content.Template?.ContentSid,
                    ["sentAt"] = now,
                },
            };
            await connection.Sql("update conversations set handoff = $2 where id = $1 and handoff is null", id, Db.Jsonb(context.ToJsonString()))
                .ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
        return id;
    }

    private void Amend(RecipientState r, string status, string? reason, DateTimeOffset now)
    {
        var last = r.Attempts.FindLastIndex(a => a.MessageId == r.MessageId);
        if (last >= 0) r.Attempts[last] = r.Attempts[last] with { Status = status, Reason = reason, At = now };
    }

    private async Task FinishAsync(RecipientState r, string status, Channel? channel, string? reason, List<NewTimelineEvent> events,
        DateTimeOffset now, CancellationToken ct)
    {
        if (r.CustomerId is not null && !(status == RecipientStatus.Cancelled && r.Attempts.Count == 0))
            events.Add(Event(r, NotificationEventTypes.Outcome, channel, status == RecipientStatus.Delivered ? r.ConversationId : null, "outcome", now,
                new JsonObject { ["status"] = status, ["reason"] = reason }));
        await store.SaveAsync(r with { Status = status, NextStepAt = null, FallbackAt = null }, events, ct);
        LogFinished(r.NotificationId, r.Id, status);
    }

    private static NewTimelineEvent Event(RecipientState r, string type, Channel? channel, Guid? conversationId, string key,
        DateTimeOffset now, JsonObject data)
    {
        data["notificationId"] = r.NotificationId.ToString();
        if (channel is { } c) data["channel"] = c.ToName();
        return new NewTimelineEvent
        {
            CustomerId = r.CustomerId!.Value,
            ConversationId = conversationId,
            Channel = channel,
            Type = type,
            Direction = Direction.Internal,
            OccurredAt = now,
            DedupeKey = $"notification:{r.Id}:{key}",
            Data = data,
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Notification {NotificationId} recipient {RecipientId}: {Status}")]
    private partial void LogFinished(Guid notificationId, Guid recipientId, string status);
}
