using ContactCenter.Core.Notifications;
using ContactCenter.Core.Webhooks;

namespace ContactCenter.Server.Hosting;

internal static class IntegrationsHosting
{
    /// <summary>What other systems use: event webhooks out and proactive notifications.</summary>
    public static IServiceCollection AddContactCenterIntegrations(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddContactCenterWebhooks(configuration);
        services.AddContactCenterNotifications(configuration);
        return services;
    }
}
