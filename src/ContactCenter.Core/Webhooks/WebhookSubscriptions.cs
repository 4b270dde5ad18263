using ContactCenter.Core.Storage;
using Npgsql;

namespace ContactCenter.Core.Webhooks;

public sealed record WebhookSubscription(
    Guid Id,
    string Url,
    IReadOnlyList<string> Events,
    IReadOnlyList<string>? Queues,
    IReadOnlyList<string>? Channels,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FailingSince,
    DateTimeOffset? DisabledAt,
    string? DisabledReason);

public sealed record NewWebhookSubscription(string Url, IReadOnlyList<string> Events, IReadOnlyList<string>? Queues, IReadOnlyList<string>? Channels);

/// <summary>The one writer of <c>webhook_subscriptions</c>.</summary>
public sealed class WebhookSubscriptions(NpgsqlDataSource db, TimeProvider clock)
{
    private const string Columns = "id, url, events, queues, channels, created_by, created_at, failing_since, disabled_at, disabled_reason";

    /// <summary>Stores the subscription; returns it with its secret, which is never shown again.</summary>
    public async Task<(WebhookSubscription Subscription, string Secret)> CreateAsync(NewWebhookSubscription request, string actor, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var key = WebhookSignature.NewKey();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var insert = connection.Sql($"""
            insert into webhook_subscriptions (id, url, secret, events, queues, channels, created_by, created_at)
            values ($1, $2, $3, $4, $5, $6, $7, $8)
            returning {Columns}
            """, Guid.CreateVersion7(now), request.Url, key, request.Events.Distinct().ToArray(),
            (object?)request.Queues?.ToArray(), (object?)request.Channels?.ToArray(), actor, now);
        await using var reader = await insert.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (Read(reader), WebhookSignature.EncodeSecret(key));
    }

    public async Task<IReadOnlyList<WebhookSubscription>> ListAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql($"select {Columns} from webhook_subscriptions order by created_at, id");
        var list = new List<WebhookSubscription>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) list.Add(Read(reader));
        return list;
    }

    public async Task<WebhookSubscription?> GetAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql($"select {Columns} from webhook_subscriptions where id = $1", id);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    /// <summary>Deletes the subscription with its delivery log; nothing more is sent to it.</summary>
    public async Task<bool> DeleteAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.Sql("delete from webhook_subscriptions where id = $1", id).ExecuteNonQueryAsync(ct) > 0;
    }

    /// <summary>
    /// Lets a disabled subscription receive events again (an operator fixed the receiver): the disable and the failure
    /// count are cleared. Events that happened while it was disabled were not kept for it.
    /// </summary>
    /// <returns>The subscription as it is now; null when there is none.</returns>
    public async Task<WebhookSubscription?> EnableAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql($"""
            update webhook_subscriptions set disabled_at = null, disabled_reason = null, failing_since = null
            where id = $1
            returning {Columns}
            """, id);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    internal static async Task SucceededAsync(NpgsqlConnection connection, Guid id, CancellationToken ct) =>
        await connection.Sql("update webhook_subscriptions set failing_since = null where id = $1 and failing_since is not null", id)
            .ExecuteNonQueryAsync(ct);

    /// <summary>Counts a failure; disables the subscription once it has failed for <paramref name="disableAfter"/>.</summary>
    /// <returns>Whether this failure disabled it.</returns>
    internal static async Task<bool> FailedAsync(NpgsqlConnection connection, Guid id, DateTimeOffset now, TimeSpan disableAfter, CancellationToken ct)
    {
        await using var command = connection.Sql("""
            update webhook_subscriptions
            set failing_since = coalesce(failing_since, $2),
                disabled_at = case when coalesce(failing_since, $2) <= $3 then $2 end,
                disabled_reason = case when coalesce(failing_since, $2) <= $3 then $4 end
            where id = $1 and disabled_at is null
            returning disabled_at is not null
            """, id, now, now - disableAfter, $"Every delivery failed for {disableAfter} (Webhooks:DisableAfter).");
        return await command.ExecuteScalarAsync(ct) is true;
    }

    internal static async Task DisableAsync(NpgsqlConnection connection, Guid id, DateTimeOffset now, string reason, CancellationToken ct) =>
        await connection.Sql("update webhook_subscriptions set disabled_at = $2, disabled_reason = $3 where id = $1 and disabled_at is null",
            id, now, reason).ExecuteNonQueryAsync(ct);

    private static WebhookSubscription Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetString(1),
        reader.GetFieldValue<string[]>(2),
        reader.Nullable<string[]>(3),
        reader.Nullable<string[]>(4),
        reader.GetString(5),
        reader.Instant(6),
        reader.NullableInstant(7),
        reader.NullableInstant(8),
        reader.Nullable<string>(9));
}
