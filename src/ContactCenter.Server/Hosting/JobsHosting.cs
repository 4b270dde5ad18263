using ContactCenter.Core.Outbound;
using Hangfire;
using Hangfire.PostgreSql;
using Npgsql;

namespace ContactCenter.Server.Hosting;

public sealed class JobsOptions
{
    public int WorkerCount { get; set; } = Math.Min(20, Environment.ProcessorCount * 5);
    /// <summary>Off for tools and tests that only need to enqueue.</summary>
    public bool RunServer { get; set; } = true;
}

internal static class JobsHosting
{
    /// <summary>
    /// Hangfire on the service's PostgreSQL (schema <c>hangfire</c>), a server in every instance. Storage and
    /// clients are built per host from our data source rather than from Hangfire's static configuration, so
    /// several hosts in one process (the tests) never share a storage by accident.
    /// </summary>
    public static IServiceCollection AddContactCenterJobs(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<JobsOptions>(configuration.GetSection("Jobs"));
        services.AddSingleton<JobStorage>(sp => new PostgreSqlStorage(
            new DataSourceConnectionFactory(sp.GetRequiredService<NpgsqlDataSource>()),
            new PostgreSqlStorageOptions
            {
                SchemaName = "hangfire",
                PrepareSchemaIfNecessary = true,
                // LISTEN/NOTIFY wakes a worker as soon as a job is enqueued; the poll interval is only the
                // fallback. Response targets need their breach recorded within about a second.
                EnableLongPolling = true,
                QueuePollInterval = TimeSpan.FromSeconds(1),
                // Jobs are short; a job whose worker died is taken again after this.
                InvisibilityTimeout = TimeSpan.FromMinutes(5),
                UseSlidingInvisibilityTimeout = true,
                DistributedLockTimeout = TimeSpan.FromMinutes(1),
            }));
        services.AddHangfire(config => config
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings());

        var options = configuration.GetSection("Jobs").Get<JobsOptions>() ?? new JobsOptions();
        if (options.RunServer)
        {
            services.AddHangfireServer((sp, server) =>
            {
                server.WorkerCount = options.WorkerCount;
                // Scheduled jobs (response-target warnings and breaches, retries) are moved to the queue by
                // this poller; Hangfire's default of 15 s would make a breach up to 15 s late.
                server.SchedulePollingInterval = TimeSpan.FromSeconds(1);
                server.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..6]}";
            });
        }

        return services;
    }

    public static void ScheduleRecurringJobs(this WebApplication app)
    {
        var recurring = app.Services.GetRequiredService<IRecurringJobManager>();
        recurring.AddOrUpdate<OutboxDispatcher>("outbox-sweep", d => d.SweepAsync(CancellationToken.None), Cron.Minutely());
    }

    private sealed class DataSourceConnectionFactory(NpgsqlDataSource dataSource) : IConnectionFactory
    {
        public NpgsqlConnection GetOrCreateConnection() => dataSource.CreateConnection();
    }
}
