extern alias server;

using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ContactCenter.Bench;

/// <summary>
/// The whole service in-process (Hangfire server, pipeline, routing and deadline workers) on the bench database, with
/// Production settings and quiet logs (warnings of the categories appsettings.json names still show) so the figures
/// stand out. Routing does not queue new conversations by itself unless a scenario's settings say so.
/// </summary>
public sealed class BenchService(
    string connectionString, IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection>? services = null)
    : WebApplicationFactory<server::Program>
{
    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.UseContentRoot(BenchHosting.RepositoryRoot());
        builder.UseSetting("ConnectionStrings:ContactCenter", connectionString);
        builder.UseSetting("Logging:LogLevel:Default", "Error");
        builder.UseSetting("Routing:AutoQueue", "false");
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
        if (services is not null) builder.ConfigureTestServices(services);
    }

    /// <summary>A fresh database for one run, so figures never include an earlier run's rows.</summary>
    public static async Task<string> FreshDatabaseAsync(BenchDatabase database, string name)
    {
        var admin = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Pooling = false };
        await using (var connection = new NpgsqlConnection(admin.ConnectionString))
        {
            await connection.OpenAsync();
            await using (var drop = new NpgsqlCommand($"drop database if exists \"{name}\" with (force)", connection)) await drop.ExecuteNonQueryAsync();
            await using (var create = new NpgsqlCommand($"create database \"{name}\"", connection)) await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(database.ConnectionString) { Database = name, MaxPoolSize = 100 }.ConnectionString;
    }

}
