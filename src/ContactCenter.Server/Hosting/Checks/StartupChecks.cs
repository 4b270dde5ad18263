using ContactCenter.Channels.Email;
using ContactCenter.Channels.Meta;
using ContactCenter.Channels.Telegram;
using ContactCenter.Channels.Twilio;
using ContactCenter.Channels.Twilio.Voice;
using ContactCenter.Core.Bot;
using ContactCenter.Core.Customers;
using ContactCenter.Core.Flows;
using ContactCenter.Core.Notifications;
using ContactCenter.Core.Outbound;
using ContactCenter.Core.Work;
using ContactCenter.Core.ResponseTargets;
using ContactCenter.Core.Routing;
using ContactCenter.Core.Webhooks;
using Microsoft.Extensions.Options;

namespace ContactCenter.Server.Hosting.Checks;

public static class StartupChecks
{
    /// <summary>
    /// Every options class is validated when the host starts (<c>ValidateOnStart</c>): a service that cannot work
    /// refuses to start with every problem, each naming its configuration key. Registered last, after the
    /// routing seeder, so the queue check sees the seeded queues.
    /// </summary>
    public static IServiceCollection AddContactCenterStartupChecks(this IServiceCollection services)
    {
        Check<TwilioOptions, TwilioChecks>(services);
        Check<VoiceOptions, VoiceChecks>(services);
        Check<TelegramOptions, TelegramChecks>(services);
        Check<MetaOptions, MetaChecks>(services);
        Check<SlaOptions, SlaChecks>(services);
        Check<RoutingOptions, RoutingChecks>(services);
        Check<BotOptions, BotChecks>(services);
        Check<AddressOptions, AddressChecks>(services);
        Check<FlowOptions, FlowChecks>(services);
        Check<WorkOptions, WorkChecks>(services);
        Check<OutboxOptions, OutboxChecks>(services);
        Check<JobsOptions, JobsChecks>(services);
        Check<PrometheusOptions, PrometheusChecks>(services);
        Check<EmailOptions, EmailChecks>(services);
        Check<WebhookOptions, WebhookChecks>(services);
        Check<NotificationOptions, NotificationChecks>(services);
        services.AddHostedService<QueueReferences>();
        return services;
    }

    private static void Check<TOptions, TChecks>(IServiceCollection services)
        where TOptions : class where TChecks : class, IValidateOptions<TOptions>
    {
        services.AddOptions<TOptions>().ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>, TChecks>();
    }
}
