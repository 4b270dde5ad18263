using System.Diagnostics;
using System.Text.Json;
using ContactCenter.Core.Flows;
using ContactCenter.Core.Storage;
using Npgsql;

namespace ContactCenter.Bench;

/// <summary>
/// Flows: the pure engine walking the shipped main IVR (language → main menu → billing → hold), then the same
/// walk as stored turns (<see cref="FlowSessionStore"/>: read, step, versioned update), against a bare baseline
/// of one keyed SELECT plus one versioned UPDATE of a comparable jsonb row, at the same concurrency.
/// </summary>
public static class FlowScenario
{
    private static readonly FlowInput[] Walk = [new FlowInput.Digits("1"), new FlowInput.Speech("billing"), new FlowInput.Digits("2")];

    public static async Task RunAsync(BenchDatabase database, int calls, int[] concurrencies)
    {
        var catalog = FlowCatalog.Load(BenchHosting.RepositoryRoot(), new FlowOptions { Voice = "main-ivr" });
        var flow = catalog.Voice!;
        var clock = new FixedClock(DateTimeOffset.Parse("2026-11-23T15:00:00Z")); // a Monday, open
        var driver = new FlowDriver([], clock);

        EngineOnly(flow, clock.GetUtcNow(), 2000); // warm-up
        var engine = EngineOnly(flow, clock.GetUtcNow(), 50_000);
        Console.WriteLine($"Flows: pure engine, main IVR walk of 4 turns, 1 thread: {engine.TotalMicroseconds / (50_000 * 4.0):N1} µs per turn");

        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            await connection.Sql("""
                create table if not exists bench_flow_baseline (
                    session_key text primary key, node text not null, variables jsonb not null, last_step jsonb not null, version integer not null)
                """).ExecuteNonQueryAsync();
        }

        var store = new FlowSessionStore(dataSource, catalog, driver, TimeProvider.System);
        // The baseline writes rows of the same size: a real main-menu turn, serialized as the store does.
        var sample = FlowEngine.Step(flow, FlowEngine.Start(flow, FlowStart.Empty, clock.GetUtcNow()).State, Walk[0], clock.GetUtcNow());
        var variablesJson = JsonSerializer.Serialize(sample.State.Variables, FlowSessionStore.Json);
        var stepJson = JsonSerializer.Serialize(new { sample.Prompts, sample.Expect, sample.Actions, sample.Events }, FlowSessionStore.Json);
        foreach (var concurrency in concurrencies)
        {
            var run = Guid.NewGuid().ToString("N")[..8];
            await Measure.RunAsync("warm-up", 200, concurrency, i => BaselineAsync(dataSource, $"w{run}:{i}", variablesJson, stepJson));
            await Measure.RunAsync("warm-up", 200, concurrency, i => StoredAsync(store, $"w{run}:{i}"));

            var baseline = await Measure.RunAsync("bare SELECT + versioned UPDATE x4", calls, concurrency,
                i => BaselineAsync(dataSource, $"{run}:{i}", variablesJson, stepJson));
            var stored = await Measure.RunAsync("stored call: start + 3 steps", calls, concurrency, i => StoredAsync(store, $"{run}:{i}"));
            Console.WriteLine($"Flows: {calls} calls of 4 turns, concurrency {concurrency} (latency is per call)");
            Console.WriteLine(baseline);
            Console.WriteLine(stored);
            Console.WriteLine($"stored / baseline throughput: {stored.PerSecond / baseline.PerSecond:P0}; per turn p50 {stored.P50 / 4:N2} ms, p99 {stored.P99 / 4:N2} ms");
        }
    }

    private static TimeSpan EngineOnly(Flow flow, DateTimeOffset now, int iterations)
    {
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++)
        {
            var step = FlowEngine.Start(flow, FlowStart.Empty, now);
            foreach (var input in Walk) step = FlowEngine.Step(flow, step.State, input, now);
            if (!step.Ended) throw new InvalidOperationException("The walk did not reach the queue.");
        }

        return watch.Elapsed;
    }

    private static async Task StoredAsync(FlowSessionStore store, string key)
    {
        var result = await store.StartAsync(key, "main-ivr", FlowStart.Empty, CancellationToken.None);
        var version = 1;
        foreach (var input in Walk)
        {
            result = await store.StepAsync(key, input, version++, CancellationToken.None);
            if (result is not FlowTurnResult.Advanced) throw new InvalidOperationException($"Turn refused: {result}");
        }
    }

    /// <summary>The least a stored turn needs: read the row by key, write it back if its version did not move.</summary>
    private static async Task BaselineAsync(NpgsqlDataSource dataSource, string key, string variables, string step)
    {
        await using (var insert = dataSource.CreateCommand(
                         "insert into bench_flow_baseline values ($1, 'start', $2, $3, 1)"))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = key });
            insert.Parameters.Add(Db.Jsonb(variables));
            insert.Parameters.Add(Db.Jsonb(step));
            await insert.ExecuteNonQueryAsync();
        }

        for (var turn = 1; turn < 4; turn++)
        {
            await using (var read = dataSource.CreateCommand("select node, variables::text, version from bench_flow_baseline where session_key = $1"))
            {
                read.Parameters.Add(new NpgsqlParameter { Value = key });
                await using var reader = await read.ExecuteReaderAsync();
                await reader.ReadAsync();
            }

            await using var update = dataSource.CreateCommand(
                "update bench_flow_baseline set node = $2, variables = $3, last_step = $4, version = version + 1 where session_key = $1 and version = $5");
            update.Parameters.Add(new NpgsqlParameter { Value = key });
            update.Parameters.Add(new NpgsqlParameter { Value = $"node-{turn}" });
            update.Parameters.Add(Db.Jsonb(variables));
            update.Parameters.Add(Db.Jsonb(step));
            update.Parameters.Add(new NpgsqlParameter { Value = turn });
            await update.ExecuteNonQueryAsync();
        }
    }


    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
