using ContactCenter.Channels.Twilio.Messaging;
using ContactCenter.Channels.Twilio.Voice;
using ContactCenter.Core.Outbound;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ContactCenter.Channels.Twilio;

public static partial class TwilioChannel
{
    /// <summary>Twilio options, the REST client, and the SMS/WhatsApp sender for the outbox.</summary>
    public static IServiceCollection AddTwilioChannel(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TwilioOptions>().Bind(configuration.GetSection(TwilioOptions.Section));
        // The client lives as long as the singleton sender: pooled connections are recycled instead of handlers,
        // so DNS changes are still seen. Its own logging is off: our log lines carry codes, never numbers.
        services.AddTransient<TwilioApiHandler>();
        services.AddHttpClient<TwilioRestClient>()
            .AddHttpMessageHandler<TwilioApiHandler>()
            .UseSocketsHttpHandler((handler, _) => handler.PooledConnectionLifetime = TimeSpan.FromMinutes(2))
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers();
        services.TryAddSingleton<ProviderMessageIds>();
        services.AddSingleton<TwilioMessagingSender>();
        services.AddSingleton<IChannelSender>(sp => sp.GetRequiredService<TwilioMessagingSender>());
        services.AddTwilioVoice(configuration);
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
        twilio.MapVoiceWebhooks();

        var settings = app.ServiceProvider.GetRequiredService<IOptions<TwilioOptions>>().Value;
        var log = app.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(TwilioChannel));
        if (!settings.HasCredentials) LogNotConfigured(log);
        else if (settings.PublicBase is null) LogNoPublicUrl(log);
        return twilio;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Twilio is not configured (Twilio:AccountSid, Twilio:AuthToken): its webhooks answer 403 and SMS/WhatsApp replies are refused")]
    private static partial void LogNotConfigured(ILogger log);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Twilio:PublicBaseUrl is not set: webhook signatures are checked against the request's own Host, which fails behind a proxy, and messages are sent without a status callback")]
    private static partial void LogNoPublicUrl(ILogger log);
}
