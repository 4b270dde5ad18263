using ContactCenter.Core.Outbound;
using ContactCenter.Core.Work;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ContactCenter.Channels.Webchat;

public static class WebchatChannel
{
    /// <summary>
    /// The website chat widget (<c>Webchat:*</c>): visitor sessions, their live feed, the sender and the widgets' queues.
    /// The host maps the visitor API under <c>/webchat</c>.
    /// </summary>
    public static IServiceCollection AddWebchatChannel(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WebchatOptions>().Bind(configuration.GetSection(WebchatOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<WebchatOptions>, WebchatChecks>();
        services.AddSingleton<VisitorStore>();
        services.AddSingleton<VisitorTimeline>();
        services.AddSingleton<VisitorIdentity>();
        services.AddSingleton<WebchatPresence>();
        services.AddSingleton<WebchatReads>();
        services.AddSingleton<WebchatFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<WebchatFeed>());
        services.AddSingleton<IChannelSender, WebchatSender>();
        services.AddTimelineReaction<WidgetRouting>(WidgetRouting.Types);
        return services;
    }
}
