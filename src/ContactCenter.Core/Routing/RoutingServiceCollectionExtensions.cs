using ContactCenter.Core.ResponseTargets;
using ContactCenter.Core.Work;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ContactCenter.Core.Routing;

public static class RoutingServiceCollectionExtensions
{
    /// <summary>Queues, agents, assignment and response targets (<c>Routing:*</c>, <c>Sla:*</c>).</summary>
    public static IServiceCollection AddContactCenterRouting(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<RoutingOptions>(configuration.GetSection("Routing"));
        services.Configure<SlaOptions>(configuration.GetSection("Sla"));
        services.AddSingleton<QueueStore>();
        services.AddSingleton<AgentStore>();
        services.AddSingleton<ResponseClocks>();
        services.AddSingleton<ClockChecks>();
        services.AddSingleton<RoutingEngine>();
        services.AddSingleton<AgentStartedConversations>();
        services.AddSingleton<AssignmentPass>();
        services.AddSingleton<RoutingWorker>();
        services.AddSingleton<DeadlineWorker>();
        services.AddSingleton<QueueMonitor>();
        services.AddSingleton<BreachAcknowledgements>();
        services.AddSingleton<AgentDays>();
        services.AddTimelineReaction<RoutingReaction>(RoutingReaction.Types);
        services.AddHostedService(sp => new RoutingSeeder(
            sp.GetRequiredService<IOptions<RoutingOptions>>(), sp.GetRequiredService<QueueStore>(), sp.GetRequiredService<AgentStore>(),
            sp.GetRequiredService<ILogger<RoutingSeeder>>(), configuration));
        services.AddHostedService(sp => sp.GetRequiredService<RoutingWorker>());
        services.AddHostedService(sp => sp.GetRequiredService<DeadlineWorker>());
        return services;
    }
}

/// <summary>
/// Creates the configured queues and agents that do not exist yet, the default queue, and an agent for
/// every agent API key (<c>Auth:ApiKeys:*:AgentId</c>), so a key's agent can set its status at once.
/// Existing rows are left as admins changed them.
/// </summary>
internal sealed partial class RoutingSeeder(
    IOptions<RoutingOptions> routing, QueueStore queueStore, AgentStore agentStore, ILogger<RoutingSeeder> log, IConfiguration configuration)
    : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        var options = routing.Value;
        var queues = options.Queues.Select(q => (q.Key, QueueStore.Normalize(q.Value))).ToList();
        if (!queues.Any(q => q.Item1 == options.DefaultQueue)) queues.Add((options.DefaultQueue, new QueueDefinition()));
        var agents = options.Agents.Select(a => (a.Key, a.Value)).ToList();
        foreach (var key in configuration.GetSection("Auth:ApiKeys").GetChildren())
        {
            if (key["AgentId"] is { Length: > 0 } id && agents.All(a => a.Item1 != id))
                agents.Add((id, new AgentDefinition { Name = key["Name"] }));
        }

        foreach (var (name, definition) in queues)
        {
            if (RoutingValidation.Queue(name, definition).ToList() is { Count: > 0 } errors)
                throw new InvalidOperationException($"Routing:Queues:{name} is invalid: {string.Join(" ", errors)}");
        }

        foreach (var (id, definition) in agents)
        {
            if (RoutingValidation.Agent(id, agentStore.Normalize(definition)).ToList() is { Count: > 0 } errors)
                throw new InvalidOperationException($"Routing:Agents:{id} is invalid: {string.Join(" ", errors)}");
        }

        var createdQueues = await queueStore.SeedAsync(queues, ct);
        var createdAgents = await agentStore.SeedAsync(agents, ct);
        if (createdQueues + createdAgents > 0) LogSeeded(log, createdQueues, createdAgents);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Created {Queues} queues and {Agents} agents from configuration")]
    private static partial void LogSeeded(ILogger logger, int queues, int agents);
}
