using ContactCenter.Core;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Inbound;
using ContactCenter.Core.Storage;
using Hangfire;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ContactCenter.Bench;

/// <summary>
/// Foundation: inbound events appended through the core path (resolve customer, find or open the
/// conversation, append the event, one transaction, idempotent) against a bare single-row INSERT of a
/// comparable row, in the same run, at the same concurrency.
/// </summary>
public static class InboundScenario
{
    public static async Task RunAsync(BenchDatabase database, int events, int concurrency, int customers)
    {
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        await EnsureBaselineTableAsync(dataSource);

        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton(dataSource)
            .AddSingleton<IBackgroundJobClient>(_ => throw new InvalidOperationException("not used by the inbound path"))
            .AddContactCenterCore(new ConfigurationBuilder().Build())
            .BuildServiceProvider();
        var inbox = services.GetRequiredService<Inbox>();
        var run = Guid.NewGuid().ToString("N")[..8];
        var customerIds = Enumerable.Range(0, customers).Select(_ => Guid.NewGuid()).ToArray();

        // Warm both paths (connections, JIT, plans) before measuring.
        await Measure.RunAsync("warm-up", 500, concurrency, i => BaselineAsync(dataSource, customerIds, $"w{run}", i));
        await Measure.RunAsync("warm-up", 500, concurrency, i => CoreAsync(inbox, customers, $"w{run}", i));

        var baseline = await Measure.RunAsync("bare single INSERT (baseline)", events, concurrency,
            i => BaselineAsync(dataSource, customerIds, run, i));
        var core = await Measure.RunAsync("core inbound path (Inbox)", events, concurrency,
            i => CoreAsync(inbox, customers, run, i));
        var duplicates = await Measure.RunAsync("core path, retried deliveries", events / 4, concurrency,
            i => CoreAsync(inbox, customers, run, i));

        Console.WriteLine($"Inbound: {events} events, concurrency {concurrency}, {customers} customers (sms numbers)");
        Console.WriteLine(baseline);
        Console.WriteLine(core);
        Console.WriteLine(duplicates);
        Console.WriteLine($"core / baseline throughput: {core.PerSecond / baseline.PerSecond:P0}; p50 x{core.P50 / baseline.P50:N1}, p99 x{core.P99 / baseline.P99:N1}");
    }

    /// <summary>The baseline's table: a row comparable to a timeline event, no foreign keys, one unique key.</summary>
    public static async Task EnsureBaselineTableAsync(NpgsqlDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.Sql("""
            create table if not exists bench_baseline (
                id bigint generated always as identity primary key, customer_id uuid not null, occurred_at timestamptz not null,
                text text, dedupe_key text unique, data jsonb not null default '{}')
            """).ExecuteNonQueryAsync();
    }

    public static async Task BaselineAsync(NpgsqlDataSource dataSource, Guid[] customers, string run, int i)
    {
        await using var command = dataSource.CreateCommand(
            "insert into bench_baseline (customer_id, occurred_at, text, dedupe_key, data) values ($1, $2, $3, $4, $5)");
        command.Parameters.Add(new NpgsqlParameter { Value = customers[i % customers.Length] });
        command.Parameters.Add(new NpgsqlParameter { Value = DateTimeOffset.UtcNow });
        command.Parameters.Add(new NpgsqlParameter { Value = $"message {i}" });
        command.Parameters.Add(new NpgsqlParameter { Value = $"bench:{run}:{i}" });
        command.Parameters.Add(Db.Jsonb("""{"numSegments":"1"}"""));
        await command.ExecuteNonQueryAsync();
    }

    private static Task CoreAsync(Inbox inbox, int customers, string run, int i) =>
        inbox.ReceiveAsync(new InboundEvent
        {
            Channel = Channel.Sms,
            Address = $"+1415555{i % customers:D4}",
            Provider = "bench",
            ProviderEventId = $"{run}:{i}",
            OccurredAt = DateTimeOffset.UtcNow,
            Text = $"message {i}",
            CompanyAddress = "+18005551212",
            Data = new System.Text.Json.Nodes.JsonObject { ["numSegments"] = "1" },
        }, CancellationToken.None);
}
