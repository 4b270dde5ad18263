using ContactCenter.Channels.Twilio.Messaging;
using ContactCenter.Core.Outbound;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ContactCenter.Channels.Twilio;

public static class TwilioChannel
{
    /// <summary>Twilio options, the REST client, and the SMS/WhatsApp sender for the outbox.</summary>
    public static IServiceCollection AddTwilioChannel(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TwilioOptions>().Bind(configuration.GetSection(TwilioOptions.Section));
        // The client lives as long as the singleton sender: pooled connections are recycled instead of handlers,
        // so DNS changes are still seen. Its own logging is off: our log lines carry codes, never numbers.
        services.AddHttpClient<TwilioRestClient>()
            .UseSocketsHttpHandler((handler, _) => handler.PooledConnectionLifetime = TimeSpan.FromMinutes(2))
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers();
        services.AddSingleton<TwilioMessagingSender>();
        services.AddSingleton<IChannelSender>(sp => sp.GetRequiredService<TwilioMessagingSender>());
        return services;
    }

    /// <summary>
    /// Every Twilio webhook under <c>/webhooks/twilio</c>, all behind the signature filter: routes added to the
    /// returned group later (voice) are checked the same way.
    /// </summary>
    public static RouteGroupBuilder MapTwilioWebhooks(this IEndpointRouteBuilder app)
    {
        var twilio = app.MapGroup(TwilioWebhook.Prefix)
            .AddEndpointFilter<TwilioSignatureFilter>()
            .AllowAnonymous()
            .ExcludeFromDescription();
        twilio.MapMessagingWebhooks();
        return twilio;
    }
}
