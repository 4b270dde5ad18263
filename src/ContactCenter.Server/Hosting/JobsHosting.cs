using ContactCenter.Core.Outbound;
using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.PostgreSql;
using Npgsql;

namespace ContactCenter.Server.Hosting;

public sealed class JobsOptions
{
    [System.ComponentModel.DataAnnotations.Range(1, 1000)]
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
                // Idle workers look for queued jobs this often. Response targets need a breach recorded within
                // about a second of its deadline, and the scheduler below adds up to its own interval.
                // Long polling (LISTEN/NOTIFY) stays off: when its listening connection drops (a database
                // restart, a failover), queued jobs sit until the invisibility timeout (Hangfire.PostgreSql
                // issue #410), which we reproduced in our tests.
                EnableLongPolling = false,
                QueuePollInterval = TimeSpan.FromMilliseconds(500),
                // Jobs are short; a job whose worker died is taken again after this.
                InvisibilityTimeout = TimeSpan.FromMinutes(5),
                UseSlidingInvisibilityTimeout = true,
                DistributedLockTimeout = TimeSpan.FromMinutes(1),
            }));
        // Hangfire's default activator is the static JobActivator.Current, overwritten by every host that starts:
        // with two hosts in one process a job would be built from the other host's container (and database).
        services.AddSingleton<JobActivator>(sp => new AspNetCoreJobActivator(sp.GetRequiredService<IServiceScopeFactory>()));
        services.AddSingleton(sp => new HangfireLogAttachment(HangfireLogBridge.Instance.Attach(sp.GetRequiredService<ILoggerFactory>())));
        services.AddHangfire((sp, config) =>
        {
            sp.GetRequiredService<HangfireLogAttachment>();
            config.SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
                .UseSimpleAssemblyNameTypeSerializer()
                .UseRecommendedSerializerSettings()
                .UseLogProvider(HangfireLogBridge.Instance);
        });

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

    /// <summary>Detaches the host's logger factory from Hangfire's static logging when the host is disposed.</summary>
    private sealed class HangfireLogAttachment(IDisposable attachment) : IDisposable
    {
        public void Dispose() => attachment.Dispose();
    }

    private sealed class DataSourceConnectionFactory(NpgsqlDataSource dataSource) : IConnectionFactory
    {
        public NpgsqlConnection GetOrCreateConnection() => dataSource.CreateConnection();
    }
}
