using System.Net;
using System.Net.Http.Headers;

namespace ContactCenter.Tests.Foundation;

public class AuthTests(AppFixture fx) : IClassFixture<AppFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer not-a-configured-key")]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer ")]
    public async Task MissingOrUnknownKeyIs401WithProblemDetails(string? authorization)
    {
        var client = fx.App.ClientWithKey(null);
        if (authorization is not null) client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        foreach (var url in new[] { "/api/conversations", $"/api/customers/{Guid.NewGuid()}" })
        {
            var response = await client.GetAsync(url);
            await response.ProblemAsync(HttpStatusCode.Unauthorized);
            Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString());
        }
    }

    [Fact]
    public async Task RolesAreOrderedAgentSupervisorAdmin()
    {
        var url = $"/api/customers/{Guid.NewGuid()}/merge";
        var body = new StringContent($$"""{"otherCustomerId":"{{Guid.NewGuid()}}"}""", System.Text.Encoding.UTF8, "application/json");
        await (await fx.App.Agent().PostAsync(url, body)).ProblemAsync(HttpStatusCode.Forbidden);
        // Past authorization: the unknown customer is what stops them.
        await (await fx.App.Supervisor().PostAsync(url, body)).ProblemAsync(HttpStatusCode.NotFound);
        await (await fx.App.Admin().PostAsync(url, body)).ProblemAsync(HttpStatusCode.NotFound);
        // Every role may do what an agent may.
        foreach (var client in new[] { fx.App.Agent(), fx.App.Supervisor(), fx.App.Admin() })
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/conversations")).StatusCode);
    }

    [Fact]
    public async Task HealthAndOpenApiNeedNoKey()
    {
        var anonymous = fx.App.ClientWithKey(null);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/live")).StatusCode);
        var ready = await anonymous.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync());

        var openApi = await anonymous.GetJsonAsync("/openapi/v1.json");
        var paths = openApi["paths"]!.AsObject().Select(p => p.Key).ToList();
        Assert.Contains("/api/customers/{id}/timeline", paths);
        Assert.Contains("/api/conversations/{id}/messages", paths);
        Assert.NotNull(openApi["components"]!["securitySchemes"]!["Bearer"]);
    }

    [Fact]
    public async Task JobDashboardIsForSupervisorsAndAdminsAfterLoggingIn()
    {
        var browser = fx.App.ClientWithKey(null);
        var anonymous = await browser.GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.StartsWith("/login", anonymous.Headers.Location!.PathAndQuery);

        Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync("wrong-key")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await DashboardWithCookieAsync(ContactCenterApp.AgentKey)).StatusCode);

        foreach (var key in new[] { ContactCenterApp.SupervisorKey, ContactCenterApp.AdminKey })
        {
            var dashboard = await DashboardWithCookieAsync(key);
            Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
            Assert.Contains("ContactCenter jobs", await dashboard.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task LoginRedirectsOnlyToLocalPaths()
    {
        var response = await LoginAsync(ContactCenterApp.SupervisorKey, "https://evil.example/phish");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/hangfire", response.Headers.Location!.OriginalString);
    }

    private Task<HttpResponseMessage> LoginAsync(string key, string returnUrl = "/hangfire") => Login(fx.App, key, returnUrl);

    /// <summary>Signs in at the form with a key, as a browser would: the form's antiforgery token and its cookie first.</summary>
    internal static Task<HttpResponseMessage> Login(ContactCenterApp app, string key, string returnUrl = "/hangfire") =>
        new Accounts.CookieSession(app).PostFormAsync("/login", new Dictionary<string, string>
        {
            ["key"] = key,
            ["returnUrl"] = returnUrl,
        });

    private async Task<HttpResponseMessage> DashboardWithCookieAsync(string key)
    {
        var login = await LoginAsync(key);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        var cookie = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("cc_session=", StringComparison.Ordinal));
        var request = new HttpRequestMessage(HttpMethod.Get, "/hangfire");
        request.Headers.Add("Cookie", cookie.Split(';')[0]);
        return await fx.App.ClientWithKey(null).SendAsync(request);
    }
}

/// <summary>Its own host: the login limiter's budget is per host, and this test spends it.</summary>
public class LoginRateLimitTests(AppFixture fx) : IClassFixture<AppFixture>
{
    [Fact]
    public async Task GuessingKeysAtTheLoginFormIsRateLimited()
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 15; i++) statuses.Add((await AuthTests.Login(fx.App, $"guess-{i}")).StatusCode);
        Assert.Equal(10, statuses.Count(s => s == HttpStatusCode.Unauthorized));
        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        // The right key is refused too until the window passes: the limit is per address, not per key.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await AuthTests.Login(fx.App, ContactCenterApp.SupervisorKey)).StatusCode);
    }
}
