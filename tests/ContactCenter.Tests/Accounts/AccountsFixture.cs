using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ContactCenter.Core.Accounts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ContactCenter.Tests.Accounts;

/// <summary>A host whose clock the tests move (lockout and link expiry), with a small lockout budget and a seeded admin.</summary>
public class AccountsFixture : AppFixture
{
    public const string AdminEmail = "root@example.test";
    public const string AdminPassword = "seeded-admin-password";

    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Auth:MaxFailedSignIns"] = "3",
        ["Auth:LockoutFor"] = "00:10:00",
        ["Auth:PasswordLinkLifetime"] = "01:00:00",
        ["Auth:SignInsPerMinute"] = "1000",
        ["Auth:Users:0:Email"] = AdminEmail,
        ["Auth:Users:0:Name"] = "Root",
        ["Auth:Users:0:Role"] = "admin",
        ["Auth:Users:0:Password"] = AdminPassword,
    };

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(Clock);

    /// <summary>Empty tables, then the Auth:Users seed again (as at start-up).</summary>
    public async Task ResetAndSeedAsync()
    {
        await ResetAsync();
        await App.Service<AccountSeeder>().SeedAsync(CancellationToken.None);
    }

    /// <summary>Creates a user through the admin API (with a password) and returns its id.</summary>
    public async Task<Guid> CreateUserAsync(string email, string password, string role = "agent", string? agentId = "agent-9", string[]? queues = null)
    {
        var node = await App.Admin().PostJsonAsync("/api/users",
            new { email, name = email.Split('@')[0], role, agentId, queues = queues ?? [], password }, HttpStatusCode.Created);
        return node["id"]!.GetValue<Guid>();
    }
}

/// <summary>
/// What a browser does over plain HTTP: keeps cookies (by hand: the session cookie is Secure, which a cookie
/// container would not send to http://localhost), reads the sign-in form's antiforgery token, and sends the
/// CSRF header the pages send.
/// </summary>
public sealed partial class CookieSession(ContactCenterApp app)
{
    private readonly HttpClient _client = app.ClientWithKey(null);

    public Dictionary<string, string> Cookies { get; } = new();

    /// <summary>The raw Set-Cookie header of the last session cookie received.</summary>
    public string? LastSessionCookieHeader { get; private set; }

    public string? SessionCookie => Cookies.GetValueOrDefault("cc_session");

    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request) => SendAsync(request, HttpCompletionOption.ResponseContentRead, default);

    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken ct)
    {
        if (Cookies.Count > 0) request.Headers.Add("Cookie", string.Join("; ", Cookies.Select(c => $"{c.Key}={c.Value}")));
        var response = await _client.SendAsync(request, completion, ct);
        if (response.Headers.TryGetValues("Set-Cookie", out var values))
        {
            foreach (var header in values)
            {
                var pair = header.Split(';')[0];
                var name = pair[..pair.IndexOf('=')];
                var value = pair[(pair.IndexOf('=') + 1)..];
                if (name == "cc_session") LastSessionCookieHeader = header;
                if (value.Length == 0 || header.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase)) Cookies.Remove(name);
                else Cookies[name] = value;
            }
        }

        return response;
    }

    public Task<HttpResponseMessage> GetAsync(string url) => SendAsync(new HttpRequestMessage(HttpMethod.Get, url));

    /// <summary>The antiforgery token of the form on <paramref name="url"/> (also sets its cookie).</summary>
    public async Task<string> FormTokenAsync(string url = "/login")
    {
        var page = await GetAsync(url);
        var html = await page.Content.ReadAsStringAsync();
        return TokenPattern().Match(html) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : throw new Xunit.Sdk.XunitException($"No form token on {url}: {html}");
    }

    public async Task<HttpResponseMessage> PostFormAsync(string url, Dictionary<string, string> fields, bool withToken = true, string tokenFrom = "/login")
    {
        if (withToken) fields["__RequestVerificationToken"] = await FormTokenAsync(tokenFrom);
        return await SendAsync(new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(fields) });
    }

    public Task<HttpResponseMessage> SignInAsync(string email, string password, bool withToken = true, string returnUrl = "") =>
        PostFormAsync("/login", new Dictionary<string, string> { ["email"] = email, ["password"] = password, ["returnUrl"] = returnUrl }, withToken);

    public Task<HttpResponseMessage> SignInJsonAsync(string email, string password) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, "/login") { Content = JsonContent.Create(new { email, password }) });

    /// <summary>The CSRF token the pages send, from GET /api/session.</summary>
    public async Task<string> CsrfTokenAsync() =>
        (await (await GetAsync("/api/session")).ReadJsonAsync(HttpStatusCode.OK))["csrfToken"]!.GetValue<string>();

    /// <summary>A cookie-authenticated API call, with the CSRF header unless told not to.</summary>
    public async Task<HttpResponseMessage> ApiAsync(HttpMethod method, string url, object? body = null, bool withCsrf = true)
    {
        var request = new HttpRequestMessage(method, url);
        if (body is not null) request.Content = JsonContent.Create(body);
        if (withCsrf) request.Headers.Add("X-CSRF-TOKEN", await CsrfTokenAsync());
        return await SendAsync(request);
    }

    public async Task<JsonNode?> SessionAsync()
    {
        var response = await GetAsync("/api/session");
        return response.StatusCode == HttpStatusCode.OK ? await response.ReadJsonAsync(HttpStatusCode.OK) : null;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}

public static class AccountsTestSupport
{
    public static async Task<System.Text.Json.Nodes.JsonNode> PutJsonAsync(this HttpClient client, string url, object body, HttpStatusCode expected) =>
        await (await client.PutAsJsonAsync(url, body, TestSupport.Json)).ReadJsonAsync(expected);
}
