using System.Net;
using ContactCenter.Server.Auth;
using Hangfire;
using Hangfire.Dashboard;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace ContactCenter.Server.Pages;

/// <summary>
/// People in a browser log in with their API key once; a cookie (shared across instances through the
/// Data Protection keys in PostgreSQL) then opens the Hangfire dashboard and the supervisor pages.
/// </summary>
public static class LoginPages
{
    public const string RateLimitPolicy = "login";

    public static IEndpointRouteBuilder MapLoginPages(this IEndpointRouteBuilder app)
    {
        app.MapGet("/login", (string? returnUrl) => Html(Form(returnUrl, error: null))).AllowAnonymous().ExcludeFromDescription();
        app.MapPost("/login", LoginAsync).AllowAnonymous().ExcludeFromDescription().DisableAntiforgery()
            .RequireRateLimiting(RateLimitPolicy);
        app.MapPost("/logout", async (HttpContext http) =>
        {
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.Redirect("/login");
        }).ExcludeFromDescription().DisableAntiforgery();
        return app;
    }

    /// <summary>The job dashboard: supervisors look, admins may also retry or delete jobs.</summary>
    public static IEndpointRouteBuilder MapJobsDashboard(this IEndpointRouteBuilder app)
    {
        app.MapHangfireDashboard("/hangfire", new DashboardOptions
        {
            DashboardTitle = "ContactCenter jobs",
            Authorization = [], // the endpoint's authorization policy below decides
            IsReadOnlyFunc = context => !context.GetHttpContext().User.IsInRole(Roles.Admin),
            AppPath = "/",
        }).RequireAuthorization(Policies.Supervisor);
        return app;
    }

    private static async Task<IResult> LoginAsync(HttpContext http, ApiKeyStore keys)
    {
        if (!http.Request.HasFormContentType) return Results.BadRequest();
        var form = await http.Request.ReadFormAsync();
        var returnUrl = form["returnUrl"].ToString();
        var principal = keys.Authenticate(form["key"].ToString().Trim(), CookieAuthenticationDefaults.AuthenticationScheme);
        if (principal is null) return Html(Form(returnUrl, "That key is not valid."), StatusCodes.Status401Unauthorized);
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, principal);
        // Only local paths: an open redirect would let a crafted link send a freshly logged-in user anywhere.
        return Results.LocalRedirect(IsLocal(returnUrl) ? returnUrl : "/hangfire");
    }

    private static bool IsLocal(string url) =>
        url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal);

    private static IResult Html(string body, int status = 200) =>
        Results.Content($"""
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>ContactCenter: log in</title>
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <link rel="stylesheet" href="/assets/site.css"><link rel="stylesheet" href="/assets/login.css">
            </head><body>{body}</body></html>
            """, "text/html; charset=utf-8", statusCode: status);

    private static string Form(string? returnUrl, string? error) => $"""
        <h1>ContactCenter</h1>
        <p>Log in with your API key (from <code>Auth:ApiKeys</code>). Supervisors and admins can open the job dashboard.</p>
        {(error is null ? "" : $"<p class=\"error\" role=\"alert\">{WebUtility.HtmlEncode(error)}</p>")}
        <form method="post" action="/login">
          <label for="key">API key</label>
          <input id="key" name="key" type="password" autocomplete="current-password" required autofocus>
          <input type="hidden" name="returnUrl" value="{WebUtility.HtmlEncode(returnUrl ?? "")}">
          <button type="submit">Log in</button>
        </form>
        """;
}
