using System.Net;
using System.Net.Http.Json;
using ContactCenter.Tests.Infrastructure;
using Microsoft.Playwright;

namespace ContactCenter.Tests.Pages;

public sealed class BrowserAppFixture : AppFixture
{
    protected override bool OnRealPort => true;
}

/// <summary>What every page shares: sign-in in a real browser, the CSP header, the assets, and the CSRF check.</summary>
public sealed class PageBasicsTests(BrowserAppFixture fixture) : IClassFixture<BrowserAppFixture>
{
    [Fact]
    public async Task A_person_signs_in_in_the_browser_and_the_session_names_them()
    {
        await using var context = await Browser.NewContextAsync(fixture.BaseAddress);
        var page = await context.NewPageAsync();
        await Browser.LoginWithKeyAsync(page, ContactCenterApp.SupervisorKey, "/supervisor");

        // The page's own script runs under the CSP and its live stream connects.
        await Microsoft.Playwright.Assertions.Expect(page.Locator("#state")).ToHaveTextAsync("live");
        var session = await page.EvaluateAsync<System.Text.Json.JsonElement>("() => cc.session()");
        Assert.Equal("supervisor", session.GetProperty("role").GetString());
        Assert.False(string.IsNullOrEmpty(session.GetProperty("csrfToken").GetString()));
        await Browser.ScreenshotAsync(page, "supervisor-after-login");
    }

    [Fact]
    public async Task Html_answers_carry_a_strict_content_security_policy_and_assets_are_served()
    {
        using var client = fixture.App.ClientWithKey(null);
        using var login = await client.GetAsync("/login");
        var csp = Assert.Single(login.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);

        using var script = await client.GetAsync("/assets/common.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Contains("window.cc", await script.Content.ReadAsStringAsync());
        using var missing = await client.GetAsync("/assets/nothing-here.js");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task A_cookie_authenticated_post_without_the_csrf_token_is_refused_and_with_it_passes()
    {
        await using var context = await Browser.NewContextAsync(fixture.BaseAddress);
        var page = await context.NewPageAsync();
        await Browser.LoginWithKeyAsync(page, ContactCenterApp.AgentKey, "/login");

        // A forged request rides the cookie but cannot read the token: refused before the endpoint runs.
        var forged = await page.EvaluateAsync<int>("""
            async () => (await fetch('/api/agents/agent-1/status', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                body: JSON.stringify({ status: 'away' }) })).status
            """);
        Assert.Equal(400, forged);

        var withToken = await page.EvaluateAsync<int>("""
            async () => { try { await cc.api('/api/agents/agent-1/status', { method: 'POST', body: { status: 'away' } }); return 200; }
                          catch (e) { return e.status; } }
            """);
        Assert.NotEqual(400, withToken);
        Assert.True(withToken < 500);
    }

    [Fact]
    public async Task Bearer_key_callers_need_no_csrf_token()
    {
        using var client = fixture.App.Agent();
        using var response = await client.PostAsJsonAsync("/api/agents/agent-1/status", new { status = "away" });
        Assert.NotEqual(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((int)response.StatusCode < 500);
    }
}
