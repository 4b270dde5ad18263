using System.Net;
using System.Security.Claims;
using ContactCenter.Core.Accounts;
using ContactCenter.Server.Auth;
using Hangfire;
using Hangfire.Dashboard;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace ContactCenter.Server.Pages;

public sealed record SignInRequest(string? Email, string? Password);

public sealed record SignedIn(string Name, string Role, string? AgentId);

/// <summary>
/// People sign in at /login with their email and password (or, for bootstrap, an API key); the session is kept
/// in PostgreSQL (<see cref="SessionTicketStore"/>) and the cookie opens the pages and their API calls.
/// The form carries an antiforgery token (login CSRF would sign a victim in as the attacker). The JSON form of
/// the same call needs none: a cross-site page cannot send <c>application/json</c> without a CORS preflight,
/// which this service never grants.
/// </summary>
public static class LoginPages
{
    public const string RateLimitPolicy = "login";
    /// <summary>One answer for an unknown email, a wrong password, a locked or a disabled account.</summary>
    public const string SignInRefused = "The email or password is wrong, or the account is locked for a while after too many tries.";

    public static IEndpointRouteBuilder MapLoginPages(this IEndpointRouteBuilder app)
    {
        app.MapGet("/login", (string? returnUrl, string? sso, HttpContext http, IAntiforgery antiforgery, IConfiguration configuration) =>
        {
            // The form's token is for an anonymous post: signing in ends whatever session the browser had before
            // authentication runs (AuthHosting.UseFreshSessionAtSignIn), so the post is checked as anonymous.
            http.User = new ClaimsPrincipal(new ClaimsIdentity());
            var refused = sso == "refused" ? "Single sign-on did not sign you in: your account may not exist here. Ask an admin." : null;
            return Html("Sign in", Form(returnUrl, refused, antiforgery.GetAndStoreTokens(http), SingleSignOn.IsConfigured(configuration)));
        }).AllowAnonymous().ExcludeFromDescription();
        app.MapPost("/login", LoginAsync).AllowAnonymous().ExcludeFromDescription().DisableAntiforgery()
            .RequireRateLimiting(RateLimitPolicy);
        app.MapPost("/logout", async (HttpContext http, IAntiforgery antiforgery) =>
        {
            // Checked here, not only by the API's CSRF filter: this is a page's form post, outside /api. A body that is
            // no form (or a broken one) is refused as such, before the token check would try to read it.
            if (!http.Request.HasFormContentType && !http.Request.Headers.ContainsKey(PageHosting.CsrfHeader))
                return Problems.BadRequest("Sign out with the page's form (or the X-CSRF-TOKEN header).");
            try
            {
                if (!await antiforgery.IsRequestValidAsync(http)) return Problems.BadRequest("Missing or invalid antiforgery token.");
            }
            catch (Exception e) when (e is InvalidDataException or IOException or InvalidOperationException)
            {
                return Problems.BadRequest("The sign-out form is malformed.");
            }
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.Redirect("/login");
        }).AllowAnonymous().ExcludeFromDescription().DisableAntiforgery();
        app.MapPasswordLinkPage();
        app.MapSingleSignOn();
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

    private static async Task<IResult> LoginAsync(HttpContext http, ApiKeyStore keys, UserStore users, IAntiforgery antiforgery)
    {
        if (http.Request.HasJsonContentType()) return await JsonLoginAsync(http, users);
        if (!http.Request.HasFormContentType)
            return Results.Problem("Send the sign-in form, or JSON { email, password }.", statusCode: 415, title: "Unsupported media type");
        var form = await http.Request.ReadFormAsync();
        var returnUrl = form["returnUrl"].ToString();
        if (!await antiforgery.IsRequestValidAsync(http))
            return Html("Sign in", Form(returnUrl, "The form had expired: please try again.", antiforgery.GetAndStoreTokens(http)), StatusCodes.Status400BadRequest);

        ClaimsPrincipal? principal;
        string home;
        if (form["key"].ToString().Trim() is { Length: > 0 } key)
        {
            principal = keys.Authenticate(key, CookieAuthenticationDefaults.AuthenticationScheme);
            home = "/hangfire";
        }
        else
        {
            var user = await users.SignInAsync(form["email"].ToString().Trim(), form["password"].ToString(), http.RequestAborted);
            principal = user is null ? null : SessionTicketStore.PrincipalFor(user);
            home = user?.Role == Roles.Agent ? "/desk" : "/supervisor";
        }

        if (principal is null)
            return Html("Sign in", Form(returnUrl, SignInRefused, antiforgery.GetAndStoreTokens(http)), StatusCodes.Status401Unauthorized);
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, principal);
        // Only local paths: an open redirect would let a crafted link send a freshly signed-in person anywhere.
        return Results.LocalRedirect(IsLocal(returnUrl) ? returnUrl : home);
    }

    private static async Task<IResult> JsonLoginAsync(HttpContext http, UserStore users)
    {
        SignInRequest? request;
        try
        {
            request = await http.Request.ReadFromJsonAsync<SignInRequest>(http.RequestAborted);
        }
        catch (System.Text.Json.JsonException)
        {
            request = null;
        }

        if (string.IsNullOrWhiteSpace(request?.Email) || string.IsNullOrEmpty(request.Password))
            return Problems.BadRequest("Body must be a JSON object with 'email' and 'password'.");
        if (await users.SignInAsync(request.Email.Trim(), request.Password, http.RequestAborted) is not { } user)
            return TypedResults.Problem(SignInRefused, statusCode: 401, title: "Unauthorized");
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, SessionTicketStore.PrincipalFor(user));
        return TypedResults.Ok(new SignedIn(user.Name, user.Role, user.AgentId));
    }

    internal static bool IsLocal(string url) =>
        url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal);

    internal static IResult Html(string title, string body, int status = 200) =>
        Results.Content($"""
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>ContactCenter: {WebUtility.HtmlEncode(title)}</title>
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <link rel="stylesheet" href="/assets/site.css"><link rel="stylesheet" href="/assets/login.css">
            </head><body>{body}</body></html>
            """, "text/html; charset=utf-8", statusCode: status);

    internal static string TokenField(AntiforgeryTokenSet tokens) =>
        $"""<input type="hidden" name="{WebUtility.HtmlEncode(tokens.FormFieldName)}" value="{WebUtility.HtmlEncode(tokens.RequestToken)}">""";

    internal static string Error(string? error) =>
        error is null ? "" : $"<p class=\"error\" role=\"alert\">{WebUtility.HtmlEncode(error)}</p>";

    private static string Form(string? returnUrl, string? error, AntiforgeryTokenSet tokens, bool sso = false)
    {
        var company = sso
            ? $"""<p><a class="sso" href="/login/sso?returnUrl={WebUtility.UrlEncode(returnUrl ?? "")}">Sign in with your company account</a></p>"""
            : "";
        var back = $"""<input type="hidden" name="returnUrl" value="{WebUtility.HtmlEncode(returnUrl ?? "")}">""";
        return $"""
            <h1>ContactCenter</h1>
            {Error(error)}
            <form method="post" action="/login">
              <label for="email">Email</label>
              <input id="email" name="email" type="email" autocomplete="username" required autofocus>
              <label for="password">Password</label>
              <input id="password" name="password" type="password" autocomplete="current-password" required>
              {back}{TokenField(tokens)}
              <button type="submit">Sign in</button>
            </form>
            {company}
            <details class="key-login"><summary>Use an API key instead</summary>
            <p>For setting up: a key from <code>Auth:ApiKeys</code> (supervisors and admins can open the job dashboard).</p>
            <form method="post" action="/login">
              <label for="key">API key</label>
              <input id="key" name="key" type="password" autocomplete="off" required>
              {back}{TokenField(tokens)}
              <button type="submit">Log in with the key</button>
            </form></details>
            """;
    }
}
