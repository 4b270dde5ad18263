using ContactCenter.Core.Storage;
using Npgsql;

namespace ContactCenter.Core.Webhooks;

/// <summary>A delivery as the log shows it (the receiver's body is never stored).</summary>
public sealed record WebhookDelivery(
    long Id,
    string WebhookId,
    Guid SubscriptionId,
    string EventType,
    string Status,
    int Attempts,
    int Replays,
    int? LastStatusCode,
    string? LastError,
    int? LastDurationMs,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastAttemptAt,
    DateTimeOffset? NextAttemptAt,
    DateTimeOffset? DeliveredAt);

/// <summary>A delivery claimed for one attempt.</summary>
public sealed record ClaimedDelivery(
    long Id, Guid SubscriptionId, string EventType, string Payload, DateTimeOffset CreatedAt, DateTimeOffset RetryingSince,
    int Attempt, string Url, byte[] Key)
{
    /// <summary>The Standard Webhooks <c>webhook-id</c>: one per delivery, the same on every retry and replay.</summary>
    public string WebhookId => WebhookDeliveries.WebhookIdOf(Id);
}

public static class WebhookDeliveryStatus
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Failed = "failed";
}

public enum ReplayResult { Replayed, NotFound, SubscriptionDisabled }

/// <summary>
/// The one writer of <c>webhook_deliveries</c> besides the fan-out triggers that insert them. A delivery is
/// claimable when it is due, not leased, its subscription is enabled, and no earlier delivery of the same
/// subscriber and conversation is still pending: that is what keeps one conversation's events in order.
/// </summary>
public sealed class WebhookDeliveries(NpgsqlDataSource db, TimeProvider clock)
{
    private const string Columns = """
        id, subscription_id, event_type, status, attempts, replays, last_status_code, last_error, last_duration_ms,
        created_at, last_attempt_at, next_attempt_at, delivered_at
        """;

    public static string WebhookIdOf(long id) => $"msg_{id}";

    public async Task<IReadOnlyList<ClaimedDelivery>> ClaimAsync(int limit, TimeSpan lease, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var claim = connection.Sql("""
            update webhook_deliveries d set lease_until = $1, attempts = d.attempts + 1, last_attempt_at = $2
            from webhook_subscriptions s
            where s.id = d.subscription_id and d.id in (
                select p.id from webhook_deliveries p
                where p.status = 'pending' and p.next_attempt_at <= $2 and (p.lease_until is null or p.lease_until < $2)
                  and exists (select 1 from webhook_subscriptions a where a.id = p.subscription_id and a.disabled_at is null)
                  and not exists (select 1 from webhook_deliveries e
                                  where e.subscription_id = p.subscription_id and e.ordering_key = p.ordering_key
                                    and e.status = 'pending' and e.id < p.id)
                order by p.next_attempt_at, p.id
                limit $3
                for update of p skip locked)
            returning d.id, d.subscription_id, d.event_type, d.payload::text, d.created_at, d.retrying_since, d.attempts, s.url, s.secret
            """, now + lease, now, limit);
        var claimed = new List<ClaimedDelivery>();
        await using var reader = await claim.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            claimed.Add(new ClaimedDelivery(reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3),
                reader.Instant(4), reader.Instant(5), reader.GetInt32(6), reader.GetString(7), reader.GetFieldValue<byte[]>(8)));
        return claimed;
    }

    internal async Task DeliveredAsync(ClaimedDelivery d, int statusCode, int durationMs, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.Sql("""
            update webhook_deliveries set status = 'delivered', delivered_at = $2, lease_until = null, last_status_code = $3,
                   last_error = null, last_duration_ms = $4
            where id = $1
            """, d.Id, now, statusCode, durationMs).ExecuteNonQueryAsync(ct);
        await WebhookSubscriptions.SucceededAsync(connection, d.SubscriptionId, ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>A failed attempt: retried at <paramref name="retryAt"/>, or final when that is null.</summary>
    /// <returns>Whether the subscription got disabled by it.</returns>
    internal async Task<bool> FailedAsync(ClaimedDelivery d, int? statusCode, string error, int durationMs, DateTimeOffset? retryAt,
        string? disableReason, TimeSpan disableAfter, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.Sql("""
            update webhook_deliveries set status = $2, next_attempt_at = coalesce($3, next_attempt_at), lease_until = null,
                   last_status_code = $4, last_error = $5, last_duration_ms = $6
            where id = $1
            """, d.Id, retryAt is null ? WebhookDeliveryStatus.Failed : WebhookDeliveryStatus.Pending, Db.Timestamp(retryAt),
            (object?)statusCode, error.Length > 500 ? error[..500] : error, durationMs).ExecuteNonQueryAsync(ct);
        bool disabled;
        if (disableReason is not null)
        {
            await WebhookSubscriptions.DisableAsync(connection, d.SubscriptionId, now, disableReason, ct);
            disabled = true;
        }
        else
        {
            disabled = await WebhookSubscriptions.FailedAsync(connection, d.SubscriptionId, now, disableAfter, ct);
        }

        await tx.CommitAsync(ct);
        return disabled;
    }

    /// <summary>The attempt was cut short by shutdown: let any instance take it again at once.</summary>
    internal async Task ReleaseAsync(long id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.Sql("update webhook_deliveries set lease_until = null where id = $1 and status = 'pending'", id).ExecuteNonQueryAsync(ct);
    }

    public async Task<IReadOnlyList<WebhookDelivery>> ListAsync(Guid subscriptionId, long? before, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql($"""
            select {Columns} from webhook_deliveries
            where subscription_id = $1 and ($2::bigint is null or id < $2)
            order by id desc limit $3
            """, subscriptionId, (object?)before ?? DBNull.Value, limit);
        var list = new List<WebhookDelivery>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) list.Add(Read(reader));
        return list;
    }

    public async Task<WebhookDelivery?> GetAsync(long id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql($"select {Columns} from webhook_deliveries where id = $1", id);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    /// <summary>
    /// After a subscription is enabled again: its deliveries still pending (held back while it was disabled) are due
    /// now and retried afresh for RetryFor, in their order.
    /// </summary>
    public async Task<int> ResumeAsync(Guid subscriptionId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var resumed = await connection.Sql("""
            update webhook_deliveries set next_attempt_at = $2, retrying_since = $2, lease_until = null
            where subscription_id = $1 and status = 'pending'
            """, subscriptionId, now).ExecuteNonQueryAsync(ct);
        await connection.Sql("select pg_notify('cc_webhooks', '')").ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
        return resumed;
    }

    /// <summary>Sends the delivery again (same webhook-id, so receivers can tell), retried afresh for RetryFor.</summary>
    public async Task<ReplayResult> ReplayAsync(long id, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var find = connection.Sql("""
            select s.disabled_at is not null from webhook_deliveries d join webhook_subscriptions s on s.id = d.subscription_id
            where d.id = $1 for update of d
            """, id))
        {
            var disabled = await find.ExecuteScalarAsync(ct);
            if (disabled is null) return ReplayResult.NotFound;
            if (disabled is true) return ReplayResult.SubscriptionDisabled;
        }

        await connection.Sql("""
            update webhook_deliveries set status = 'pending', next_attempt_at = $2, retrying_since = $2, lease_until = null,
                   replays = replays + 1, delivered_at = null
            where id = $1
            """, id, now).ExecuteNonQueryAsync(ct);
        await connection.Sql("select pg_notify('cc_webhooks', '')").ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
        return ReplayResult.Replayed;
    }

    private static WebhookDelivery Read(NpgsqlDataReader reader)
    {
        var status = reader.GetString(3);
        return new WebhookDelivery(
            reader.GetInt64(0),
            WebhookIdOf(reader.GetInt64(0)),
            reader.GetGuid(1),
            reader.GetString(2),
            status,
            reader.GetInt32(4),
            reader.GetInt32(5),
            reader.Nullable<int?>(6),
            reader.Nullable<string>(7),
            reader.Nullable<int?>(8),
            reader.Instant(9),
            reader.NullableInstant(10),
            status == WebhookDeliveryStatus.Pending ? reader.Instant(11) : null,
            reader.NullableInstant(12));
    }
}
