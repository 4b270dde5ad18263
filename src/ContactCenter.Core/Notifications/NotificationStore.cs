using System.Text.Json;
using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Customers;
using ContactCenter.Core.Outbound;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Timeline;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Core.Notifications;

/// <summary>A recipient with its notification, as a step sees it.</summary>
public sealed record RecipientState
{
    public required Guid Id { get; init; }
    public required Guid NotificationId { get; init; }
    public required IReadOnlyList<Channel> Channels { get; init; }
    public required IReadOnlyDictionary<Channel, NotificationContent> Content { get; init; }
    public required TimeSpan FallbackAfter { get; init; }
    public QuietHours? QuietHours { get; init; }
    public DateTimeOffset? CancelledAt { get; init; }
    public Guid? CustomerId { get; init; }
    public Channel? ToChannel { get; init; }
    public string? ToAddress { get; init; }
    public string? TimeZone { get; init; }
    public required string Status { get; init; }
    public int Step { get; init; }
    public Guid? MessageId { get; init; }
    public Guid? ConversationId { get; init; }
    public DateTimeOffset? FallbackAt { get; init; }
    public int? PacedStep { get; init; }
    public DateTimeOffset? PacedAt { get; init; }
    public DateTimeOffset? NextStepAt { get; init; }
    public required List<NotificationAttempt> Attempts { get; init; }
}

/// <summary>The one writer of <c>notifications</c>, <c>notification_recipients</c> and <c>notification_pacing</c>.</summary>
public sealed class NotificationStore(NpgsqlDataSource db, TimelineStore timeline, TimeProvider clock, IOptions<NotificationOptions> options)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<CreateOutcome> CreateAsync(NewNotification request, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var id = Guid.CreateVersion7(now);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var customerIds = request.Recipients.Select(r => r.CustomerId).ToArray();
        var known = customerIds.Where(c => c is not null).Select(c => c!.Value).Distinct().ToArray();
        if (known.Length > 0)
        {
            var found = new HashSet<Guid>();
            await using (var check = connection.Sql("select id from customers where id = any($1)", known))
            await using (var reader = await check.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct)) found.Add(reader.GetGuid(0));
            }

            var missing = Array.FindIndex(customerIds, c => c is { } g && !found.Contains(g));
            if (missing >= 0) return new CreateOutcome.UnknownCustomer(missing);
        }

        var content = new JsonObject();
        foreach (var (channel, c) in request.Content) content[channel.ToName()] = JsonSerializer.SerializeToNode(c, Json);
        await using (var insert = new NpgsqlCommand("""
            insert into notifications (id, idempotency_key, request_hash, channels, content, fallback_after, quiet_hours, total, created_by, created_at)
            values (@id, @key, @hash, @channels, @content, @fallback, @quiet, @total, @actor, @now)
            on conflict (idempotency_key) do nothing
            """, connection))
        {
            insert.Parameters.AddWithValue("id", id);
            insert.Parameters.Add(Named("key", Db.Text(request.IdempotencyKey)));
            insert.Parameters.AddWithValue("hash", request.RequestHash);
            insert.Parameters.AddWithValue("channels", request.Channels.Select(c => c.ToName()).ToArray());
            insert.Parameters.Add(Named("content", Db.Jsonb(content.ToJsonString())));
            insert.Parameters.AddWithValue("fallback", request.FallbackAfter);
            insert.Parameters.Add(Named("quiet", Db.Jsonb(request.QuietHours is { } q
                ? new JsonObject { ["start"] = q.Start.ToString("HH:mm"), ["end"] = q.End.ToString("HH:mm") }.ToJsonString() : null)));
            insert.Parameters.AddWithValue("total", request.Recipients.Count);
            insert.Parameters.AddWithValue("actor", request.Actor);
            insert.Parameters.AddWithValue("now", now);
            if (await insert.ExecuteNonQueryAsync(ct) == 0)
            {
                await tx.RollbackAsync(ct);
                await using var existing = connection.Sql("select id, request_hash from notifications where idempotency_key = $1", request.IdempotencyKey!);
                await using var reader = await existing.ExecuteReaderAsync(ct);
                await reader.ReadAsync(ct);
                return reader.GetString(1) == request.RequestHash ? new CreateOutcome.Existing(reader.GetGuid(0)) : new CreateOutcome.KeyReused(reader.GetGuid(0));
            }
        }

        // One statement for the whole batch (up to 10,000 rows). First steps are spread at the first channel's
        // rate, so a big batch does not fill the work queue with steps that could only reserve far-off send slots.
        var n = request.Recipients.Count;
        var spacing = options.Value.Interval(request.Channels[0]);
        await using (var recipients = new NpgsqlCommand("""
            insert into notification_recipients (id, notification_id, position, customer_id, to_channel, to_address, time_zone, status, next_step_at, updated_at)
            select r.id, @notification, r.position, r.customer_id, r.to_channel, r.to_address, r.time_zone, 'pending',
                   @now + r.position * @spacing, @now
            from unnest(@ids, @positions, @customers, @channels, @addresses, @zones) as r (id, position, customer_id, to_channel, to_address, time_zone)
            """, connection))
        {
            recipients.Parameters.AddWithValue("notification", id);
            recipients.Parameters.AddWithValue("now", now);
            recipients.Parameters.AddWithValue("spacing", spacing);
            recipients.Parameters.AddWithValue("ids", Enumerable.Range(0, n).Select(_ => Guid.CreateVersion7(now)).ToArray());
            recipients.Parameters.AddWithValue("positions", Enumerable.Range(0, n).ToArray());
            recipients.Parameters.AddWithValue("customers", request.Recipients.Select(r => r.CustomerId).ToArray());
            recipients.Parameters.AddWithValue("channels", request.Recipients.Select(r => r.ToChannel?.ToName()).ToArray());
            recipients.Parameters.AddWithValue("addresses", request.Recipients.Select(r => r.ToAddress).ToArray());
            recipients.Parameters.AddWithValue("zones", request.Recipients.Select(r => r.TimeZone).ToArray());
            await recipients.ExecuteNonQueryAsync(ct);
        }

        await connection.Sql("select pg_notify('cc_notifications', '')").ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
        return new CreateOutcome.Created(id);
    }

    private static NpgsqlParameter Named(string name, NpgsqlParameter p)
    {
        p.ParameterName = name;
        return p;
    }

    public async Task<NotificationView?> GetAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql("""
            select n.channels, n.total, n.created_at, n.cancelled_at,
                   count(*) filter (where r.status = 'pending'), count(*) filter (where r.status = 'sending'),
                   count(*) filter (where r.status = 'delivered'), count(*) filter (where r.status = 'failed'),
                   count(*) filter (where r.status = 'cancelled'),
                   (array_agg(r.attempts::text))[1], (array_agg(r.customer_id))[1], (array_agg(r.conversation_id))[1], (array_agg(r.status))[1]
            from notifications n join notification_recipients r on r.notification_id = n.id
            where n.id = $1
            group by n.id
            """, id);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        var total = reader.GetInt32(1);
        var progress = new NotificationProgress(total, (int)reader.GetInt64(4), (int)reader.GetInt64(5), (int)reader.GetInt64(6),
            (int)reader.GetInt64(7), (int)reader.GetInt64(8));
        var cancelled = reader.NullableInstant(3);
        var single = total == 1;
        var unfinished = progress.Pending + progress.Sending > 0;
        var status = single ? reader.GetString(12)
            : unfinished ? (cancelled is null ? "sending" : "cancelling")
            : cancelled is null ? "completed" : RecipientStatus.Cancelled;
        return new NotificationView(id, status, reader.GetFieldValue<string[]>(0).Select(ChannelNames.Parse).ToList(), progress,
            single ? ReadAttempts(reader.GetString(9)) : null,
            single ? reader.Nullable<Guid?>(10) : null, single ? reader.Nullable<Guid?>(11) : null,
            reader.Instant(2), cancelled);
    }

    /// <summary>Stops the walk of every recipient (<see cref="NotificationCancellation"/> also recalls what waits in the outbox).</summary>
    internal async Task<bool> CancelAsync(Guid id, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (await connection.Sql("update notifications set cancelled_at = coalesce(cancelled_at, $2) where id = $1", id, now).ExecuteNonQueryAsync(ct) == 0)
            return false;
        // Not yet started and not being worked on: cancelled at once (nothing of theirs is on any timeline).
        await connection.Sql("""
            update notification_recipients set status = 'cancelled', next_step_at = null, updated_at = $2
            where notification_id = $1 and status = 'pending' and attempts = '[]'::jsonb and (lease_until is null or lease_until < $2)
            """, id, now).ExecuteNonQueryAsync(ct);
        // The rest are looked at soon: a watched message ends the walk there.
        await connection.Sql("""
            update notification_recipients set next_step_at = $2
            where notification_id = $1 and status in ('pending', 'sending')
            """, id, now).ExecuteNonQueryAsync(ct);
        await connection.Sql("select pg_notify('cc_notifications', '')").ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
        return true;
    }

    internal async Task<bool> IsCancelledAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.Sql("select cancelled_at is not null from notifications where id = $1", id).ExecuteScalarAsync(ct) is true;
    }

    /// <summary>The notification's messages still waiting in the outbox (not handed to a provider yet).</summary>
    internal async Task<IReadOnlyList<Guid>> PendingMessagesAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        // The outbox's author names the notification (NotificationStepper), which also finds a message accepted by a
        // step that raced the cancel and has not recorded it on its recipient yet.
        await using var command = connection.Sql(
            "select id from outbound_messages where author = $1 and status = 'pending'", $"notification:{id}");
        var ids = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) ids.Add(reader.GetGuid(0));
        return ids;
    }

    /// <summary>Leases due recipients to this worker.</summary>
    internal async Task<IReadOnlyList<Guid>> ClaimAsync(int limit, TimeSpan lease, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var claim = connection.Sql("""
            update notification_recipients r set lease_until = $1
            where r.id in (
                select id from notification_recipients
                where next_step_at <= $2 and (lease_until is null or lease_until < $2)
                order by next_step_at, position
                limit $3
                for update skip locked)
            returning r.id
            """, now + lease, now, limit);
        var ids = new List<Guid>();
        await using var reader = await claim.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) ids.Add(reader.GetGuid(0));
        return ids;
    }

    internal async Task<RecipientState?> LoadAsync(Guid recipientId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql("""
            select r.notification_id, n.channels, n.content::text, n.fallback_after, n.quiet_hours::text, n.cancelled_at,
                   r.customer_id, r.to_channel, r.to_address, r.time_zone, r.status, r.step, r.message_id, r.conversation_id,
                   r.fallback_at, r.paced_step, r.paced_at, r.attempts::text, r.next_step_at
            from notification_recipients r join notifications n on n.id = r.notification_id
            where r.id = $1
            """, recipientId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        var content = new Dictionary<Channel, NotificationContent>();
        foreach (var (name, node) in JsonNode.Parse(reader.GetString(2))!.AsObject())
            content[ChannelNames.Parse(name)] = node.Deserialize<NotificationContent>(Json)!;
        QuietHours? quiet = null;
        if (reader.Nullable<string>(4) is { } q && JsonNode.Parse(q) is { } qn)
            quiet = new QuietHours(TimeOnly.Parse(qn["start"]!.GetValue<string>()), TimeOnly.Parse(qn["end"]!.GetValue<string>()));
        return new RecipientState
        {
            Id = recipientId,
            NotificationId = reader.GetGuid(0),
            Channels = reader.GetFieldValue<string[]>(1).Select(ChannelNames.Parse).ToList(),
            Content = content,
            FallbackAfter = reader.GetFieldValue<TimeSpan>(3),
            QuietHours = quiet,
            CancelledAt = reader.NullableInstant(5),
            CustomerId = reader.Nullable<Guid?>(6),
            ToChannel = reader.IsDBNull(7) ? null : ChannelNames.Parse(reader.GetString(7)),
            ToAddress = reader.Nullable<string>(8),
            TimeZone = reader.Nullable<string>(9),
            Status = reader.GetString(10),
            Step = reader.GetInt32(11),
            MessageId = reader.Nullable<Guid?>(12),
            ConversationId = reader.Nullable<Guid?>(13),
            FallbackAt = reader.NullableInstant(14),
            PacedStep = reader.Nullable<int?>(15),
            PacedAt = reader.NullableInstant(16),
            Attempts = ReadAttempts(reader.GetString(17)),
            NextStepAt = reader.NullableInstant(18),
        };
    }

    /// <summary>
    /// Writes a step's result and its timeline entries in one transaction (customer locked first, as every
    /// timeline write does), and lets go of the lease.
    /// </summary>
    internal async Task SaveAsync(RecipientState state, IReadOnlyList<NewTimelineEvent> events, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        Guid? survivor = state.CustomerId is { } customer ? await CustomerStore.LockSurvivorAsync(connection, customer, ct) : null;
        // A cancel that came in while this step ran must be looked at now, not when the step meant to come back. The
        // share lock orders this save and a cancel (which updates the notification row first): a cancel in flight is
        // waited for and seen; a later one finds this save committed and sets the recipient's next step itself. A plain
        // subquery could read the notification from before a cancel this update waited for, and sleep until the fallback.
        var cancelled = await connection.Sql("select cancelled_at is not null from notifications where id = $1 for share", state.NotificationId)
            .ExecuteScalarAsync(ct) is true;
        await using (var update = new NpgsqlCommand("""
            update notification_recipients
            set customer_id = @customer, status = @status, step = @step, message_id = @message, conversation_id = @conversation,
                fallback_at = @fallback, paced_step = @pacedStep, paced_at = @pacedAt, lease_until = null,
                next_step_at = case when @status in ('pending', 'sending') and @cancelled then @now else @next end,
                attempts = @attempts, updated_at = @now
            where id = @id
            """, connection))
        {
            update.Parameters.AddWithValue("id", state.Id);
            update.Parameters.Add(Named("customer", Db.Uuid(survivor)));
            update.Parameters.AddWithValue("status", state.Status);
            update.Parameters.AddWithValue("step", state.Step);
            update.Parameters.Add(Named("message", Db.Uuid(state.MessageId)));
            update.Parameters.Add(Named("conversation", Db.Uuid(state.ConversationId)));
            update.Parameters.Add(Named("fallback", Db.Timestamp(state.FallbackAt)));
            update.Parameters.Add(Named("pacedStep", new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer, Value = (object?)state.PacedStep ?? DBNull.Value }));
            update.Parameters.Add(Named("pacedAt", Db.Timestamp(state.PacedAt)));
            update.Parameters.Add(Named("next", Db.Timestamp(state.NextStepAt)));
            update.Parameters.Add(Named("attempts", Db.Jsonb(JsonSerializer.Serialize(state.Attempts, Json))));
            update.Parameters.AddWithValue("now", now);
            update.Parameters.AddWithValue("cancelled", cancelled);
            await update.ExecuteNonQueryAsync(ct);
        }

        foreach (var e in events) await timeline.AppendAsync(connection, e with { CustomerId = survivor ?? e.CustomerId }, now, ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>Lets go of a lease without changing anything (the step could not run).</summary>
    internal async Task ReleaseAsync(Guid recipientId, DateTimeOffset? retryAt, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.Sql("update notification_recipients set lease_until = null, next_step_at = coalesce($2, next_step_at) where id = $1",
            recipientId, Db.Timestamp(retryAt)).ExecuteNonQueryAsync(ct);
    }

    /// <summary>The next send slot on the channel under its rate limit (shared by every instance).</summary>
    internal async Task<DateTimeOffset> ReserveSlotAsync(Channel channel, TimeSpan interval, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql("""
            insert into notification_pacing as p (channel, next_slot) values ($1, $2 + $3)
            on conflict (channel) do update set next_slot = greatest(p.next_slot, $2) + $3
            returning next_slot - $3
            """, channel.ToName(), now, interval);
        return new DateTimeOffset((DateTime)(await command.ExecuteScalarAsync(ct))!, TimeSpan.Zero);
    }

    /// <summary>Wakes the recipient watching this outbound message (its status changed). Static: the reaction
    /// calling it is built before this store (the timeline store needs the reactions).</summary>
    internal static async Task WakeForMessageAsync(NpgsqlDataSource db, Guid messageId, DateTimeOffset now, CancellationToken ct)
    {
        // One statement (no transaction round trips): every message's status change runs this, few are notifications'.
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.Sql("""
            with woken as (update notification_recipients set next_step_at = $2 where message_id = $1 and status = 'sending' returning 1)
            select pg_notify('cc_notifications', '') where exists (select 1 from woken)
            """, messageId, now).ExecuteNonQueryAsync(ct);
    }

    private static List<NotificationAttempt> ReadAttempts(string json) =>
        JsonSerializer.Deserialize<List<NotificationAttempt>>(json, Json) ?? [];
}
