using System.Net;
using System.Threading.RateLimiting;
using ContactCenter.Channels.Webchat;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace ContactCenter.Server.Hosting;

/// <summary>
/// What the visitor API needs from the host: CORS for the widgets' origins only, and rate limits per visitor token
/// and per IP address answered with 429 problem details.
/// </summary>
public static class WebchatHosting
{
    public const string CorsPolicy = "webchat";
    public const string VisitorRateLimit = "webchat-visitor";
    public const string TokenHeader = "X-Webchat-Token";

    public static IServiceCollection AddWebchatHosting(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddWebchatChannel(configuration);
        services.AddCors();
        services.AddSingleton<IConfigureOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>>(sp =>
            new ConfigureOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>(cors => cors.AddPolicy(CorsPolicy, policy => policy
                // Checked per request against the configuration, so a changed widget list needs no restart.
                .SetIsOriginAllowed(origin => sp.GetRequiredService<IOptionsMonitor<WebchatOptions>>().CurrentValue.AnyWidgetAllows(origin))
                .WithMethods("GET", "POST")
                .WithHeaders("Content-Type", TokenHeader, "Last-Event-ID")
                .SetPreflightMaxAge(TimeSpan.FromMinutes(10)))));
        services.AddSingleton<IConfigureOptions<RateLimiterOptions>>(sp => new ConfigureOptions<RateLimiterOptions>(limiter =>
        {
            var options = sp.GetRequiredService<IOptionsMonitor<WebchatOptions>>();
            limiter.AddPolicy(VisitorRateLimit, context => RateLimitPartition.GetFixedWindowLimiter(
                // A token is the visitor; without one (starting a session) the address stands in.
                context.Request.Headers[TokenHeader].ToString() is { Length: > 0 } token ? "t:" + token : "ip:" + Ip(context),
                _ => new FixedWindowRateLimiterOptions { PermitLimit = options.CurrentValue.VisitorRequestsPerMinute, Window = TimeSpan.FromMinutes(1) }));
            var previous = limiter.GlobalLimiter;
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                context.Request.Path.StartsWithSegments("/webchat") && !HttpMethods.IsOptions(context.Request.Method)
                    ? RateLimitPartition.GetFixedWindowLimiter("webchat-ip:" + Ip(context),
                        _ => new FixedWindowRateLimiterOptions { PermitLimit = options.CurrentValue.IpRequestsPerMinute, Window = TimeSpan.FromMinutes(1) })
                    : RateLimitPartition.GetNoLimiter("none"));
            if (previous is not null) limiter.GlobalLimiter = PartitionedRateLimiter.CreateChained(previous, limiter.GlobalLimiter);
            var rejected = limiter.OnRejected;
            limiter.OnRejected = async (context, ct) =>
            {
                if (!context.HttpContext.Request.Path.StartsWithSegments("/webchat"))
                {
                    if (rejected is not null) await rejected(context, ct);
                    return;
                }

                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                    context.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await Problems.WriteAsync(context.HttpContext, StatusCodes.Status429TooManyRequests, "Too many requests",
                    "This visitor or address sent too many requests; wait a little and try again.");
            };
        }));
        return services;
    }

    private static string Ip(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? IPAddress.None.ToString();
}
