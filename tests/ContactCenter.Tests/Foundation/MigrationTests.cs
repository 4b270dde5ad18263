using ContactCenter.Core.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ContactCenter.Tests.Foundation;

public class MigrationTests : IAsyncLifetime
{
    private string _connectionString = "";
    private NpgsqlDataSource _db = null!;

    public async Task InitializeAsync()
    {
        // An empty database, not the migrated template.
        var admin = await TestPostgres.AdminConnectionStringAsync();
        var name = $"cc_migrations_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(TestPostgres.NoPool(admin)))
        {
            await connection.OpenAsync();
            await connection.Sql($"create database {name}").ExecuteNonQueryAsync();
        }

        _connectionString = new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
        _db = NpgsqlDataSource.Create(_connectionString);
    }

    public async Task DisposeAsync()
    {
        await _db.DisposeAsync();
        await TestPostgres.DropDatabaseAsync(_connectionString);
    }

    private MigrationRunner Runner() => new(_db, NullLogger<MigrationRunner>.Instance);

    private async Task<List<string>> TablesAsync()
    {
        await using var connection = await _db.OpenConnectionAsync();
        await using var command = connection.Sql("select tablename from pg_tables where schemaname = 'public' order by tablename");
        await using var reader = await command.ExecuteReaderAsync();
        var tables = new List<string>();
        while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
        return tables;
    }

    [Fact]
    public async Task AppliesEveryMigrationOnAnEmptyDatabaseThenNothingOnAMigratedOne()
    {
        var embedded = MigrationRunner.EmbeddedMigrations();
        Assert.NotEmpty(embedded);

        Assert.Equal(embedded.Count, await Runner().MigrateAsync());
        var tables = await TablesAsync();
        foreach (var table in new[] { "customers", "customer_identities", "conversations", "timeline_events", "outbound_messages", "schema_migrations" })
            Assert.Contains(table, tables);

        Assert.Equal(0, await Runner().MigrateAsync());
        Assert.Equal(tables, await TablesAsync());
    }

    [Fact]
    public async Task ConcurrentStartsApplyEachMigrationOnce()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Runner().MigrateAsync()));
        Assert.Equal(MigrationRunner.EmbeddedMigrations().Count, results.Sum());
    }

    [Fact]
    public async Task AFailingMigrationNamesItsFileAndIsRolledBack()
    {
        var migrations = new List<(string, string)>
        {
            ("0001_good.sql", "create table good_one (id int);"),
            ("0002_broken.sql", "create table half_done (id int); select * from no_such_table;"),
        };

        var error = await Assert.ThrowsAsync<MigrationFailedException>(() => Runner().MigrateAsync(migrations));
        Assert.Equal("0002_broken.sql", error.File);
        Assert.Contains("0002_broken.sql", error.Message);
        Assert.Contains("no_such_table", error.Message);
        var tables = await TablesAsync();
        Assert.Contains("good_one", tables);
        Assert.DoesNotContain("half_done", tables);
    }

    [Fact]
    public async Task AnAppliedMigrationThatChangedStopsStartUp()
    {
        await Runner().MigrateAsync([("0001_x.sql", "create table x (id int);")]);
        var error = await Assert.ThrowsAsync<MigrationFailedException>(() =>
            Runner().MigrateAsync([("0001_x.sql", "create table x (id bigint);")]));
        Assert.Contains("changed after it was applied", error.Message);
    }
}
