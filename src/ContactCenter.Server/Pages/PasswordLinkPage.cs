using System.Net;
using ContactCenter.Core.Accounts;
using ContactCenter.Server.Auth;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.Extensions.Options;

namespace ContactCenter.Server.Pages;

/// <summary>
/// <c>/set-password?token=…</c>: the one-time link an admin issues (<c>POST /api/users/{id}/password-link</c>).
/// The link works once and until it expires; it sets the password and sends the person to sign in.
/// </summary>
public static class PasswordLinkPage
{
    public const string Path = "/set-password";
    private const string LinkClosed = "This link has been used or has expired. Ask an admin for a new one.";

    public static IEndpointRouteBuilder MapPasswordLinkPage(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, async (string? token, HttpContext http, UserStore users, IAntiforgery antiforgery) =>
            string.IsNullOrEmpty(token) || !await users.PasswordLinkIsOpenAsync(token, http.RequestAborted)
                ? LoginPages.Html("Set a password", $"<h1>Set a password</h1>{LoginPages.Error(LinkClosed)}", StatusCodes.Status410Gone)
                : LoginPages.Html("Set a password", Form(token, null, antiforgery.GetAndStoreTokens(http))))
            .AllowAnonymous().ExcludeFromDescription();
        app.MapPost(Path, SetAsync).AllowAnonymous().ExcludeFromDescription().DisableAntiforgery().RequireRateLimiting(LoginPages.RateLimitPolicy);
        return app;
    }

    private static async Task<IResult> SetAsync(
        HttpContext http, UserStore users, AuditLog audit, IAntiforgery antiforgery, IOptions<AccountOptions> options)
    {
        if (!http.Request.HasFormContentType) return Problems.BadRequest("Send the set-password form.");
        var form = await http.Request.ReadFormAsync();
        var token = form["token"].ToString();
        var password = form["password"].ToString();
        if (!await antiforgery.IsRequestValidAsync(http))
            return LoginPages.Html("Set a password", Form(token, "The form had expired: please try again.", antiforgery.GetAndStoreTokens(http)), 400);
        var minimum = options.Value.MinPasswordLength;
        if (password.Length < minimum || password.Length > 200)
            return LoginPages.Html("Set a password", Form(token, $"Choose a password of at least {minimum} characters.", antiforgery.GetAndStoreTokens(http)), 400);
        if (password != form["confirm"].ToString())
            return LoginPages.Html("Set a password", Form(token, "The two passwords differ.", antiforgery.GetAndStoreTokens(http)), 400);
        if (string.IsNullOrEmpty(token) || await users.RedeemPasswordLinkAsync(token, password, http.RequestAborted) is not { } user)
            return LoginPages.Html("Set a password", $"<h1>Set a password</h1>{LoginPages.Error(LinkClosed)}", StatusCodes.Status410Gone);
        await audit.RecordAsync(new AuditActor(AuditActor.UserKind, user.Id.ToString(), user.Name, http.Connection.RemoteIpAddress?.ToString()),
            AuditActions.PasswordSet, "user", user.Id.ToString(), null, http.RequestAborted);
        return LoginPages.Html("Password set", """
            <h1>Password set</h1><p role="status">Your password is set. <a href="/login">Sign in</a>.</p>
            """);
    }

    private static string Form(string token, string? error, AntiforgeryTokenSet tokens) => $"""
        <h1>Set a password</h1>
        {LoginPages.Error(error)}
        <form method="post" action="{Path}">
          <label for="password">New password</label>
          <input id="password" name="password" type="password" autocomplete="new-password" required autofocus>
          <label for="confirm">The same again</label>
          <input id="confirm" name="confirm" type="password" autocomplete="new-password" required>
          <input type="hidden" name="token" value="{WebUtility.HtmlEncode(token)}">
          {LoginPages.TokenField(tokens)}
          <button type="submit">Set the password</button>
        </form>
        """;
}
