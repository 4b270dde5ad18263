using ContactCenter.Core.Storage;
using Npgsql;

namespace ContactCenter.Server.Hosting;

internal static partial class DatabaseHosting
{
    public const string ConnectionName = "ContactCenter";

    /// <summary>
    /// Registers the one <see cref="NpgsqlDataSource"/>. With no connection string in Development the service
    /// starts its own PostgreSQL (the embedded default) in .data/postgres, kept between runs.
    /// </summary>
    public static async Task AddContactCenterDatabaseAsync(this WebApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString(ConnectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            if (!builder.Environment.IsDevelopment())
                throw new InvalidOperationException(
                    $"ConnectionStrings:{ConnectionName} is not set. Outside Development the service needs a PostgreSQL " +
                    $"connection string (environment variable ConnectionStrings__{ConnectionName}).");

            var folder = builder.Configuration["LocalPostgres:DataDirectory"]
                         ?? Path.Combine(builder.Environment.ContentRootPath, ".data", "postgres");
            var local = await LocalPostgres.StartAsync(folder, "contactcenter", throwaway: false);
            connectionString = local.ConnectionString;
            builder.Services.AddSingleton(local);
            Console.WriteLine($"Embedded PostgreSQL: data in {local.DataDirectory}, listening on 127.0.0.1:{local.Port}");
        }

        var dataSourceBuilder = new NpgsqlDataSourceBuilder(connectionString);
        dataSourceBuilder.ConnectionStringBuilder.ApplicationName ??= "contactcenter";
        // Statements run again and again (the inbox, the work pipeline's claim, routing) are prepared per connection
        // once used a few times: PostgreSQL then plans each once, where planning cost about as much as running them.
        // A connection string that says otherwise (Max Auto Prepare=0 behind a pooler that cannot keep them) wins.
        var keys = connectionString.Replace(" ", "", StringComparison.Ordinal);
        if (!keys.Contains("AutoPrepare", StringComparison.OrdinalIgnoreCase))
            dataSourceBuilder.ConnectionStringBuilder.MaxAutoPrepare = 256;
        // A pooled connection is handed out dozens of times per bot turn; resetting it each time cost seven statements
        // (with prepared statements kept). Nothing here leaves session state behind: transactions are rolled back
        // on return, settings are SET LOCAL, advisory locks are unlocked, the listener unlistens before it returns its connection.
        if (!keys.Contains("NoResetOnClose", StringComparison.OrdinalIgnoreCase))
            dataSourceBuilder.ConnectionStringBuilder.NoResetOnClose = true;
        var dataSource = dataSourceBuilder.Build();
        builder.Services.AddSingleton(dataSource);
    }

    /// <summary>Applies pending migrations before the service takes traffic; a failure stops start-up.</summary>
    public static async Task MigrateDatabaseAsync(this WebApplication app)
    {
        await app.Services.GetRequiredService<MigrationRunner>().MigrateAsync();
        if (app.Services.GetService<LocalPostgres>() is { } local)
            app.Lifetime.ApplicationStopped.Register(() => local.StopAsync().GetAwaiter().GetResult());
    }
}
