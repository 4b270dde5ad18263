using System.Collections.Concurrent;
using System.Diagnostics;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Routing;
using ContactCenter.Core.Storage;
using Npgsql;

namespace ContactCenter.Bench;

/// <summary>
/// Issue 5: assignment with W conversations waiting in five skill queues and A agents (each with two of the
/// five skills, capacity 3 chats), through the running service (reactions, routing worker, assignment pass):
/// <list type="number">
/// <item>every agent logs in at once: how fast the 3·A free slots fill from the waiting conversations;</item>
/// <item>agents resolve one conversation each, at a steady rate: latency from the resolve's commit to the
/// freed slot's next assignment (the reaction, the notification, a pass over W waiting);</item>
/// <item>new conversations enter a queue that has agents with room while W others wait: latency from the
/// enqueue's commit to the assignment.</item>
/// </list>
/// </summary>
public static class AssignmentScenario
{
    private const int Skills = 5;

    public static async Task RunAsync(BenchDatabase database, int waiting, int agents, int rate)
    {
        var connectionString = await BenchService.FreshDatabaseAsync(database, $"bench_assign_{waiting}_{agents}");
        await using var host = new BenchService(connectionString, new Dictionary<string, string?>());
        _ = host.Server;
        var db = host.Get<NpgsqlDataSource>();
        var now = DateTimeOffset.UtcNow;
        await using (var connection = await db.OpenConnectionAsync())
        {
            for (var s = 0; s < Skills; s++)
                await connection.Sql("""
                    insert into routing_queues (name, required_skills, created_at, updated_at) values ($1, $2, $3, $3)
                    """, $"q{s}", Db.Jsonb($$"""{"s{{s}}": 1}"""), now).ExecuteNonQueryAsync();
            await connection.Sql("""
                insert into agents (id, name, status, skills, capacity, status_changed_at, idle_since, created_at, updated_at)
                select 'a' || i, 'Agent ' || i, 'offline',
                       jsonb_build_object('s' || (i % 5), 1 + i % 3) || jsonb_build_object('s' || ((i / 5 + 1 + i % 4) % 5), 1),
                       '{"voice": 1, "messaging": 3}', $1, $1, $1, $1
                from generate_series(0, $2 - 1) i
                """, now, agents).ExecuteNonQueryAsync();
            await CreateWaitingAsync(connection, waiting, "q", now);
        }

        Console.WriteLine($"Assignment: {waiting:N0} waiting in {Skills} skill queues, {agents:N0} agents (2 skills each, 3 chats each)");

        // 1. Everyone logs in.
        var store = host.Get<AgentStore>();
        var login = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, agents), new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (i, ct) => await store.SetStatusAsync($"a{i}", AgentStatus.Available, "bench", ct));
        var slots = agents * 3;
        while (await CountAsync(db, "select count(*) from conversations where assignee is not null and closed_at is null") < slots)
        {
            if (login.Elapsed > TimeSpan.FromMinutes(10)) break;
            await Task.Delay(20);
        }

        var filled = await CountAsync(db, "select count(*) from conversations where assignee is not null and closed_at is null");
        Console.WriteLine($"  all log in: {filled:N0} of {slots:N0} slots filled in {login.Elapsed.TotalSeconds:N1} s " +
                          $"({filled / login.Elapsed.TotalSeconds:N0} assignments/s), {await CountAsync(db, "select count(*) from queue_entries"):N0} still waiting");

        // 2. Each agent resolves one conversation; the slot goes to the next waiting conversation.
        var resolveAt = new ConcurrentDictionary<string, DateTimeOffset>();
        var resolving = new List<(Guid Conversation, string Agent)>();
        await using (var connection = await db.OpenConnectionAsync())
        await using (var command = connection.Sql("""
            select distinct on (assignee) id, assignee from conversations where assignee is not null and closed_at is null order by assignee, id
            """))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) resolving.Add((reader.GetGuid(0), reader.GetString(1)));
        }

        var conversations = host.Get<ConversationStore>();
        var phase2 = DateTimeOffset.UtcNow;
        await PacedAsync(resolving.Count, rate, async i =>
        {
            await conversations.ResolveAsync(resolving[i].Conversation, "bench", CancellationToken.None);
            resolveAt[resolving[i].Agent] = DateTimeOffset.UtcNow;
        });
        await Task.Delay(TimeSpan.FromSeconds(5));
        var refills = await AssignmentsSinceAsync(db, phase2);
        Console.WriteLine(Latencies($"resolve → next assignment ({rate}/s)", resolveAt, refills, TimeSpan.FromSeconds(resolving.Count / (double)rate)));

        // 3. New conversations for a queue whose agents have room, while the others wait.
        var vipAgents = Math.Max(10, agents / 10);
        await using (var connection = await db.OpenConnectionAsync())
        {
            var at = DateTimeOffset.UtcNow;
            await connection.Sql("insert into routing_queues (name, required_skills, created_at, updated_at) values ('vip', '{\"vip\": 1}', $1, $1)", at)
                .ExecuteNonQueryAsync();
            await connection.Sql("""
                insert into agents (id, name, status, skills, capacity, status_changed_at, idle_since, created_at, updated_at)
                select 'v' || i, 'VIP agent ' || i, 'available', '{"vip": 1}', '{"voice": 1, "messaging": 3}', $1, $1, $1, $1
                from generate_series(0, $2 - 1) i
                """, at, vipAgents).ExecuteNonQueryAsync();
        }

        var fresh = await CreateOpenAsync(db, vipAgents * 3);
        var routing = host.Get<RoutingEngine>();
        var enqueuedAt = new ConcurrentDictionary<string, DateTimeOffset>();
        var phase3 = DateTimeOffset.UtcNow;
        await PacedAsync(fresh.Count, rate, async i =>
        {
            await routing.EnqueueAsync(fresh[i], "vip", null, "bench", CancellationToken.None);
            enqueuedAt[fresh[i].ToString()] = DateTimeOffset.UtcNow;
        });
        await Task.Delay(TimeSpan.FromSeconds(5));
        var assigned = await AssignmentsSinceAsync(db, phase3, byConversation: true);
        Console.WriteLine(Latencies($"enqueue → assignment ({rate}/s)", enqueuedAt, assigned, TimeSpan.FromSeconds(fresh.Count / (double)rate)));
        Console.WriteLine($"  (still waiting elsewhere: {await CountAsync(db, "select count(*) from queue_entries where queue <> 'vip'"):N0})");
    }

    private static Measurement Latencies(
        string name, ConcurrentDictionary<string, DateTimeOffset> started, Dictionary<string, List<DateTimeOffset>> assignments, TimeSpan elapsed)
    {
        var latencies = new List<double>();
        var missing = 0;
        foreach (var (key, at) in started)
        {
            var next = assignments.GetValueOrDefault(key)?.Where(a => a >= at.AddMilliseconds(-5)).Order().FirstOrDefault();
            if (next is { } done && done != default) latencies.Add(Math.Max(0, (done - at).TotalMilliseconds));
            else missing++;
        }

        if (missing > 0) Console.WriteLine($"  {name}: {missing} without an assignment within 5 s");
        return new Measurement(name, latencies.Count, elapsed, latencies.Order().ToArray());
    }

    /// <summary>conversation.assigned events since a moment, by agent (or by conversation), with their commit-side time.</summary>
    private static async Task<Dictionary<string, List<DateTimeOffset>>> AssignmentsSinceAsync(NpgsqlDataSource db, DateTimeOffset since, bool byConversation = false)
    {
        var map = new Dictionary<string, List<DateTimeOffset>>();
        await using var connection = await db.OpenConnectionAsync();
        await using var command = connection.Sql($"""
            select {(byConversation ? "conversation_id::text" : "data->>'agentId'")}, recorded_at from timeline_events
            where type = 'conversation.assigned' and recorded_at >= $1
            """, since);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            if (!map.TryGetValue(reader.GetString(0), out var list)) map[reader.GetString(0)] = list = [];
            list.Add(reader.Instant(1));
        }

        return map;
    }

    /// <summary>Starts <paramref name="count"/> operations at <paramref name="perSecond"/>, without waiting for each other.</summary>
    private static async Task PacedAsync(int count, int perSecond, Func<int, Task> operation)
    {
        var clock = Stopwatch.StartNew();
        var running = new List<Task>();
        for (var i = 0; i < count; i++)
        {
            var due = TimeSpan.FromSeconds(i / (double)perSecond) - clock.Elapsed;
            if (due > TimeSpan.Zero) await Task.Delay(due);
            running.Add(operation(i));
        }

        await Task.WhenAll(running);
    }

    private static async Task CreateWaitingAsync(NpgsqlConnection connection, int count, string queuePrefix, DateTimeOffset now)
    {
        await using var command = connection.Sql("""
            with c as (insert into customers (id, created_at) select gen_random_uuid(), $1 from generate_series(1, $2) returning id),
            cv as (
                insert into conversations (id, customer_id, channel, customer_address, status, queue, priority, opened_at)
                select gen_random_uuid(), id, 'webchat', 'bench-' || id::text, 'queued', $3 || (row_number() over () % 5), (random() * 3)::int, $1 from c
                returning id, queue, priority)
            insert into queue_entries (conversation_id, queue, channel, bucket, priority, rank, waiting_since, entered_at)
            select id, queue, 'webchat', 'messaging', priority, priority, $1 - random() * interval '10 minutes', $1 from cv
            """, now, count, queuePrefix);
        command.CommandTimeout = 600;
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<List<Guid>> CreateOpenAsync(NpgsqlDataSource db, int count)
    {
        var ids = new List<Guid>();
        await using var connection = await db.OpenConnectionAsync();
        await using var command = connection.Sql("""
            with c as (insert into customers (id, created_at) select gen_random_uuid(), $1 from generate_series(1, $2) returning id)
            insert into conversations (id, customer_id, channel, customer_address, status, opened_at)
            select gen_random_uuid(), id, 'webchat', 'fresh-' || id::text, 'open', $1 from c
            returning id
            """, DateTimeOffset.UtcNow, count);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) ids.Add(reader.GetGuid(0));
        return ids;
    }

    private static async Task<long> CountAsync(NpgsqlDataSource db, string sql)
    {
        await using var connection = await db.OpenConnectionAsync();
        return (long)(await connection.Sql(sql).ExecuteScalarAsync())!;
    }
}
