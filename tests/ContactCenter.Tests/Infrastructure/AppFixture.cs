using ContactCenter.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ContactCenter.Tests.Infrastructure;

/// <summary>
/// A test class's own database (a copy of the migrated template) and the service running on it. Test
/// classes call <see cref="ResetAsync"/> before each test, so every test starts from empty tables.
/// Subclass to change settings or services.
/// </summary>
public class AppFixture : IAsyncLifetime
{
    private ContactCenterApp? _app;
    private NpgsqlDataSource? _db;

    public ContactCenterApp App => _app ?? throw new InvalidOperationException("The fixture is not initialized.");

    /// <summary>A data source of the test's own, for set-up and for checking what was stored.</summary>
    public NpgsqlDataSource Db => _db ?? throw new InvalidOperationException("The fixture is not initialized.");

    public string ConnectionString { get; private set; } = "";

    protected virtual IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>();

    /// <summary>True for fixtures a real browser talks to: the service listens on a loopback port (<see cref="BaseAddress"/>).</summary>
    protected virtual bool OnRealPort => false;

    public Uri BaseAddress => App.BaseAddress ?? throw new InvalidOperationException("This fixture runs on the in-memory test server; override OnRealPort.");

    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    public virtual async Task InitializeAsync()
    {
        ConnectionString = await TestPostgres.CreateDatabaseAsync(GetType().Name);
        _db = NpgsqlDataSource.Create(ConnectionString);
        _app = new ContactCenterApp(ConnectionString, Settings, ConfigureServices);
        // Start the host (migrations, Hangfire, workers) now, not in the first test.
        if (OnRealPort) _app.StartOnRealPort();
        else _ = _app.Server;
    }

    public virtual async Task DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        if (_db is not null) await _db.DisposeAsync();
        await TestPostgres.DropDatabaseAsync(ConnectionString);
    }

    /// <summary>Empties every table the service writes (schema and recurring-job definitions stay).</summary>
    public async Task ResetAsync()
    {
        // TRUNCATE locks its tables one after another while the host's workers (Hangfire, reactions) hold
        // locks in their own order; when PostgreSQL picks the reset as the deadlock victim, try again.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await TruncateAsync();
                return;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DeadlockDetected && attempt < 5)
            {
                await Task.Delay(50 * attempt);
            }
        }
    }

    private async Task TruncateAsync()
    {
        await using var connection = await Db.OpenConnectionAsync();
        await connection.Sql("""
            do $$ begin
                execute (
                    select 'truncate ' || string_agg(format('%I.%I', schemaname, tablename), ', ') || ' cascade'
                    from pg_tables
                    where (schemaname = 'public' and tablename not in ('schema_migrations', 'data_protection_keys'))
                       or (schemaname = 'hangfire' and tablename in ('job', 'jobparameter', 'jobqueue', 'state', 'set', 'list', 'counter', 'aggregatedcounter')));
            end $$;
            """).ExecuteNonQueryAsync();
    }
}

public static class JobDiagnostics
{
    /// <summary>What Hangfire holds in a test database: for failure messages when a job never ran.</summary>
    public static async Task<string> DescribeAsync(NpgsqlDataSource db)
    {
        await using var connection = await db.OpenConnectionAsync();
        await using var command = connection.Sql("""
            select j.id, j.statename, j.invocationdata::text, coalesce(s.reason, ''), coalesce(s.data::text, ''),
                   (select count(*) from hangfire.jobqueue q where q.jobid = j.id), (select string_agg(id || '@' || to_char(lastheartbeat, 'HH24:MI:SS'), ',') from hangfire.server)
            from hangfire.job j left join hangfire.state s on s.id = j.stateid order by j.id
            """);
        await using var reader = await command.ExecuteReaderAsync();
        var lines = new List<string>();
        while (await reader.ReadAsync())
            lines.Add($"job {reader.GetInt64(0)} {reader.GetString(1)} queued={reader.GetInt64(5)} {reader.GetString(3)} {reader.GetString(4)[..Math.Min(300, reader.GetString(4).Length)]} | {reader.GetString(2)[..Math.Min(200, reader.GetString(2).Length)]} servers={reader.GetValue(6)}");
        return lines.Count == 0 ? "no Hangfire jobs" : string.Join("\n", lines);
    }
}
