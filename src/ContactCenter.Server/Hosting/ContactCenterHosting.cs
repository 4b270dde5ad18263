using ContactCenter.Channels.Email;
using ContactCenter.Channels.Meta;
using ContactCenter.Channels.Telegram;
using ContactCenter.Channels.Twilio;
using ContactCenter.Channels.Webchat;
using ContactCenter.Core;
using ContactCenter.Core.Bot;
using ContactCenter.Core.Desk;
using ContactCenter.Core.Flows;
using ContactCenter.Core.Reports;
using ContactCenter.Core.Routing;
using System.Threading.RateLimiting;
using ContactCenter.Server.Auth;
using ContactCenter.Server.Hosting.Checks;
using ContactCenter.Server.Pages;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Npgsql;
using Scalar.AspNetCore;

namespace ContactCenter.Server.Hosting;

public static class ContactCenterHosting
{
    /// <summary>Everything the service needs, in one place (the eShop "AddApplicationServices").</summary>
    public static async Task AddContactCenterAsync(this WebApplicationBuilder builder)
    {
        // The content root is the repository root (RunWorkingDirectory), so the host's default sources already
        // include the top-level appsettings.json and appsettings.Development.json, below environment variables.
        // Nothing legitimate (webhooks, API calls) comes near 1 MB; bigger bodies are refused before they are read.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = 1024 * 1024);
        await builder.AddContactCenterDatabaseAsync();
        var services = builder.Services;
        services.AddContactCenterCore(builder.Configuration);
        services.AddContactCenterFlows(builder.Configuration, builder.Environment.ContentRootPath,
            EmailChannel.AddressBots(builder.Configuration).Concat(WebchatChannel.AddressBots(builder.Configuration)));
        services.AddContactCenterRouting(builder.Configuration);
        services.AddContactCenterBot(builder.Configuration, builder.Environment.ContentRootPath);
        services.AddContactCenterReports(builder.Configuration);
        services.AddContactCenterDesk(builder.Configuration);
        services.AddSingleton<LiveFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<LiveFeed>());
        services.AddContactCenterJobs(builder.Configuration);
        services.AddContactCenterAuth(builder.Configuration);
        services.AddContactCenterPages();
        services.AddTelegramChannel(builder.Configuration);
        services.AddMetaChannel(builder.Configuration);
        services.AddTwilioChannel(builder.Configuration);
        services.AddEmailChannel(builder.Configuration);
        services.AddWebchatHosting(builder.Configuration);
        services.AddContactCenterIntegrations(builder.Configuration);
        services.AddContactCenterTelemetry(builder.Configuration);
        services.AddContactCenterStartupChecks();

        services.AddProblemDetails();
        services.AddRequestHardening();
        services.AddRateLimiter(limiter =>
        {
            // Logging in is the one place a key can be guessed interactively: a few tries a minute per address.
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            var signInsPerMinute = builder.Configuration.GetValue("Auth:SignInsPerMinute", 10);
            limiter.AddPolicy(LoginPages.RateLimitPolicy, context => RateLimitPartition.GetFixedWindowLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = signInsPerMinute, Window = TimeSpan.FromMinutes(1) }));
        });
        services.AddExceptionHandler<ErrorHandler>();
        services.AddHealthChecks().AddCheck<PostgresHealthCheck>("postgresql", tags: ["ready"]);
        services.AddDataProtection().SetApplicationName("ContactCenter");
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp =>
            new ConfigureOptions<KeyManagementOptions>(o => o.XmlRepository = new PostgresXmlRepository(sp.GetRequiredService<NpgsqlDataSource>())));
        services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "ContactCenter API";
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["Bearer"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API key from Auth:ApiKeys.",
            };
            document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("Bearer", document)] = [] }];
            return Task.CompletedTask;
        }));
    }

    /// <summary>Migrations first (a failing one stops start-up), then the middleware pipeline.</summary>
    public static async Task UseContactCenterAsync(this WebApplication app)
    {
        // Configuration first: a service that cannot work says why before it touches the database.
        app.Services.GetService<IStartupValidator>()?.Validate();
        await app.MigrateDatabaseAsync();
        app.UseWebhookRejectionCounter();
        app.UseExceptionHandler();
        app.MapPrometheusMetrics();
        app.UseStatusCodePages();
        app.UseRequestHardening();
        app.UseContactCenterPages();
        app.UseCors();
        app.UseRateLimiter();
        app.UseFreshSessionAtSignIn();
        app.UseAuthentication();
        app.UseCsrfProtection();
        app.UseAuthorization();
        app.UseConversationScope();

        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") }).AllowAnonymous();
        app.MapOpenApi().AllowAnonymous();
        if (app.Environment.IsDevelopment()) app.MapScalarApiReference().AllowAnonymous();
        app.ScheduleRecurringJobs();
    }
}
