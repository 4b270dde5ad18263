using ContactCenter.Core.Reactions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ContactCenter.Core.Notifications;

public static class NotificationServiceCollectionExtensions
{
    /// <summary>Proactive notifications with channel fallback.</summary>
    public static IServiceCollection AddContactCenterNotifications(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<NotificationOptions>(configuration.GetSection("Notifications"));
        services.AddSingleton<NotificationStore>();
        services.AddSingleton<NotificationStepper>();
        services.AddSingleton<ITimelineReaction, NotificationStatusReaction>();
        services.AddSingleton<NotificationWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<NotificationWorker>());
        return services;
    }
}
