using System.Net;
using ContactCenter.Core.Storage;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ContactCenter.Tests.Foundation;

/// <summary>The Development default: no connection string, so the service runs its own PostgreSQL.</summary>
public sealed class EmbeddedPostgresTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"cc-embedded-{Guid.NewGuid():N}");

    private sealed class DevelopmentApp(string folder) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Development");
            builder.UseContentRoot(ContactCenterApp.RepositoryRoot);
            builder.UseSetting("ConnectionStrings:ContactCenter", "");
            builder.UseSetting("LocalPostgres:DataDirectory", folder);
            builder.UseSetting("Jobs:WorkerCount", "1");
            builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        }
    }

    [Fact]
    public async Task StartsItsOwnPostgresKeepsDataBetweenRunsAndStopsItOnShutdown()
    {
        string connectionString;
        await using (var first = new DevelopmentApp(_folder))
        {
            var ready = await first.CreateClient().GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            connectionString = first.Services.GetRequiredService<NpgsqlDataSource>().ConnectionString;
            Assert.Contains("127.0.0.1", connectionString);
            await using var connection = new NpgsqlConnection(connectionString + ";Password=" + await File.ReadAllTextAsync(Path.Combine(_folder, "password")));
            await connection.OpenAsync();
            await connection.Sql("insert into customers (id, name, created_at) values ($1, 'Kept', now())", Guid.NewGuid()).ExecuteNonQueryAsync();
        }

        // Stopped on shutdown: the server's pid file is gone.
        await TestSupport.EventuallyAsync(() => Task.FromResult(!File.Exists(Path.Combine(_folder, "pgdata", "postmaster.pid"))),
            "the embedded PostgreSQL stopped");

        await using (var second = new DevelopmentApp(_folder))
        {
            // A dev API key from the top-level appsettings.Development.json works: it is the file Development loads.
            var client = second.CreateClient();
            client.DefaultRequestHeaders.Authorization = new("Bearer", "dev-admin-key-0001");
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/conversations")).StatusCode);
            var dataSource = second.Services.GetRequiredService<NpgsqlDataSource>();
            await using var connection = await dataSource.OpenConnectionAsync();
            Assert.Equal("Kept", await connection.Sql("select name from customers").ExecuteScalarAsync());
        }
    }

    public void Dispose()
    {
        // Only the test's own folder; the cluster was stopped by the host.
        try { Directory.Delete(_folder, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
