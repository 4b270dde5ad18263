using ContactCenter.Core.Timeline;
using ContactCenter.Core.Work;
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
        services.AddSingleton<NotificationCancellation>();
        // The work pipeline starts only reactions registered with their event types.
        services.AddTimelineReaction<NotificationStatusReaction>(TimelineEventTypes.MessageStatus);
        services.AddSingleton<NotificationWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<NotificationWorker>());
        return services;
    }
}
