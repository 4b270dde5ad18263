using ContactCenter.Core.Outbound;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ContactCenter.Channels.Telegram;

public static class TelegramChannel
{
    /// <summary>The Telegram webhook, sender and pacing. Without <c>Telegram:BotToken</c> the outbox refuses Telegram replies.</summary>
    public static IServiceCollection AddTelegramChannel(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<TelegramOptions>(configuration.GetSection(TelegramOptions.Section));
        // The Bot API URL carries the token in its path: no request logging on this client.
        services.AddHttpClient(TelegramBots.HttpClientName)
            .ConfigureHttpClient((sp, client) => client.Timeout = sp.GetRequiredService<IOptions<TelegramOptions>>().Value.RequestTimeout)
            .RemoveAllLoggers();
        services.AddSingleton<TelegramBots>();
        services.AddSingleton<TelegramPacer>();
        services.AddSingleton<TelegramWebhook>();
        services.AddSingleton<IChannelSender, TelegramSender>();
        return services;
    }

    public static IEndpointRouteBuilder MapTelegramWebhooks(this IEndpointRouteBuilder app)
    {
        app.MapPost("/webhooks/telegram", (HttpRequest request, TelegramWebhook webhook, CancellationToken ct) => webhook.ReceiveAsync(request, ct))
            .WithTags("Webhooks").WithSummary("Telegram Bot API updates").AllowAnonymous().DisableAntiforgery();
        return app;
    }
}
