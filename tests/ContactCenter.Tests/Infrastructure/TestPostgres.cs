using ContactCenter.Core.Storage;
using Hangfire.PostgreSql;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ContactCenter.Tests.Infrastructure;

/// <summary>
/// The one PostgreSQL server of a test run: a throwaway cluster (fsync off) started from the machine's
/// PostgreSQL binaries, or the server named by CONTACTCENTER_TEST_DATABASE (its user must be allowed to
/// CREATE DATABASE). A template database is migrated once; every test class gets its own copy.
/// </summary>
public static class TestPostgres
{
    public const string TemplateName = "cc_template";
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _adminConnectionString;
    private static LocalPostgres? _local;
    private static int _counter;

    public static async Task<string> AdminConnectionStringAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_adminConnectionString is not null) return _adminConnectionString;
            var configured = Environment.GetEnvironmentVariable("CONTACTCENTER_TEST_DATABASE");
            if (!string.IsNullOrWhiteSpace(configured))
            {
                _adminConnectionString = configured;
            }
            else
            {
                _local = await LocalPostgres.StartThrowawayAsync("postgres");
                AppDomain.CurrentDomain.ProcessExit += (_, _) => _local.StopAsync().GetAwaiter().GetResult();
                _adminConnectionString = _local.ConnectionString;
            }

            await CreateTemplateAsync(_adminConnectionString);
            return _adminConnectionString;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>A new database copied from the migrated template.</summary>
    public static async Task<string> CreateDatabaseAsync(string purpose)
    {
        var admin = await AdminConnectionStringAsync();
        var name = $"cc_{Sanitize(purpose)}_{Environment.ProcessId}_{Interlocked.Increment(ref _counter)}";
        await using (var connection = new NpgsqlConnection(NoPool(admin)))
        {
            await connection.OpenAsync();
            await connection.Sql($"drop database if exists \"{name}\" with (force)").ExecuteNonQueryAsync();
            // Cloning needs the template to have no other sessions; nothing keeps one open after set-up.
            await connection.Sql($"create database \"{name}\" template {TemplateName}").ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(admin) { Database = name, MaxPoolSize = 50 }.ConnectionString;
    }

    public static async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(NoPool(await AdminConnectionStringAsync()));
        await connection.OpenAsync();
        await connection.Sql($"drop database if exists \"{name}\" with (force)").ExecuteNonQueryAsync();
    }

    private static async Task CreateTemplateAsync(string admin)
    {
        await using (var connection = new NpgsqlConnection(NoPool(admin)))
        {
            await connection.OpenAsync();
            await connection.Sql($"drop database if exists {TemplateName} with (force)").ExecuteNonQueryAsync();
            await connection.Sql($"create database {TemplateName}").ExecuteNonQueryAsync();
        }

        var template = new NpgsqlConnectionStringBuilder(NoPool(admin)) { Database = TemplateName }.ConnectionString;
        await using (var dataSource = NpgsqlDataSource.Create(template))
        {
            await new MigrationRunner(dataSource, NullLogger<MigrationRunner>.Instance).MigrateAsync();
        }

        await using (var connection = new NpgsqlConnection(template))
        {
            await connection.OpenAsync();
            PostgreSqlObjectsInstaller.Install(connection, "hangfire");
        }
    }

    public static string NoPool(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;

    private static string Sanitize(string purpose) =>
        new string(purpose.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).Take(30).ToArray());
}
