using System.Diagnostics;
using ContactCenter.Core.ResponseTargets;
using ContactCenter.Core.Storage;
using Npgsql;

namespace ContactCenter.Bench;

/// <summary>
/// Issue 5: breach lateness (breach recorded − deadline) with N open response clocks, through the running
/// service: its deadline worker, or (Hangfire mode) the two Hangfire jobs each clock start schedules. The
/// clocks (5-minute targets, as SMS) have deadlines spread evenly over the next <c>window</c>, so N = 100k over
/// 10 minutes means 167 breaches and 167 warnings a second; lateness is measured for the deadlines that fall
/// in a <c>measure</c>-long stretch after set-up. The breach path is the real one: conversation locked,
/// answer looked up, <c>sla.breached</c> written, priority raised, supervisors notified.
/// </summary>
public static class ClockScenario
{
    private static readonly TimeSpan Target = TimeSpan.FromMinutes(5);
    private const int HangfireJobLimit = 20000;

    public static async Task RunAsync(BenchDatabase database, int clocks, ClockScheduler scheduler, TimeSpan window, TimeSpan measure)
    {
        var connectionString = await BenchService.FreshDatabaseAsync(database, $"bench_clocks_{scheduler.ToString().ToLowerInvariant()}_{clocks}");
        await using var host = new BenchService(connectionString, new Dictionary<string, string?>
        {
            ["Sla:Scheduler"] = scheduler.ToString(),
            // Hangfire alone: the deadline worker's sweep for lost jobs would otherwise step in after 30 s.
            ["Sla:HangfireSweepAfter"] = "01:00:00",
        });
        _ = host.Server;
        var db = host.Get<NpgsqlDataSource>();
        Console.WriteLine($"Breach lateness, {scheduler}: {clocks:N0} open clocks, deadlines over {window.TotalSeconds:N0} s " +
                          $"({clocks / window.TotalSeconds:N0} breaches/s and as many warnings/s)");

        var setup = Stopwatch.StartNew();
        // Deadlines start after set-up (Hangfire needs time to take two jobs per clock). Warnings come 60 s (20 %)
        // before deadlines, so the stretch measured starts 60 s in, when both arrive at their steady rate.
        var coveredShare = Math.Min(1, (measure + TimeSpan.FromSeconds(90) + Target * 0.2) / window);
        var jobsToSchedule = scheduler != ClockScheduler.Hangfire ? 0 : clocks <= HangfireJobLimit ? 2 * clocks : (int)(2 * clocks * coveredShare);
        var lead = TimeSpan.FromSeconds(10 + clocks / 20000.0 + jobsToSchedule / 250.0);
        var start = DateTimeOffset.UtcNow + lead;
        var steady = start + Target * 0.2;
        await using (var connection = await db.OpenConnectionAsync())
        {
            await connection.Sql("""
                insert into routing_queues (name, created_at, updated_at) values ('bench', $1, $1) on conflict do nothing
                """, DateTimeOffset.UtcNow).ExecuteNonQueryAsync();
            await using var insert = connection.Sql("""
                with c as (
                    insert into customers (id, created_at) select gen_random_uuid(), $1 from generate_series(1, $2) returning id),
                cv as (
                    insert into conversations (id, customer_id, channel, customer_address, status, queue, priority, opened_at)
                    select gen_random_uuid(), id, 'webchat', 'bench-' || id::text, 'queued', 'bench', 0, $1 from c
                    returning id, customer_id),
                e as (
                    insert into timeline_events (customer_id, conversation_id, channel, type, direction, occurred_at, recorded_at, data)
                    select customer_id, id, 'webchat', 'message.received', 'inbound', $1, $1, '{}' from cv
                    returning id, conversation_id),
                q as (
                    insert into queue_entries (conversation_id, queue, channel, bucket, priority, rank, waiting_since, entered_at)
                    select conversation_id, 'bench', 'webchat', 'messaging', 0, 0, $1, $1 from e)
                insert into response_clocks (conversation_id, kind, channel, queue, started_by, started_at, target, warn_at, due_at, next_check_at)
                select conversation_id, 'first_response', 'webchat', 'bench', id, due - $5, $5, due - $5 * 0.2, due, due - $5 * 0.2
                from (select conversation_id, id, $3 + random() * $4 as due from e) d
                """, DateTimeOffset.UtcNow, clocks, steady, window, Target);
            insert.CommandTimeout = 600;
            await insert.ExecuteNonQueryAsync();
        }

        // Jobs for every clock up to HangfireJobLimit; beyond it, for the clocks due in the measured stretch
        // (the rest then exist as clock rows only: the scheduler's load in the stretch is the same).
        var horizon = steady + measure + TimeSpan.FromSeconds(30);
        if (scheduler == ClockScheduler.Hangfire) await ScheduleJobsAsync(host, db, clocks <= HangfireJobLimit ? null : horizon);
        setup.Stop();
        var ready = DateTimeOffset.UtcNow;
        var from = ready + TimeSpan.FromSeconds(2) > steady ? ready + TimeSpan.FromSeconds(2) : steady;
        var to = from + measure;
        Console.WriteLine($"  set-up {setup.Elapsed.TotalSeconds:N1} s; measuring deadlines from {(from - steady).TotalSeconds:N1} s after the first for {measure.TotalSeconds:N0} s");

        var grace = TimeSpan.FromSeconds(scheduler == ClockScheduler.Hangfire ? 60 : 15);
        await Task.Delay(to + grace - DateTimeOffset.UtcNow);
        await ReportAsync(db, "breach", "due_at", "breached_at", from, to, grace);
        await ReportAsync(db, "warning", "warn_at", "warned_at", from, to, grace);
    }

    /// <summary>What each clock start does in Hangfire mode (<see cref="ResponseClocks.Schedule"/>), for the set-up clocks.</summary>
    private static async Task ScheduleJobsAsync(BenchService host, NpgsqlDataSource db, DateTimeOffset? horizon)
    {
        var started = new List<StartedClock>();
        await using (var connection = await db.OpenConnectionAsync())
        await using (var command = connection.Sql("select id, warn_at, due_at from response_clocks where $1::timestamptz is null or warn_at <= $1",
                         Db.Timestamp(horizon)))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) started.Add(new StartedClock(reader.GetInt64(0), reader.Instant(1), reader.Instant(2)));
        }

        var clocks = host.Get<ResponseClocks>();
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(started.Chunk(50), new ParallelOptions { MaxDegreeOfParallelism = 16 },
            (chunk, _) =>
            {
                clocks.Schedule(chunk);
                return ValueTask.CompletedTask;
            });
        Console.WriteLine($"  scheduled {started.Count * 2:N0} Hangfire jobs{(horizon is null ? "" : " (for the clocks whose warning or deadline falls in the measured stretch)")} in {watch.Elapsed.TotalSeconds:N1} s ({started.Count * 2 / watch.Elapsed.TotalSeconds:N0}/s)");
    }

    private static async Task ReportAsync(NpgsqlDataSource db, string what, string deadline, string recorded, DateTimeOffset from, DateTimeOffset to, TimeSpan grace)
    {
        var lateness = new List<double>();
        var missed = 0;
        await using var connection = await db.OpenConnectionAsync();
        await using var command = connection.Sql($"""
            select extract(epoch from {recorded} - {deadline}) * 1000 from response_clocks where {deadline} >= $1 and {deadline} < $2
            """, from, to);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            if (reader.IsDBNull(0)) missed++;
            else lateness.Add((double)reader.GetDecimal(0));
        }

        var sorted = lateness.Order().ToArray();
        Console.WriteLine(new Measurement($"{what} lateness", sorted.Length, to - from, sorted));
        if (sorted.Length > 0) Console.WriteLine($"  early (before the deadline): {sorted.Count(l => l < 0)}; within 1 s: {sorted.Count(l => l <= 1000) * 100.0 / sorted.Length:N2} %");
        if (missed > 0) Console.WriteLine($"  {missed:N0} {what}s not recorded within {grace.TotalSeconds:N0} s of the stretch's end");
    }
}
