using ContactCenter.Core.Outbound;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ContactCenter.Channels.Meta;

public static class MetaChannel
{
    /// <summary>The Messenger and Instagram webhook and sender. Without <c>Meta:PageAccessToken</c> the outbox refuses their replies.</summary>
    public static IServiceCollection AddMetaChannel(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<MetaOptions>(configuration.GetSection(MetaOptions.Section));
        // The Send API URL carries the page token in its query string: no request logging on this client.
        services.AddHttpClient(MetaSender.HttpClientName)
            .ConfigureHttpClient((sp, client) => client.Timeout = sp.GetRequiredService<IOptions<MetaOptions>>().Value.RequestTimeout)
            .RemoveAllLoggers();
        services.AddSingleton<MetaWebhook>();
        services.AddSingleton<IChannelSender, MetaSender>();
        return services;
    }

    public static IEndpointRouteBuilder MapMetaWebhooks(this IEndpointRouteBuilder app)
    {
        var hooks = app.MapGroup("/webhooks/meta").WithTags("Webhooks").AllowAnonymous();
        hooks.MapGet("", (HttpRequest request, MetaWebhook webhook) => webhook.Verify(request))
            .WithSummary("Meta subscription check (hub.mode, hub.verify_token, hub.challenge)");
        hooks.MapPost("", (HttpRequest request, MetaWebhook webhook, CancellationToken ct) => webhook.ReceiveAsync(request, ct))
            .WithSummary("Messenger and Instagram notifications").DisableAntiforgery();
        return app;
    }
}
