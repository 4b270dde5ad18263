using System.Diagnostics;
using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Customers;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Telemetry;
using ContactCenter.Core.Timeline;
using Hangfire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Core.Outbound;

public enum StatusUpdate { Advanced, Unchanged, NotFound }

/// <summary>
/// Delivers stored outbound messages (a Hangfire job per attempt), retries what the provider calls
/// temporary with backoff, fails at once what it calls permanent, and keeps every status change on the
/// timeline so no message is ever silently stuck.
/// </summary>
public sealed partial class OutboxDispatcher(
    NpgsqlDataSource db,
    IEnumerable<IChannelSender> senders,
    CustomerStore customers,
    TimelineStore timeline,
    IBackgroundJobClient jobs,
    TimeProvider clock,
    IOptions<OutboxOptions> options,
    ILogger<OutboxDispatcher> log)
{
    private readonly Dictionary<Channel, IChannelSender> _senders = Outbox.SendersByChannel(senders);
    private readonly OutboxOptions _options = options.Value;

    /// <summary>One delivery attempt. Safe to run twice: only a due, unclaimed message is claimed.</summary>
    [AutomaticRetry(Attempts = 3)]
    public async Task DispatchAsync(Guid messageId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        OutboundDelivery delivery;
        ConversationEndpoint endpoint;
        string? traceParent;
        bool optedOut;
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            // Scheduled retries may fire a moment early by another instance's clock: allow a second. The opt-out and
            // the customer's last message (messaging windows) come back with the claim: one round trip.
            await using var claim = connection.Sql("""
                update outbound_messages m set status = 'dispatching', attempts = attempts + 1, lease_until = $2, updated_at = $3
                where id = $1 and ((status = 'pending' and next_attempt_at <= $4) or (status = 'dispatching' and lease_until < $3))
                returning conversation_id, customer_id, channel, to_address, from_address, content, author_kind, attempts, text, created_at, trace_parent,
                    coalesce((select i.opted_out from customer_identities i where i.channel = m.channel and i.address = m.to_address), false),
                    (select e.occurred_at from timeline_events e
                     where e.customer_id = m.customer_id and e.channel = m.channel and e.direction = 'inbound' and e.type = 'message.received'
                     order by e.occurred_at desc limit 1)
                """, messageId, now + _options.DispatchLease, now, now + TimeSpan.FromSeconds(1));
            await using var reader = await claim.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return;
            var channel = ChannelNames.Parse(reader.GetString(2));
            endpoint = new ConversationEndpoint(reader.GetGuid(0), reader.GetGuid(1), channel, reader.GetString(3), reader.Nullable<string>(4), "");
            delivery = new OutboundDelivery(messageId, endpoint.ConversationId, channel, endpoint.CustomerAddress, endpoint.CompanyAddress,
                Outbox.ReadContent(reader.GetString(5), reader.Nullable<string>(8)), reader.GetString(6), reader.GetInt32(7),
                reader.NullableInstant(12), now, reader.Instant(9));
            traceParent = reader.Nullable<string>(10);
            optedOut = reader.GetBoolean(11);
        }

        if (optedOut)
        {
            await RecordStatusAsync(messageId, DeliveryStatus.Failed, "opted-out", "The customer opted out before the message was sent.", ct);
            CountFailure(endpoint.Channel, "opted-out");
            return;
        }

        // Every attempt (a retry too) is a child of the request or after-commit work that stored the message.
        using var activity = ContactCenterTelemetry.StartContinuing("outbound.send", traceParent, ActivityKind.Producer);
        activity?.SetTag("contactcenter.channel", delivery.Channel.ToName());
        activity?.SetTag("contactcenter.message.id", messageId);
        activity?.SetTag("contactcenter.attempt", delivery.Attempt);
        if (!_senders.TryGetValue(delivery.Channel, out var sender))
        {
            await RecordStatusAsync(messageId, DeliveryStatus.Failed, "channel-unavailable", $"No sender is configured for {delivery.Channel.ToName()}.", ct);
            CountFailure(delivery.Channel, "channel-unavailable");
            return;
        }

        SendOutcome outcome;
        try
        {
            outcome = await sender.SendAsync(delivery, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // A sender bug or an unexpected transport failure: logged with its stack, and retried like any
            // temporary failure rather than leaving the message claimed until its lease runs out.
            LogSenderThrew(e, messageId, delivery.Channel.ToName());
            activity.Fail(e);
            outcome = new SendOutcome.Transient(null, e.GetType().Name + ": " + e.Message);
        }

        activity?.SetTag("contactcenter.outcome", outcome.GetType().Name.ToLowerInvariant());
        if (outcome is not SendOutcome.Accepted) activity?.SetStatus(ActivityStatusCode.Error, outcome.GetType().Name);
        await ApplyAsync(delivery, outcome, ct);
    }

    private async Task ApplyAsync(OutboundDelivery delivery, SendOutcome outcome, CancellationToken ct)
    {
        var id = delivery.MessageId;
        switch (outcome)
        {
            case SendOutcome.Accepted accepted:
                // The provider's id with the status, in one transaction: a callback that names the id finds the message.
                await ChangeStatusAsync(id, accepted.Status, null, null, onlyFrom: null, ct, accepted.ProviderMessageId);
                LogSent(id, delivery.Channel.ToName(), delivery.Attempt);
                ContactCenterTelemetry.OutboundSends.Add(1, ContactCenterTelemetry.Tag("channel", delivery.Channel.ToName()));
                break;

            case SendOutcome.Transient transient when delivery.Attempt < _options.MaxAttempts:
                var delay = transient.RetryAfter ?? Backoff(delivery.Attempt);
                await using (var connection = await db.OpenConnectionAsync(ct))
                {
                    await connection.Sql("""
                        update outbound_messages set status = 'pending', next_attempt_at = $2, lease_until = null,
                               error_code = $3, error_message = $4, updated_at = $5
                        where id = $1 and status = 'dispatching'
                        """, id, clock.GetUtcNow() + delay, Db.Text(transient.ErrorCode), Truncate(transient.Error), clock.GetUtcNow())
                        .ExecuteNonQueryAsync(ct);
                }
                jobs.Schedule<OutboxDispatcher>(d => d.DispatchAsync(id, CancellationToken.None), delay);
                LogRetrying(id, delivery.Channel.ToName(), delivery.Attempt, transient.ErrorCode ?? "-", delay);
                ContactCenterTelemetry.OutboundRetries.Add(1, ContactCenterTelemetry.Tag("channel", delivery.Channel.ToName()),
                    ContactCenterTelemetry.Tag("error.code", transient.ErrorCode ?? "none"));
                break;

            case SendOutcome.Transient transient:
                await RecordStatusAsync(id, DeliveryStatus.Failed, transient.ErrorCode,
                    $"Gave up after {delivery.Attempt} attempts: {transient.Error}", ct);
                LogGaveUp(id, delivery.Channel.ToName(), delivery.Attempt, transient.ErrorCode ?? "-");
                CountFailure(delivery.Channel, transient.ErrorCode);
                break;

            case SendOutcome.Permanent permanent:
                // The opt-out first: whoever sees the message failed must already find the customer opted out.
                if (permanent.OptedOut)
                    await customers.SetOptOutAsync(delivery.Channel, delivery.To, true,
                        $"provider error {permanent.ErrorCode ?? "(none)"}", delivery.ConversationId, ct);
                await RecordStatusAsync(id, DeliveryStatus.Failed, permanent.ErrorCode, permanent.Error, ct);
                LogFailed(id, delivery.Channel.ToName(), permanent.ErrorCode ?? "-");
                CountFailure(delivery.Channel, permanent.ErrorCode);
                break;
        }
    }

    private static void CountFailure(Channel channel, string? errorCode) =>
        ContactCenterTelemetry.OutboundFailures.Add(1, ContactCenterTelemetry.Tag("channel", channel.ToName()),
            ContactCenterTelemetry.Tag("error.code", errorCode ?? "none"));

    private TimeSpan Backoff(int attempt)
    {
        // Exponential with full jitter in its upper half, so a provider outage is not hit in lockstep.
        var exponential = _options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 20));
        var capped = Math.Min(exponential, _options.RetryMaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped / 2 + Random.Shared.NextDouble() * capped / 2);
    }

    /// <summary>Moves a message's status forward (never back) and records each new status once on the timeline.</summary>
    public Task<StatusUpdate> RecordStatusAsync(Guid messageId, string status, string? errorCode, string? errorMessage, CancellationToken ct) =>
        ChangeStatusAsync(messageId, status, errorCode, errorMessage, onlyFrom: null, ct);

    /// <summary>
    /// Takes back a message that has not been handed to its provider: a pending one (not attempted yet, or waiting
    /// for a retry) becomes <c>canceled</c>, on the timeline, and is never sent. False when an attempt is in flight
    /// or it is out already. The row lock makes this and a dispatcher's claim exclude each other.
    /// </summary>
    public async Task<bool> RecallAsync(Guid messageId, string reason, CancellationToken ct) =>
        await ChangeStatusAsync(messageId, DeliveryStatus.Canceled, "recalled", reason, onlyFrom: DeliveryStatus.Pending, ct) == StatusUpdate.Advanced;

    /// <param name="providerMessageId">The provider's id of a send it just accepted: stored whatever the status does, and
    /// the errors of earlier attempts are cleared.</param>
    private async Task<StatusUpdate> ChangeStatusAsync(Guid messageId, string status, string? errorCode, string? errorMessage, string? onlyFrom,
        CancellationToken ct, string? providerMessageId = null)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // Customer first, then the message row: the order a merge takes its locks in.
        await using (var find = connection.Sql("select conversation_id from outbound_messages where id = $1", messageId))
        {
            if (await find.ExecuteScalarAsync(ct) is not Guid conversationId) return StatusUpdate.NotFound;
            if (await ConversationStore.LockForAppendAsync(connection, conversationId, ct) is null) return StatusUpdate.NotFound;
        }

        string current;
        Guid customerId, messageConversation;
        Channel channel;
        await using (var row = connection.Sql(
            "select status, customer_id, conversation_id, channel from outbound_messages where id = $1 for update", messageId))
        await using (var reader = await row.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            current = reader.GetString(0);
            customerId = reader.GetGuid(1);
            messageConversation = reader.GetGuid(2);
            channel = ChannelNames.Parse(reader.GetString(3));
        }

        var next = DeliveryStatus.Advance(current, status);
        var advances = next != current && (onlyFrom is null || current == onlyFrom);
        if (!advances && providerMessageId is null) return StatusUpdate.Unchanged;

        await connection.SqlNamed("""
            update outbound_messages
            set status = @status, lease_until = null, updated_at = @now,
                provider_message_id = coalesce(@provider, provider_message_id),
                error_code = case when @provider is not null then null else coalesce(@code, error_code) end,
                error_message = case when @provider is not null then null else coalesce(@error, error_message) end
            where id = @id
            """, ("id", messageId), ("status", advances ? next : current), ("code", Db.Text(errorCode)), ("error", Db.Text(Truncate(errorMessage))),
            ("provider", Db.Text(providerMessageId)), ("now", now)).ExecuteNonQueryAsync(ct);
        if (!advances)
        {
            await tx.CommitAsync(ct);
            return StatusUpdate.Unchanged;
        }

        if (DeliveryStatus.IsReported(next))
        {
            var data = new JsonObject { ["messageId"] = messageId.ToString(), ["status"] = next };
            if (errorCode is not null) data["errorCode"] = errorCode;
            if (errorMessage is not null) data["errorMessage"] = errorMessage;
            await timeline.AppendAsync(connection, new NewTimelineEvent
            {
                CustomerId = customerId,
                ConversationId = messageConversation,
                Channel = channel,
                Type = TimelineEventTypes.MessageStatus,
                Direction = Direction.Outbound,
                OccurredAt = now,
                DedupeKey = $"status:{messageId}:{next}",
                Data = data,
            }, now, ct);
        }

        await tx.CommitAsync(ct);
        return StatusUpdate.Advanced;
    }

    /// <summary>A status reported by provider message id (for callbacks that carry no id of ours).</summary>
    public async Task<StatusUpdate> RecordStatusByProviderIdAsync(
        Channel channel, string providerMessageId, string status, string? errorCode, string? errorMessage, CancellationToken ct)
    {
        Guid id;
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            await using var find = connection.Sql(
                "select id from outbound_messages where channel = $1 and provider_message_id = $2", channel.ToName(), providerMessageId);
            if (await find.ExecuteScalarAsync(ct) is not Guid found) return StatusUpdate.NotFound;
            id = found;
        }

        return await RecordStatusAsync(id, status, errorCode, errorMessage, ct);
    }

    /// <summary>
    /// Recurring: re-dispatches messages whose job was lost (a crash between commit and enqueue, or an
    /// attempt whose worker died mid-flight).
    /// </summary>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var stale = new List<Guid>();
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            await using var command = connection.Sql("""
                select id from outbound_messages
                where (status = 'pending' and next_attempt_at < $1) or (status = 'dispatching' and lease_until < $2)
                order by next_attempt_at limit 500
                """, now - TimeSpan.FromSeconds(30), now);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) stale.Add(reader.GetGuid(0));
        }

        foreach (var id in stale) jobs.Enqueue<OutboxDispatcher>(d => d.DispatchAsync(id, CancellationToken.None));
        if (stale.Count > 0) LogSwept(stale.Count);
        return stale.Count;
    }

    private static string? Truncate(string? text) => text is { Length: > 1000 } ? text[..1000] : text;

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbound {MessageId} accepted by {Channel} on attempt {Attempt}")]
    private partial void LogSent(Guid messageId, string channel, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbound {MessageId} on {Channel}: attempt {Attempt} failed temporarily ({ErrorCode}); retrying in {Delay}")]
    private partial void LogRetrying(Guid messageId, string channel, int attempt, string errorCode, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbound {MessageId} on {Channel}: gave up after {Attempt} attempts ({ErrorCode})")]
    private partial void LogGaveUp(Guid messageId, string channel, int attempt, string errorCode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbound {MessageId} on {Channel} failed permanently ({ErrorCode})")]
    private partial void LogFailed(Guid messageId, string channel, string errorCode);

    [LoggerMessage(Level = LogLevel.Error, Message = "The {Channel} sender threw while sending {MessageId}")]
    private partial void LogSenderThrew(Exception e, Guid messageId, string channel);

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox sweep re-dispatched {Count} messages")]
    private partial void LogSwept(int count);
}
