using System.Threading.Channels;
using ContactCenter.Core.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ContactCenter.Tests.Infrastructure;

/// <summary>The instance's one LISTEN connection, against a real PostgreSQL.</summary>
public sealed class PostgresListenerTests : IAsyncLifetime
{
    private string _connectionString = "";
    private NpgsqlDataSource? _db;

    public async Task InitializeAsync()
    {
        _connectionString = await TestPostgres.CreateDatabaseAsync(nameof(PostgresListenerTests));
        _db = NpgsqlDataSource.Create(_connectionString);
    }

    public async Task DisposeAsync()
    {
        if (_db is not null) await _db.DisposeAsync();
        await TestPostgres.DropDatabaseAsync(_connectionString);
    }

    [Fact]
    public async Task A_subscriber_that_throws_stops_neither_the_others_nor_the_listener()
    {
        using var listener = new PostgresListener(_db!, NullLogger<PostgresListener>.Instance);
        var heard = Channel.CreateUnbounded<string>();
        var connected = Channel.CreateUnbounded<bool>();
        var thrown = 0;
        using var faulty = listener.Subscribe("cc_test", _ => { Interlocked.Increment(ref thrown); throw new FormatException("a subscriber's bug"); },
            () => throw new InvalidOperationException("and on reconnect too"));
        using var healthy = listener.Subscribe("cc_test", p => heard.Writer.TryWrite(p), () => connected.Writer.TryWrite(true));
        await listener.StartAsync(default);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await connected.Reader.ReadAsync(timeout.Token);

        foreach (var payload in new[] { "one", "two" })
        {
            await using var connection = await _db!.OpenConnectionAsync();
            await connection.Sql("select pg_notify('cc_test', $1)", payload).ExecuteNonQueryAsync();
            Assert.Equal(payload, await heard.Reader.ReadAsync(timeout.Token));
        }

        Assert.Equal(2, Volatile.Read(ref thrown));
        Assert.NotNull(listener.ExecuteTask);
        Assert.False(listener.ExecuteTask!.IsCompleted);
        await listener.StopAsync(default);
    }
}
