using System.Security.Cryptography;
using System.Text;
using ContactCenter.Core.Work;
using ContactCenter.Core.Telemetry;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ContactCenter.Server.Hosting;

/// <summary><c>Metrics:Prometheus:*</c>: the scrape endpoint, off unless enabled, and then only for the key.</summary>
public sealed class PrometheusOptions
{
    public bool Enabled { get; set; }
    /// <summary>The scraper sends it as <c>Authorization: Bearer &lt;key&gt;</c>; at least 16 characters.</summary>
    public string? Key { get; set; }
}

/// <summary>
/// OpenTelemetry: traces of ASP.NET Core, HttpClient, Npgsql and the service's own spans; metrics of the same
/// plus the <c>ContactCenter</c> meter. Exported over OTLP when <c>OpenTelemetry:Endpoint</c> (or the standard
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>) is set, scraped at <c>/metrics</c> when <c>Metrics:Prometheus:Enabled</c>.
/// </summary>
public static class TelemetryHosting
{
    public const string MetricsPath = "/metrics";

    public static IServiceCollection AddContactCenterTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var endpoint = configuration["OpenTelemetry:Endpoint"];
        if (!string.IsNullOrWhiteSpace(endpoint) && !(Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
            throw new InvalidOperationException($"OpenTelemetry:Endpoint: must be an absolute URL such as http://otel-collector:4317 (is '{endpoint}').");
        var otlp = !string.IsNullOrWhiteSpace(endpoint) || !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var prometheus = configuration.GetSection("Metrics:Prometheus").Get<PrometheusOptions>() ?? new PrometheusOptions();
        services.AddOptions<PrometheusOptions>().Bind(configuration.GetSection("Metrics:Prometheus"));
        services.AddHostedService<AfterCommitBacklog>();

        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(configuration["OTEL_SERVICE_NAME"] ?? "contactcenter"))
            .WithTracing(tracing =>
            {
                tracing.AddSource(ContactCenterTelemetry.Name)
                    // Probes and scrapes every few seconds would drown the traces that matter.
                    .AddAspNetCoreInstrumentation(o => o.Filter = context =>
                        !context.Request.Path.StartsWithSegments("/health") && !context.Request.Path.StartsWithSegments(MetricsPath))
                    .AddHttpClientInstrumentation()
                    .AddNpgsql();
                if (otlp) tracing.AddOtlpExporter(o => SetEndpoint(o, endpoint));
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(ContactCenterTelemetry.Name)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation();
                if (otlp) metrics.AddOtlpExporter(o => SetEndpoint(o, endpoint));
                if (prometheus.Enabled) metrics.AddPrometheusExporter();
            });
        return services;
    }

    private static void SetEndpoint(OpenTelemetry.Exporter.OtlpExporterOptions options, string? endpoint)
    {
        // Without our key the exporter reads the OTEL_EXPORTER_OTLP_* variables itself (protocol, headers, paths).
        if (!string.IsNullOrWhiteSpace(endpoint)) options.Endpoint = new Uri(endpoint);
    }

    /// <summary>Counts webhook requests the service refused, by provider and reason. Outermost, so it sees the
    /// status the exception handler chose too (503 when PostgreSQL is unreachable).</summary>
    public static void UseWebhookRejectionCounter(this WebApplication app) => app.Use(async (context, next) =>
    {
        await next(context);
        var path = context.Request.Path;
        if (context.Response.StatusCode < 400 || !path.StartsWithSegments("/webhooks", out var rest)) return;
        var provider = rest.Value?.Split('/', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "unknown";
        var reason = context.Response.StatusCode switch
        {
            403 => "signature",
            400 => "malformed",
            413 => "too-large",
            404 or 405 => "unknown-path",
            503 => "store-unavailable",
            _ => "status-" + context.Response.StatusCode,
        };
        ContactCenterTelemetry.WebhookRejections.Add(1, ContactCenterTelemetry.Tag("provider", provider), ContactCenterTelemetry.Tag("reason", reason));
    });

    /// <summary><c>GET /metrics</c> in the Prometheus text format when enabled; otherwise nothing answers there (404).</summary>
    public static void MapPrometheusMetrics(this WebApplication app)
    {
        var options = app.Configuration.GetSection("Metrics:Prometheus").Get<PrometheusOptions>() ?? new PrometheusOptions();
        if (!options.Enabled) return;
        var expected = Encoding.UTF8.GetBytes("Bearer " + options.Key);
        app.UseOpenTelemetryPrometheusScrapingEndpoint(meterProvider: null, predicate: null, path: MetricsPath,
            configureBranchedPipeline: branch => branch.Use(async (context, next) =>
            {
                var sent = Encoding.UTF8.GetBytes(context.Request.Headers.Authorization.ToString());
                if (!CryptographicOperations.FixedTimeEquals(sent, expected))
                {
                    context.Response.Headers.WWWAuthenticate = "Bearer";
                    await Problems.WriteAsync(context, 401, "Unauthorized", "Send Metrics:Prometheus:Key as 'Authorization: Bearer <key>'.");
                    return;
                }

                await next(context);
            }),
            optionsName: null);
    }
}
