using System.Diagnostics;
using ContactCenter.Core.Storage;
using ContactCenter.Tests.Work;
using Npgsql;

namespace ContactCenter.Bench;

/// <summary>
/// Issue 12, the work pipeline, against the service in a process of its own (so its memory is its own and it can be
/// killed): signed Twilio SMS webhooks from many numbers at concurrency C.
/// <list type="bullet">
/// <item><c>pipeline</c>: the burst, then how much after-commit work is left when the last webhook is answered and how
/// long it takes to drain; the webhook beside the bare single-INSERT baseline at each concurrency; the service's peak RSS.</item>
/// <item><c>crash</c>: kill -9 of the service a third into the burst, an immediate PostgreSQL restart, a new service,
/// the unanswered webhooks sent again (as Twilio retries): every answered message is stored once, every new
/// conversation queued once, nothing left or parked.</item>
/// </list>
/// </summary>
public static class PipelineScenario
{
    public static async Task RunBurstAsync(BenchDatabase database, int events, int customers, IReadOnlyList<int> concurrencies)
    {
        await using var db = NpgsqlDataSource.Create(database.ConnectionString);
        await InboundScenario.EnsureBaselineTableAsync(db);
        using var service = StartService(database.ConnectionString);
        using var http = service.Client();
        await service.WaitReadyAsync(http);
        using var memory = new PeakMemory(service.Process);

        var run = Guid.NewGuid().ToString("N")[..8];
        var customerIds = Enumerable.Range(0, 1000).Select(_ => Guid.NewGuid()).ToArray();
        var warm = TwilioMessagingScenario.Prepare($"w{run}", 500, 500);
        await Measure.RunAsync("warm-up", warm.Length, 8, i => TwilioMessagingScenario.PostAsync(http, warm[i]));
        await Measure.RunAsync("warm-up", 500, 8, i => InboundScenario.BaselineAsync(db, customerIds, $"w{run}", i));
        await DrainAsync(db, TimeSpan.FromMinutes(2));

        Console.WriteLine($"Work pipeline: {events} SMS webhooks from {customers} numbers (new conversations, routing), service in its own process");
        foreach (var concurrency in concurrencies)
        {
            var level = $"{run}c{concurrency}";
            // Numbers of their own per level: each level starts with new customers and new conversations.
            var messages = TwilioMessagingScenario.Prepare(level, events, customers);
            var baseline = await Measure.RunAsync($"bare single INSERT, c={concurrency}", events, concurrency,
                i => InboundScenario.BaselineAsync(db, customerIds, level, i));
            var webhook = await Measure.RunAsync($"signed webhook → stored, c={concurrency}", events, concurrency,
                i => TwilioMessagingScenario.PostAsync(http, messages[i]));
            var left = await PendingAsync(db);
            var drain = Stopwatch.StartNew();
            await DrainAsync(db, TimeSpan.FromMinutes(5));
            drain.Stop();
            Console.WriteLine(baseline);
            Console.WriteLine(webhook);
            Console.WriteLine($"  webhook / baseline throughput {webhook.PerSecond / baseline.PerSecond:P0}; p99 x{webhook.P99 / baseline.P99:N1}");
            Console.WriteLine($"  after-commit work left at the last answer: {left} items; drained {drain.Elapsed.TotalSeconds:N2} s later");
            // The customers of the first level are known at the next one: clear them so every level measures the same thing.
            await using var connection = await db.OpenConnectionAsync();
            await connection.Sql("update conversations set status = 'resolved', closed_at = now() where closed_at is null").ExecuteNonQueryAsync();
            await DrainAsync(db, TimeSpan.FromMinutes(2));
        }

        Console.WriteLine($"service peak RSS {memory.PeakMegabytes:N0} MB");
    }

    public static async Task RunCrashAsync(BenchDatabase database, int events, int customers, int concurrency)
    {
        if (database.Local is not { } postgres) throw new InvalidOperationException("The crash scenario restarts PostgreSQL: run it on the throwaway cluster.");
        await using var db = NpgsqlDataSource.Create(database.ConnectionString);
        var run = Guid.NewGuid().ToString("N")[..8];
        var messages = TwilioMessagingScenario.Prepare(run, events, customers);
        var answered = new bool[events];

        var first = StartService(database.ConnectionString);
        using (var http = first.Client())
        {
            await first.WaitReadyAsync(http);
            var killed = 0;
            var answeredCount = 0;
            var sending = Measure.RunAsync("burst until kill -9", events, concurrency, async i =>
            {
                try
                {
                    await TwilioMessagingScenario.PostAsync(http, messages[i]);
                    answered[i] = true;
                    if (Interlocked.Increment(ref answeredCount) >= events / 3 && Interlocked.Exchange(ref killed, 1) == 0)
                        first.Kill(); // SIGKILL: no shutdown, leases held, work mid-flight
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException)
                {
                    // Not answered 2xx: Twilio would send it again, and so do we, below.
                }
            });
            await sending;
            await first.Process.WaitForExitAsync();
        }

        first.Dispose();
        var acknowledged = answered.Count(a => a);
        Console.WriteLine($"Crash: {acknowledged} of {events} webhooks answered before kill -9 of the service; PostgreSQL restarting (immediate)");
        await postgres.RestartImmediateAsync();

        using var second = StartService(database.ConnectionString);
        using (var http = second.Client())
        {
            await second.WaitReadyAsync(http);
            Console.WriteLine("PostgreSQL back, a new service ready; sending what was not answered again");
            var again = Enumerable.Range(0, events).Where(i => !answered[i]).ToArray();
            // A redelivery of an answered one too: answered from what is stored, nothing doubled.
            var retried = again.Concat(Enumerable.Range(0, Math.Min(200, events)).Where(i => answered[i])).ToArray();
            var resend = await Measure.RunAsync("redeliveries to the new service", retried.Length, concurrency,
                i => TwilioMessagingScenario.PostAsync(http, messages[retried[i]]));
            Console.WriteLine(resend);
            var drain = Stopwatch.StartNew();
            await DrainAsync(db, TimeSpan.FromMinutes(3));
            Console.WriteLine($"work drained {drain.Elapsed.TotalSeconds:N1} s after the redeliveries (leases of the killed instance ran out meanwhile)");
        }

        await using var connection = await db.OpenConnectionAsync();
        var stored = (long)(await connection.Sql("select count(*) from timeline_events where provider_id like $1", $"SM{run}%").ExecuteScalarAsync())!;
        var doubled = (long)(await connection.Sql("""
            select count(*) from (select provider_id from timeline_events where provider_id like $1 group by provider_id having count(*) > 1) d
            """, $"SM{run}%").ExecuteScalarAsync())!;
        var conversations = (long)(await connection.Sql("""
            select count(distinct conversation_id) from timeline_events where provider_id like $1
            """, $"SM{run}%").ExecuteScalarAsync())!;
        var queuedOnce = (long)(await connection.Sql("""
            select count(*) from (
                select c.id from conversations c
                where c.id in (select conversation_id from timeline_events where provider_id like $1)
                  and (select count(*) from timeline_events q where q.conversation_id = c.id and q.type = 'conversation.queued') = 1) q
            """, $"SM{run}%").ExecuteScalarAsync())!;
        var clocksOnce = (long)(await connection.Sql("""
            select count(*) from (
                select c.id from conversations c
                where c.id in (select conversation_id from timeline_events where provider_id like $1)
                  and (select count(*) from response_clocks r where r.conversation_id = c.id and r.kind = 'first_response') = 1) q
            """, $"SM{run}%").ExecuteScalarAsync())!;
        var left = (long)(await connection.Sql("select count(*) from work_items").ExecuteScalarAsync())!;
        Console.WriteLine($"stored {stored} of {events} messages (every one answered 2xx once, before or after the crash), {doubled} stored twice");
        Console.WriteLine($"{conversations} conversations: {queuedOnce} queued exactly once, {clocksOnce} with exactly one first-response clock; {left} work items left (parked or not)");
        if (stored != events || doubled != 0 || queuedOnce != conversations || clocksOnce != conversations || left != 0)
            throw new InvalidOperationException("Lost or doubled work after kill -9 and a PostgreSQL restart.");
        Console.WriteLine("nothing lost, nothing doubled");
    }

    private static async Task<long> PendingAsync(NpgsqlDataSource db)
    {
        await using var connection = await db.OpenConnectionAsync();
        return (long)(await connection.Sql("select count(*) from work_items where status in ('pending', 'running')").ExecuteScalarAsync())!;
    }

    private static async Task DrainAsync(NpgsqlDataSource db, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                if (await PendingAsync(db) == 0) return;
            }
            catch (NpgsqlException)
            {
                // PostgreSQL is coming back after the restart.
            }

            if (DateTime.UtcNow > deadline) throw new TimeoutException("The work pipeline did not drain.");
            await Task.Delay(20);
        }
    }

    private static ServiceProcess StartService(string connectionString) => ServiceProcess.Start(BenchHosting.RepositoryRoot(), connectionString,
        new Dictionary<string, string>
        {
            ["Twilio__AccountSid"] = TwilioMessagingScenario.AccountSid,
            ["Twilio__AuthToken"] = TwilioMessagingScenario.AuthToken,
            ["Twilio__PublicBaseUrl"] = TwilioMessagingScenario.PublicBase,
        },
        line => Console.Error.WriteLine($"  service: {line}"));

    /// <summary>Samples a process's resident memory every 100 ms.</summary>
    private sealed class PeakMemory : IDisposable
    {
        private readonly Timer _timer;
        private long _peak;

        public PeakMemory(Process process) => _timer = new Timer(_ =>
        {
            try
            {
                process.Refresh();
                var rss = process.WorkingSet64;
                if (rss > Interlocked.Read(ref _peak)) Interlocked.Exchange(ref _peak, rss);
            }
            catch (InvalidOperationException)
            {
                // exited
            }
        }, null, 0, 100);

        public double PeakMegabytes => Interlocked.Read(ref _peak) / 1024.0 / 1024.0;

        public void Dispose() => _timer.Dispose();
    }
}
