using System.Diagnostics;
using ContactCenter.Core.Forecast;
using ContactCenter.Core.Reports;
using ContactCenter.Core.ResponseTargets;
using ContactCenter.Core.Routing;
using ContactCenter.Core.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Bench;

/// <summary>
/// Issue 15: every report over 30 days of --conversations conversations and --events timeline events (generated in
/// SQL), and the console's snapshot and forecast with --queues queues and --agents agents. The baseline in the same
/// run is `select count(*)` of the 30 days of events (one scan of the biggest index).
/// </summary>
public static class ReportsScenario
{
    public static async Task RunAsync(BenchDatabase database, int conversations, int events, int queues, int agents, int runs)
    {
        await using var db = NpgsqlDataSource.Create(database.ConnectionString);
        var end = new DateTimeOffset(2026, 3, 31, 0, 0, 0, TimeSpan.Zero);
        var seed = Stopwatch.StartNew();
        await SeedAsync(db, conversations, events, queues, agents, end);
        Console.WriteLine($"seeded {conversations} conversations, {events} events, {queues} queues, {agents} agents in {seed.Elapsed.TotalSeconds:F1} s");

        var options = Options.Create(new ReportOptions());
        var conversationReports = new ConversationReports(db, options);
        var experience = new ExperienceReports(db, options);
        var baseline = await TimeAsync("baseline: count(*) of 30 days of events", runs, async () =>
        {
            await using var c = await db.OpenConnectionAsync();
            await c.Sql("select count(*) from timeline_events where occurred_at >= $1 and occurred_at < $2", end.AddDays(-30), end).ExecuteScalarAsync();
        });
        foreach (var report in ReportNames.All)
        {
            var (query, _) = ReportQuery.Parse(report, "2026-03-01", "2026-03-30", "Europe/London", "day", null, null, null, null, null);
            var p99 = await TimeAsync($"report {report}, 30 days by day", runs, () => query!.RunAsync(conversationReports, experience, default));
            Console.WriteLine($"  {p99 / baseline:F1}× baseline");
        }

        var monitor = new QueueMonitor(db, options, TimeProvider.System);
        await TimeAsync($"console snapshot ({queues} queues, {agents} agents)", runs, () => monitor.SnapshotAsync(null, 20, default));
        var forecaster = new QueueForecaster(db, Options.Create(new ForecastOptions()), Options.Create(new SlaOptions()), TimeProvider.System);
        await TimeAsync($"forecast of every queue ({queues})", runs, () => forecaster.ForecastManyAsync(null, default));
    }

    private static async Task<double> TimeAsync(string name, int runs, Func<Task> run)
    {
        await run(); // warm-up: plans and caches
        var times = new double[runs];
        for (var i = 0; i < runs; i++)
        {
            var watch = Stopwatch.StartNew();
            await run();
            times[i] = watch.Elapsed.TotalMilliseconds;
        }

        Array.Sort(times);
        var p99 = times[Math.Min(runs - 1, (int)Math.Ceiling(0.99 * runs) - 1)];
        Console.WriteLine($"{name}: p50 {times[runs / 2]:F0} ms, p99 {p99:F0} ms ({runs} runs)");
        return p99;
    }

    private static async Task SeedAsync(NpgsqlDataSource db, int conversations, int events, int queues, int agents, DateTimeOffset end)
    {
        await using var c = await db.OpenConnectionAsync();
        var channels = "array['sms','whatsapp','voice','telegram','webchat','messenger']";
        var types = "array['message.received','message.sent','bot.reply','conversation.assigned','call.queued','call.connected','call.ended','csat.response','conversation.queued','note.added']";
        var sql = $"""
            insert into routing_queues (name, created_at, updated_at) select 'q' || i, now(), now() from generate_series(1, {queues}) i;
            insert into agents (id, name, status, status_changed_at, idle_since, created_at, updated_at, capacity)
              select 'a' || i, 'Agent ' || i, (array['available','away','offline'])[1 + i % 3], now(), now(), now(), now(), '{"{"}"voice": 1, "messaging": 3{"}"}'
              from generate_series(1, {agents}) i;
            insert into customers (id, name, created_at)
              select md5('cust' || i)::uuid, 'C', @end - interval '30 days' from generate_series(1, {conversations / 2}) i;
            insert into conversations (id, customer_id, channel, customer_address, status, queue, assignee, opened_at, closed_at)
              select md5('conv' || i)::uuid, md5('cust' || (i % {conversations / 2} + 1))::uuid, ({channels})[1 + i % 6], 'x' || i,
                     case when i % 5 = 0 then 'assigned' else 'resolved' end, 'q' || (1 + i % {queues}), 'a' || (1 + i % {agents}),
                     @end - (i * interval '30 days' / {conversations}),
                     case when i % 5 = 0 then null else @end - (i * interval '30 days' / {conversations}) + interval '20 minutes' end
              from generate_series(1, {conversations}) i;
            insert into timeline_events (customer_id, conversation_id, channel, type, direction, occurred_at, recorded_at, data)
              select md5('cust' || (k % {conversations / 2} + 1))::uuid, md5('conv' || k)::uuid, ({channels})[1 + k % 6],
                     ({types})[1 + i % 10], 'internal', t, t,
                     case when i % 10 = 7 then jsonb_build_object('score', 1 + i % 5, 'scale', 5)
                          when i % 10 = 6 then jsonb_build_object('outcome', (array['connected','abandoned'])[1 + i % 2])
                          when i % 10 = 8 then jsonb_build_object('queue', 'q' || (1 + k % {queues})) else '{"{"}{"}"}'::jsonb end
              from (select i, 1 + i % {conversations} as k, @end - ((1 + i % {conversations}) * interval '30 days' / {conversations}) + (i / {conversations}) * interval '1 minute' as t
                    from generate_series(1, {events}) i) s;
            insert into timeline_events (customer_id, conversation_id, channel, type, direction, occurred_at, recorded_at, data)
              select customer_id, id, channel, 'conversation.resolved', 'internal', closed_at, closed_at, '{"{"}{"}"}' from conversations where closed_at is not null;
            insert into response_clocks (conversation_id, kind, channel, queue, started_by, started_at, target, due_at, stopped_at, stop_reason, breached_at)
              select id, 'first_response', channel, queue, row_number() over (), opened_at, interval '5 minutes', opened_at + interval '5 minutes',
                     opened_at + (row_number() over () % 10) * interval '1 minute', 'answered',
                     case when row_number() over () % 10 > 5 then opened_at + interval '5 minutes' end
              from conversations;
            insert into bot_conversations (conversation_id, customer_id, channel, owner, handoffs, contained_at, survey_sent_at, started_at, updated_at)
              select id, customer_id, channel, 'bot', (hashtext(id::text) & 1), case when hashtext(id::text) & 1 = 0 then closed_at end,
                     case when hashtext(id::text) & 1 = 1 then closed_at end, opened_at, opened_at
              from conversations where channel <> 'voice';
            -- The console's own load: 20 conversations waiting in each queue now, with running first-response clocks
            -- (a quarter of them breached), and clocks answered and breached today.
            insert into customers (id, name, created_at) select md5('waiter' || i)::uuid, 'W', now() from generate_series(1, {queues * 20}) i;
            insert into conversations (id, customer_id, channel, customer_address, status, queue, opened_at)
              select md5('wait' || i)::uuid, md5('waiter' || i)::uuid, ({channels})[1 + i % 6], 'w' || i,
                     'queued', 'q' || (1 + i % {queues}), now() - i * interval '1 second'
              from generate_series(1, {queues * 20}) i;
            insert into queue_entries (conversation_id, queue, channel, bucket, priority, rank, waiting_since, entered_at)
              select id, queue, channel, case when channel = 'voice' then 'voice' else 'messaging' end, 0, 0, opened_at, opened_at
              from conversations where status = 'queued';
            insert into response_clocks (conversation_id, kind, channel, queue, started_by, started_at, target, due_at, breached_at)
              select id, 'first_response', channel, queue, 1000000 + row_number() over (), opened_at, interval '5 minutes',
                     opened_at + interval '5 minutes', case when row_number() over () % 4 = 0 then now() - interval '1 minute' end
              from conversations where status = 'queued';
            insert into response_clocks (conversation_id, kind, channel, queue, started_by, started_at, target, due_at, stopped_at, stop_reason, breached_at)
              select id, 'next_response', channel, queue, 2000000 + row_number() over (), date_trunc('day', now()), interval '5 minutes',
                     date_trunc('day', now()) + (now() - date_trunc('day', now())) / 4, date_trunc('day', now()) + (now() - date_trunc('day', now())) / 2,
                     'answered', case when row_number() over () % 10 = 0 then date_trunc('day', now()) + (now() - date_trunc('day', now())) / 4 end
              from conversations where status = 'assigned' and closed_at is null;
            analyze;
            """;
        await using var command = new NpgsqlCommand(sql, c);
        command.Parameters.AddWithValue("end", end);
        command.CommandTimeout = 600;
        await command.ExecuteNonQueryAsync();
    }
}
