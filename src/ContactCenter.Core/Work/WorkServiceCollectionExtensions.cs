using ContactCenter.Core.Reactions;
using ContactCenter.Core.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ContactCenter.Core.Work;

public static class WorkServiceCollectionExtensions
{
    /// <summary>The work pipeline (<c>Work:*</c>) and the instance's one PostgreSQL listener.</summary>
    public static IServiceCollection AddContactCenterWork(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<WorkOptions>(configuration.GetSection("Work"));
        services.AddOptions<ReactionTypes>();
        services.AddSingleton<PostgresListener>();
        services.AddHostedService(sp => sp.GetRequiredService<PostgresListener>());
        services.AddSingleton<ReactionRegistry>();
        services.AddSingleton<WorkStore>();
        services.AddSingleton<WorkParking>();
        services.AddSingleton<WorkRunner>();
        services.AddSingleton<IWorkHandler, EventWork>();
        services.AddSingleton<WorkPipeline>();
        services.AddHostedService(sp => sp.GetRequiredService<WorkPipeline>());
        return services;
    }

    /// <summary>
    /// A reaction to stored events of <paramref name="eventTypes"/> (its <see cref="ITimelineReaction.EventTypes"/>):
    /// the timeline writes a work row for those types in the event's transaction.
    /// </summary>
    public static IServiceCollection AddTimelineReaction<T>(this IServiceCollection services, params string[] eventTypes)
        where T : class, ITimelineReaction
    {
        services.Configure<ReactionTypes>(t => t.EventTypes.UnionWith(eventTypes));
        services.AddSingleton<ITimelineReaction, T>();
        return services;
    }

    /// <summary>The same for a reaction instance (tests).</summary>
    public static IServiceCollection AddTimelineReaction(this IServiceCollection services, ITimelineReaction reaction)
    {
        services.Configure<ReactionTypes>(t => t.EventTypes.UnionWith(reaction.EventTypes));
        services.AddSingleton(reaction);
        return services;
    }
}
