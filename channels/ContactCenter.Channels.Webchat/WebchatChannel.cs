using ContactCenter.Core.Channels;
using ContactCenter.Core.Flows;
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
        services.AddSingleton<VisitorsOnPage>();
        services.AddHostedService(sp => sp.GetRequiredService<VisitorsOnPage>());
        services.AddSingleton<OfflineAnswers>();
        services.AddSingleton<IChannelSender, WebchatSender>();
        services.AddTimelineReaction<WidgetRouting>(WidgetRouting.Types);
        return services;
    }

    /// <summary>Each widget's own bot (<c>Webchat:Widgets:&lt;id&gt;:Bot</c>), for the flow catalog to load and check. A widget's
    /// conversations have the widget id as their company address.</summary>
    public static IEnumerable<AddressBot> AddressBots(IConfiguration configuration)
    {
        var options = configuration.GetSection(WebchatOptions.Section).Get<WebchatOptions>() ?? new WebchatOptions();
        foreach (var (id, widget) in options.Widgets)
            if (!string.IsNullOrWhiteSpace(widget.Bot))
                yield return new AddressBot(Channel.Webchat, id, widget.Bot, $"Webchat:Widgets:{id}:Bot");
    }
}
