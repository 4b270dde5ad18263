using System.Reflection;
using ContactCenter.Server.Auth;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.Extensions.FileProviders;

namespace ContactCenter.Server.Pages;

/// <summary>
/// What every page of the service shares: its scripts and styles (embedded in the assembly, so the image, the
/// tests and <c>dotnet run</c> serve the same files with no front-end build), a strict Content-Security-Policy
/// on every HTML answer, and the cross-site request forgery check for cookie-authenticated API calls.
/// </summary>
public static class PageHosting
{
    /// <summary>The header a page's script sends with every non-GET API call (value from <c>GET /api/session</c>).</summary>
    public const string CsrfHeader = "X-CSRF-TOKEN";

    // No inline script or style anywhere: customer text that slipped into markup still could not run.
    // Pages that need more extend it in one place: here. The softphone (Twilio Voice JavaScript SDK) signals over
    // wss://voice-js.*.twilio.com, reports call quality to eventgw.twilio.com and plays its ring tones from
    // sdk.twilio.com; the call's audio is WebRTC, which CSP does not govern.
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob: https://sdk.twilio.com; " +
        "connect-src 'self' wss://*.twilio.com https://eventgw.twilio.com; font-src 'self'; object-src 'none'; base-uri 'none'; " +
        "form-action 'self'; frame-ancestors 'none'";

    public static IServiceCollection AddContactCenterPages(this IServiceCollection services)
    {
        services.AddAntiforgery(o =>
        {
            o.HeaderName = CsrfHeader;
            o.Cookie.Name = "cc_csrf";
            o.Cookie.SameSite = SameSiteMode.Strict;
        });
        return services;
    }

    public static IApplicationBuilder UseContactCenterPages(this IApplicationBuilder app)
    {
        app.Use(async (context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                if (context.Response.ContentType?.StartsWith("text/html", StringComparison.OrdinalIgnoreCase) == true)
                {
                    headers.ContentSecurityPolicy = ContentSecurityPolicy;
                    headers["X-Frame-Options"] = "DENY";
                }

                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "same-origin";
                return Task.CompletedTask;
            });
            await next(context);
        });
        app.UseStaticFiles(new StaticFileOptions
        {
            RequestPath = "/assets",
            FileProvider = new EmbeddedFileProvider(Assembly.GetExecutingAssembly(), "ContactCenter.Server.Pages.Assets"),
            OnPrepareResponse = files => files.Context.Response.Headers.CacheControl = "no-cache",
        });
        return app;
    }

    /// <summary>
    /// Runs after authentication: a cookie-authenticated call that changes something must carry the antiforgery
    /// token in <see cref="CsrfHeader"/>; bearer-key callers are not browsers riding a cookie and need none.
    /// </summary>
    public static IApplicationBuilder UseCsrfProtection(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var request = context.Request;
            var unsafeMethod = !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method));
            if (unsafeMethod && request.Path.StartsWithSegments("/api") && request.Headers.Authorization.Count == 0
                && context.User.Identity?.IsAuthenticated == true)
            {
                var antiforgery = context.RequestServices.GetRequiredService<IAntiforgery>();
                if (!await antiforgery.IsRequestValidAsync(context))
                {
                    await Problems.WriteAsync(context, StatusCodes.Status400BadRequest, "Missing or invalid CSRF token",
                        $"Calls made with the sign-in cookie must send the {CsrfHeader} header from GET /api/session.");
                    return;
                }
            }

            await next(context);
        });

    /// <summary>
    /// <c>GET /api/session</c>: who is signed in and the antiforgery token their page sends back.
    /// </summary>
    public static IEndpointRouteBuilder MapSessionApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/session", (HttpContext http, IAntiforgery antiforgery) =>
            {
                var tokens = antiforgery.GetAndStoreTokens(http);
                var user = http.User;
                return TypedResults.Ok(new SessionInfo(
                    user.Identity?.Name ?? "",
                    user.FindFirst(System.Security.Claims.ClaimTypes.Role)?.Value ?? "",
                    user.FindFirst(Roles.AgentIdClaim)?.Value,
                    tokens.RequestToken ?? ""));
            })
            .RequireAuthorization(Policies.Agent).WithTags("Session")
            .WithSummary("The signed-in person (name, role, agent id) and the CSRF token for the pages' own calls");
        return app;
    }

    public sealed record SessionInfo(string Name, string Role, string? AgentId, string CsrfToken);
}
