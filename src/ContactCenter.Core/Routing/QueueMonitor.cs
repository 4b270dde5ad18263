using ContactCenter.Core.Channels;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Reports;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Core.Routing;

public sealed record ClockView(string Kind, DateTimeOffset? DueAt, double? RemainingSeconds, bool Paused, bool Warned, bool Breached);

public sealed record WaitingConversation(
    Guid ConversationId, Channel Channel, int Priority, DateTimeOffset WaitingSince, double WaitSeconds, int? AcceptSkillLevel, ClockView? Target);

public sealed record AgentCounts(int Available, int Busy, int Away, int Offline);

/// <param name="WithinTargetShare">Of the response targets decided today (answered, or breached; in the queue's time
/// zone), the share answered within target; null when none was decided yet. A late answer counts once, as a miss.</param>
/// <param name="QueuedCalls">Calls whose wait in this queue ended today (answered, abandoned, voicemail, callback).</param>
/// <param name="Abandoned">Of those, hung up while waiting after more than <c>Reports:ShortAbandon</c>.</param>
/// <param name="AbandonmentRate">Abandoned ÷ (queued − short abandons), as the abandonment report; null without calls.</param>
public sealed record TodayStats(int Answered, int AnsweredWithinTarget, int Breached, double? WithinTargetShare,
    int QueuedCalls, int Abandoned, double? AbandonmentRate);

/// <param name="AcknowledgedBy">The supervisor who acknowledged it on the console (shared by every console); null while not.</param>
public sealed record BreachAlert(Guid ConversationId, string Kind, DateTimeOffset BreachedAt, string Status, string? Assignee,
    string? AcknowledgedBy, DateTimeOffset? AcknowledgedAt);

public sealed record QueueSnapshot(
    string Name,
    bool Open,
    int Waiting,
    double? OldestWaitSeconds,
    IReadOnlyList<WaitingConversation> Conversations,
    AgentCounts Agents,
    TodayStats Today,
    IReadOnlyList<BreachAlert> Alerts,
    QueueDefinition Definition);

/// <summary>The live view of queues for supervisors (GET /api/queues, the supervisor page), read from PostgreSQL.</summary>
public sealed class QueueMonitor(NpgsqlDataSource db, IOptions<ReportOptions> reports, TimeProvider clock)
{
    public async Task<IReadOnlyList<QueueSnapshot>> SnapshotAsync(string? onlyQueue, int conversationLimit, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        // One consistent picture; and no JIT: every statement here is a few index probes, which JIT compilation
        // (triggered by cost estimates over 200 queues) made ten times slower.
        await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        await using (var setup = connection.Sql("set transaction read only; set local jit = off")) await setup.ExecuteNonQueryAsync(ct);
        var queues = (await QueueStore.ListAsync(connection, ct)).Where(q => onlyQueue is null || q.Name == onlyQueue).ToList();
        if (queues.Count == 0) return [];
        var names = queues.Select(q => q.Name).ToArray();
        var dayStarts = queues.Select(q => DayStart(q, now)).ToArray();

        var counts = new Dictionary<string, (int Count, DateTimeOffset Oldest)>();
        var buckets = new Dictionary<string, List<string>>();
        await using (var command = connection.Sql("""
            select queue, bucket, count(*)::int, min(waiting_since) from queue_entries where queue = any($1) group by queue, bucket
            """, (object)names))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var queue = reader.GetString(0);
                var (count, oldest) = counts.GetValueOrDefault(queue, (0, DateTimeOffset.MaxValue));
                var since = reader.Instant(3);
                counts[queue] = (count + reader.GetInt32(2), since < oldest ? since : oldest);
                if (!buckets.TryGetValue(queue, out var list)) buckets[queue] = list = [];
                list.Add(reader.GetString(1));
            }
        }

        var waiting = await WaitingAsync(connection, names, conversationLimit, now, ct);
        var agents = await AgentsAsync(connection, ct);
        var today = await TodayAsync(connection, names, dayStarts, ct);
        var alerts = await AlertsAsync(connection, names, ct);
        var abandonment = await AbandonmentAsync(connection, names, dayStarts, reports.Value.ShortAbandon, ct);

        return queues.Select((q, i) =>
        {
            var hours = QueueStore.HoursOf(q.Definition);
            var (count, oldest) = counts.GetValueOrDefault(q.Name);
            // Busy means no room for the kinds of conversation waiting here (any kind when none waits).
            var kinds = buckets.GetValueOrDefault(q.Name) ?? [.. CapacityBuckets.All];
            return new QueueSnapshot(
                q.Name,
                hours.IsOpen(now),
                count,
                count > 0 ? Math.Round((now - oldest).TotalSeconds, 3) : null,
                waiting.GetValueOrDefault(q.Name, []).Select(w => w with
                {
                    Target = w.Target is { DueAt: { } due } target ? target with
                    {
                        RemainingSeconds = Math.Round(now < due ? hours.OpenTimeBetween(now, due).TotalSeconds : -(now - due).TotalSeconds, 3),
                        Paused = !hours.IsOpen(now),
                    } : w.Target,
                }).ToList(),
                Count(agents, q.Definition.RequiredSkills, kinds),
                Today(today.GetValueOrDefault(q.Name), abandonment.GetValueOrDefault(q.Name)),
                alerts.GetValueOrDefault(q.Name, []),
                q.Definition);
        }).ToList();
    }

    private static TodayStats Today((int Answered, int Within, int Breached, int Decided) t, (int Queued, int Abandoned, int Short) calls) =>
        new(t.Answered, t.Within, t.Breached, t.Decided == 0 ? null : Math.Round((double)t.Within / t.Decided, 4),
            calls.Queued, calls.Abandoned, calls.Queued - calls.Short == 0 ? null : Math.Round((double)calls.Abandoned / (calls.Queued - calls.Short), 4));

    /// <summary>Calls whose wait in each queue ended today (their <c>call.ended</c> names the queue), by outcome.</summary>
    private static async Task<Dictionary<string, (int, int, int)>> AbandonmentAsync(
        NpgsqlConnection connection, string[] queues, DateTimeOffset[] dayStarts, TimeSpan shortAbandon, CancellationToken ct)
    {
        await using var command = connection.SqlNamed("""
            with d (queue, day_start) as (select * from unnest(@queues::text[], @days::timestamptz[]))
            select d.queue, count(*)::int,
                   count(*) filter (where e.data->>'outcome' = 'abandoned' and e.occurred_at - v.queued_at > @short)::int,
                   count(*) filter (where e.data->>'outcome' = 'abandoned' and e.occurred_at - v.queued_at <= @short)::int
            from timeline_events e
            join voice_calls v on v.call_sid = e.data->>'callSid' and v.queued_at is not null
            join d on d.queue = e.data->>'queue' and e.occurred_at >= d.day_start
            where e.type = 'call.ended' and e.occurred_at >= @earliest
            group by d.queue
            """, ("queues", queues), ("days", dayStarts.Select(d => d.UtcDateTime).ToArray()), ("short", shortAbandon),
            ("earliest", dayStarts.Min()));
        var map = new Dictionary<string, (int, int, int)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) map[reader.GetString(0)] = (reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3));
        return map;
    }

    private static DateTimeOffset DayStart(RoutingQueue queue, DateTimeOffset now)
    {
        var zone = QueueStore.HoursOf(queue.Definition).TimeZone;
        var local = TimeZoneInfo.ConvertTime(now, zone);
        var midnight = local.Date;
        return new DateTimeOffset(midnight, zone.GetUtcOffset(midnight));
    }

    private static async Task<Dictionary<string, List<WaitingConversation>>> WaitingAsync(
        NpgsqlConnection connection, string[] queues, int limit, DateTimeOffset now, CancellationToken ct)
    {
        var map = new Dictionary<string, List<WaitingConversation>>();
        if (limit <= 0) return map;
        // Each queue reads only the head of its line (index queue_entries_console), however long the line is.
        await using var command = connection.Sql("""
            select q.name, e.conversation_id, e.channel, e.priority, e.waiting_since, e.skill_level_cap,
                   r.kind, r.due_at, r.warned_at is not null, r.breached_at is not null
            from unnest($1::text[]) with ordinality q (name, i)
            cross join lateral (select * from queue_entries x where x.queue = q.name order by x.rank desc, x.waiting_since limit $2) e
            left join response_clocks r on r.conversation_id = e.conversation_id and r.stopped_at is null and r.kind <> 'resolution'
            order by q.i, e.rank desc, e.waiting_since
            """, queues, limit);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var since = reader.Instant(4);
            var clockView = reader.IsDBNull(6) ? null
                : new ClockView(reader.GetString(6), reader.NullableInstant(7), null, false, reader.GetBoolean(8), reader.GetBoolean(9));
            var queue = reader.GetString(0);
            if (!map.TryGetValue(queue, out var list)) map[queue] = list = [];
            list.Add(new WaitingConversation(reader.GetGuid(1), ChannelNames.Parse(reader.GetString(2)), reader.GetInt32(3), since,
                Math.Round((now - since).TotalSeconds, 3), reader.Nullable<int?>(5), clockView));
        }

        return map;
    }

    /// <summary>Agents alike in status, skills and room, counted once: queues walk these profiles, not every agent.</summary>
    private sealed record AgentProfile(string Status, Dictionary<string, int> Skills, HashSet<string> RoomIn, int Agents)
    {
        public bool HasRoom(IEnumerable<string> buckets) => buckets.Any(RoomIn.Contains);
    }

    private static AgentCounts Count(List<AgentProfile> profiles, Dictionary<string, int> required, IReadOnlyList<string> kinds)
    {
        int available = 0, busy = 0, away = 0, offline = 0;
        foreach (var p in profiles)
        {
            if (!AssignmentPass.Qualifies(p.Skills, required, null)) continue;
            switch (p.Status)
            {
                case AgentStatus.Available when p.HasRoom(kinds): available += p.Agents; break;
                case AgentStatus.Available: busy += p.Agents; break;
                case AgentStatus.Away: away += p.Agents; break;
                case AgentStatus.Offline: offline += p.Agents; break;
            }
        }

        return new AgentCounts(available, busy, away, offline);
    }

    private static async Task<List<AgentProfile>> AgentsAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var rows = new List<(string Id, string Status, string Skills, string Capacity)>();
        await using (var command = connection.Sql("select id, status, skills::text, capacity::text from agents"))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
        }

        var loads = await AgentStore.LoadsAsync(connection, null, ct);
        var capacities = new Dictionary<string, Dictionary<string, int>>();
        return rows.Select(r =>
            {
                if (!capacities.TryGetValue(r.Capacity, out var capacity)) capacities[r.Capacity] = capacity = AgentStore.ParseLevels(r.Capacity);
                var room = string.Join(",", CapacityBuckets.All.Where(b => capacity.GetValueOrDefault(b) > loads.GetValueOrDefault((r.Id, b))));
                return (r.Status, r.Skills, Room: room);
            })
            .GroupBy(r => r)
            .Select(g => new AgentProfile(g.Key.Status, AgentStore.ParseLevels(g.Key.Skills),
                g.Key.Room.Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet(), g.Count()))
            .ToList();
    }

    private static async Task<Dictionary<string, (int, int, int, int)>> TodayAsync(
        NpgsqlConnection connection, string[] queues, DateTimeOffset[] dayStarts, CancellationToken ct)
    {
        // Response targets decided today: answered today, or breached today (counted once when both). Each queue
        // reads only today's rows of two partial indexes (migration 1900), however many clocks ran before.
        await using var command = connection.Sql("""
            with d (queue, day_start) as (select * from unnest($1::text[], $2::timestamptz[]))
            select d.queue, a.answered, a.within, b.breached, a.answered + b.breached - b.breached_answered
            from d
            cross join lateral (
                select count(*)::int as answered,
                       count(*) filter (where r.breached_at is null and (r.due_at is null or r.stopped_at <= r.due_at))::int as within
                from response_clocks r
                where r.queue = d.queue and r.stop_reason = 'answered' and r.kind <> 'resolution' and r.stopped_at >= d.day_start) a
            cross join lateral (
                select count(*)::int as breached,
                       count(*) filter (where r.stop_reason = 'answered' and r.stopped_at >= d.day_start)::int as breached_answered
                from response_clocks r
                where r.queue = d.queue and r.breached_at is not null and r.kind <> 'resolution' and r.breached_at >= d.day_start) b
            where a.answered > 0 or b.breached > 0
            """, queues, dayStarts.Select(d => d.UtcDateTime).ToArray());
        var map = new Dictionary<string, (int, int, int, int)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            map[reader.GetString(0)] = (reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetInt32(4));
        return map;
    }

    private static async Task<Dictionary<string, List<BreachAlert>>> AlertsAsync(NpgsqlConnection connection, string[] queues, CancellationToken ct)
    {
        await using var command = connection.Sql("""
            select c.queue, r.conversation_id, r.kind, r.breached_at, c.status, c.assignee, a.acknowledged_by, a.acknowledged_at
            from response_clocks r join conversations c on c.id = r.conversation_id
            left join breach_acknowledgements a on a.clock_id = r.id
            where r.breached_at is not null and r.stopped_at is null and c.closed_at is null and c.queue = any($1)
            order by r.breached_at desc
            limit 200
            """, (object)queues);
        var map = new Dictionary<string, List<BreachAlert>>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var queue = reader.GetString(0);
            if (!map.TryGetValue(queue, out var list)) map[queue] = list = [];
            list.Add(new BreachAlert(reader.GetGuid(1), reader.GetString(2), reader.Instant(3), reader.GetString(4), reader.Nullable<string>(5),
                reader.Nullable<string>(6), reader.NullableInstant(7)));
        }

        return map;
    }
}
