using ContactCenter.Core.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ContactCenter.Bench;

/// <summary>
/// The benchmark's PostgreSQL: CONTACTCENTER_BENCH_DATABASE when set, else a throwaway local cluster
/// (fsync off unless --durable, which keeps the server's default durability).
/// </summary>
public sealed class BenchDatabase : IAsyncDisposable
{
    private readonly LocalPostgres? _local;

    private BenchDatabase(string connectionString, LocalPostgres? local)
    {
        ConnectionString = connectionString;
        _local = local;
    }

    public string ConnectionString { get; }

    /// <summary>The throwaway cluster (null when CONTACTCENTER_BENCH_DATABASE points elsewhere).</summary>
    public LocalPostgres? Local => _local;

    public static async Task<BenchDatabase> StartAsync(bool durable)
    {
        var configured = Environment.GetEnvironmentVariable("CONTACTCENTER_BENCH_DATABASE");
        BenchDatabase database;
        if (!string.IsNullOrWhiteSpace(configured))
        {
            database = new BenchDatabase(configured, null);
        }
        else
        {
            var local = await LocalPostgres.StartThrowawayAsync("bench", fsync: durable);
            database = new BenchDatabase(
                new NpgsqlConnectionStringBuilder(local.ConnectionString) { MaxPoolSize = 200 }.ConnectionString, local);
        }

        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        await new MigrationRunner(dataSource, NullLogger<MigrationRunner>.Instance).MigrateAsync();
        return database;
    }

    public async ValueTask DisposeAsync()
    {
        if (_local is not null) await _local.StopAsync();
    }
}
