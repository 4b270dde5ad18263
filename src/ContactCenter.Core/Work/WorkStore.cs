using System.Text.Json.Nodes;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Telemetry;
using ContactCenter.Core.Timeline;
using Npgsql;

namespace ContactCenter.Core.Work;

/// <summary>
/// The one writer of <c>work_items</c>. Claims take the head item of each ordering key only (no earlier item
/// of the key pending, none running), with <c>FOR UPDATE SKIP LOCKED</c>, so any number of workers in any
/// number of instances never run two items of one key at once, nor a later one before an earlier one.
/// </summary>
public sealed class WorkStore(NpgsqlDataSource db, TimeProvider clock)
{
    private const string Columns = "id, kind, ordering_key, attempts, conversation_id, event_id, payload::text, due_at, trace_parent";

    /// <summary>
    /// SQL that adds the <c>event</c> work of the timeline rows in <paramref name="source"/> (a CTE returning
    /// id, customer_id, conversation_id, type, occurred_at), for statements that insert events in one round trip.
    /// One conversation's events are one key; an event without a conversation is keyed by its customer.
    /// <paramref name="traceParent"/> is the SQL of the writer's W3C traceparent (the work continues its trace).
    /// </summary>
    public static string EventWorkSql(string source, string now, string traceParent = "null") => $"""
        insert into work_items (kind, ordering_key, order_at, due_at, conversation_id, event_id, queue_barrier, created_at, trace_parent)
        select '{EventWork.Kind}', coalesce(s.conversation_id::text, 'customer:' || s.customer_id::text), {now}, {now},
               s.conversation_id, s.id,
               case when s.type = '{TimelineEventTypes.MessageReceived}' and s.conversation_id is not null then s.occurred_at end, {now},
               {traceParent}
        from {source} s order by s.id
        """;

    /// <summary>Adds work inside the caller's transaction (it becomes visible, and wakes workers, on commit).</summary>
    public async Task AddAsync(NpgsqlConnection connection, IReadOnlyCollection<NewWork> work, CancellationToken ct)
    {
        if (work.Count == 0) return;
        var now = clock.GetUtcNow();
        await using var command = connection.SqlNamed("""
            insert into work_items (kind, ordering_key, order_at, due_at, conversation_id, payload, created_at, trace_parent)
            select w.kind, w.ordering_key, greatest(w.due_at, @now), greatest(w.due_at, @now), w.conversation_id, w.payload, @now, @trace
            from unnest(@kinds::text[], @keys::text[], @due::timestamptz[], @conversations::uuid[], @payloads::jsonb[])
                 with ordinality as w(kind, ordering_key, due_at, conversation_id, payload, n)
            order by w.n
            """,
            ("now", now),
            ("trace", Db.Text(ContactCenterTelemetry.CurrentTraceParent())),
            ("kinds", work.Select(w => w.Kind).ToArray()),
            ("keys", work.Select(w => w.OrderingKey).ToArray()),
            ("due", work.Select(w => (w.DueAt ?? now).UtcDateTime).ToArray()),
            ("conversations", work.Select(w => w.ConversationId).ToArray()),
            ("payloads", work.Select(w => (w.Payload ?? new JsonObject()).ToJsonString()).ToArray()));
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task AddAsync(IReadOnlyCollection<NewWork> work, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await AddAsync(connection, work, ct);
    }

    /// <summary>
    /// Claims the due head items of up to <paramref name="keys"/> ordering keys for <paramref name="owner"/>, each with
    /// the due items right behind it in its key (at most <paramref name="perKey"/> items of a key in all, stopping at
    /// the first one not due yet), one round trip for them all. The items of a key come back in their order and run
    /// one after the other (<see cref="WorkPipeline"/>); an <c>event</c> item carries its timeline event, read here.
    /// <paramref name="loop"/>: the worker's own connection (its statements stay prepared there); null: one from the pool.
    /// </summary>
    public async Task<List<WorkItem>> ClaimAsync(string owner, int keys, int perKey, TimeSpan lease, CancellationToken ct, NpgsqlConnection? loop = null)
    {
        var now = clock.GetUtcNow();
        await using var pooled = loop is null ? await db.OpenConnectionAsync(ct) : null;
        var connection = loop ?? pooled!;
        // No one else can take the items behind a head: while the head is pending (locked here) or running, none
        // of them is a head (see the not exists). The statement is prepared on the worker's connection: the id array
        // and the fenced lateral keep its generic plan on indexes (a plan for "any number of rows" hash-joined a
        // sequential scan of work_items and of timeline_events). PostgreSQL still planned it afresh on nine calls in ten
        // (its estimate of the generic plan is high), 0.6 ms each, more than running it: the transaction asks for the
        // generic plan, measured as good (docs/pipeline.md), without changing the setting for the pooled connection.
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.Sql("set local plan_cache_mode = force_generic_plan").ExecuteNonQueryAsync(ct);
        await using var command = connection.SqlNamed($"""
            with heads as (
                select c.id, c.ordering_key, c.order_at from work_items c
                where c.status = 'pending' and c.due_at <= @now
                  and not exists (
                      select 1 from work_items e
                      where e.ordering_key = c.ordering_key and e.status <> 'parked' and e.id <> c.id
                        and (e.status = 'running' or (e.order_at, e.id) < (c.order_at, c.id)))
                order by c.due_at, c.id
                limit @keys
                for update skip locked),
            batch as (
                select h.id as head, 0::bigint as n, h.id from heads h
                union all
                select h.id, f.n, f.id from heads h
                cross join lateral (
                    select r.id, r.n from (
                        select w.id, row_number() over (order by w.order_at, w.id) as n,
                               bool_and(w.due_at <= @now) over (order by w.order_at, w.id) as due
                        from (select w.id, w.order_at, w.due_at from work_items w
                              where w.ordering_key = h.ordering_key and w.status <> 'parked' and w.status = 'pending'
                                and (w.order_at, w.id) > (h.order_at, h.id)
                              order by w.order_at, w.id
                              limit @more) w) r
                    where r.due) f),
            claimed as (
                update work_items w set status = 'running', attempts = w.attempts + 1, lease_owner = @owner, lease_until = @lease
                from batch b
                where w.id = any(array(select id from batch)) and w.id = b.id and w.status = 'pending'
                returning {Prefixed("w", Columns)}, b.head, b.n)
            select {Prefixed("c", Columns)}, {Prefixed("e", TimelineStore.Columns)}
            from claimed c
            left join lateral (select * from timeline_events e where e.id = c.event_id offset 0) e on true
            order by c.head, c.n
            """, ("owner", owner), ("lease", now + lease), ("now", now), ("keys", keys), ("more", Math.Max(0, perKey - 1)));
        var items = new List<WorkItem>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) items.Add(Read(reader) with { Event = reader.IsDBNull(9) ? null : TimelineStore.Read(reader, 9) });
        }

        await tx.CommitAsync(ct);
        return items;
    }

    /// <summary>Keeps this instance's running items its own; a dead instance's leases run out in seconds.</summary>
    public async Task RenewLeasesAsync(string owner, TimeSpan lease, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.Sql("update work_items set lease_until = $2 where status = 'running' and lease_owner = $1",
            owner, clock.GetUtcNow() + lease).ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Running items whose owner stopped renewing (a crash, kill -9) become pending again. The caller's own items
    /// are never taken back: it is alive and still running them (a late heartbeat must not start a second run).
    /// </summary>
    public async Task<int> ReclaimExpiredAsync(string owner, CancellationToken ct, NpgsqlConnection? loop = null)
    {
        await using var pooled = loop is null ? await db.OpenConnectionAsync(ct) : null;
        var connection = loop ?? pooled!;
        return await connection.Sql("""
            update work_items set status = 'pending', lease_owner = null, lease_until = null
            where status = 'running' and lease_until < $1 and lease_owner is distinct from $2
            """, clock.GetUtcNow(), owner).ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Done: the rows go and their follow-ups come, in one transaction. Returns the items this owner still held and
    /// so completed; an item whose lease was lost meanwhile (another run owns it) is left alone, its follow-ups unwritten.
    /// </summary>
    public async Task<HashSet<long>> CompleteAsync(
        IReadOnlyList<(WorkItem Item, IReadOnlyList<NewWork> FollowUps)> done, string owner, CancellationToken ct)
    {
        var completed = new HashSet<long>();
        if (done.Count == 0) return completed;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var heldQueue = false;
        await using (var delete = connection.Sql(
            "delete from work_items where id = any($1) and lease_owner = $2 and status = 'running' returning id, queue_barrier is not null",
            done.Select(d => d.Item.Id).ToArray(), owner))
        await using (var reader = await delete.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                completed.Add(reader.GetInt64(0));
                heldQueue |= reader.GetBoolean(1);
            }
        }

        var followUps = done.Where(d => completed.Contains(d.Item.Id)).SelectMany(d => d.FollowUps).ToList();
        await AddAsync(connection, followUps, ct);
        // Assignment held back later conversations while these items might still queue one: let it look again.
        if (heldQueue) await connection.Sql("select pg_notify('cc_routing', '')").ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
        return completed;
    }

    /// <summary>A failed run: tried again at <paramref name="retryAt"/>, or parked (kept, listed for admins).</summary>
    public async Task FailAsync(WorkItem item, string owner, bool park, DateTimeOffset retryAt, string error, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.SqlNamed("""
            update work_items set status = @status, due_at = @retryAt, lease_owner = null, lease_until = null, last_error = @error
            where id = @id and lease_owner = @owner
            """, ("status", park ? WorkStatus.Parked : WorkStatus.Pending), ("retryAt", retryAt), ("error", error),
            ("id", item.Id), ("owner", owner)).ExecuteNonQueryAsync(ct);
    }

    /// <summary>Items interrupted by shutdown, or waiting behind a failed one of their key, go back as they were,
    /// for any instance to take (their claim does not count as an attempt).</summary>
    public async Task ReleaseAsync(IReadOnlyList<WorkItem> items, string owner, CancellationToken ct)
    {
        if (items.Count == 0) return;
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.Sql("""
            update work_items set status = 'pending', attempts = greatest(attempts - 1, 0), lease_owner = null, lease_until = null
            where id = any($1) and lease_owner = $2 and status = 'running'
            """, items.Select(i => i.Id).ToArray(), owner).ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// When the earliest pending item not due yet becomes due (null: none). Items due already but not claimed wait
    /// behind a running item of their key, whose completion wakes the worker (another instance's: the next poll);
    /// counting them made an idle worker claim nothing in a loop as fast as PostgreSQL answered.
    /// </summary>
    public async Task<DateTimeOffset?> NextDueAsync(CancellationToken ct, NpgsqlConnection? loop = null)
    {
        await using var pooled = loop is null ? await db.OpenConnectionAsync(ct) : null;
        var connection = loop ?? pooled!;
        return await connection.Sql("select min(due_at) from work_items where status = 'pending' and due_at > $1", clock.GetUtcNow())
            .ExecuteScalarAsync(ct) is DateTime at
            ? new DateTimeOffset(at, TimeSpan.Zero)
            : null;
    }

    /// <summary>
    /// No item running and none that could run now: everything that was due is done, follow-ups included. An item
    /// due behind an earlier one of its key that waits for its retry cannot run before that one, so it does not count.
    /// </summary>
    public async Task<bool> IsIdleAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.Sql("""
            select not exists (select 1 from work_items where status = 'running')
               and not exists (
                   select 1 from work_items c where c.status = 'pending' and c.due_at <= $1
                     and not exists (select 1 from work_items e where e.ordering_key = c.ordering_key and e.status = 'pending'
                                       and (e.order_at, e.id) < (c.order_at, c.id)))
            """, clock.GetUtcNow()).ExecuteScalarAsync(ct) is true;
    }

    public async Task<List<WorkListing>> ListAsync(string? status, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql("""
            select id, kind, ordering_key, status, attempts, conversation_id, event_id, due_at, created_at, last_error
            from work_items where $1::text is null or status = $1 order by id limit $2
            """, Db.Text(status), limit);
        var list = new List<WorkListing>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            list.Add(new WorkListing(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt32(4),
                reader.Nullable<Guid?>(5), reader.Nullable<long?>(6), reader.Instant(7), reader.Instant(8), reader.Nullable<string>(9)));
        return list;
    }

    /// <summary>An admin sends a parked item back (attempts start again). False when no such parked item.</summary>
    public async Task<bool> RetryParkedAsync(long id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.Sql("""
            update work_items set status = 'pending', attempts = 0, due_at = $2, last_error = null where id = $1 and status = 'parked'
            """, id, clock.GetUtcNow()).ExecuteNonQueryAsync(ct) == 1;
    }

    private static string Prefixed(string alias, string columns) =>
        string.Join(", ", columns.Split(',', StringSplitOptions.TrimEntries).Select(c => $"{alias}.{c}"));

    private static WorkItem Read(NpgsqlDataReader reader) => new(
        reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), reader.Nullable<Guid?>(4),
        reader.Nullable<long?>(5), TimelineStore.ParseObject(reader.GetString(6)), reader.Instant(7), reader.Nullable<string>(8));
}
