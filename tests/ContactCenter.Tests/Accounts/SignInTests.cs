using System.Net;
using ContactCenter.Core.Storage;

namespace ContactCenter.Tests.Accounts;

public class SignInTests(AccountsFixture fx) : IClassFixture<AccountsFixture>, IAsyncLifetime
{
    private const string Password = "correct-horse-battery";

    public Task InitializeAsync() => fx.ResetAndSeedAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task APersonSignsInWithEmailAndPasswordThroughTheFormOrJson()
    {
        await fx.CreateUserAsync("ann@example.test", Password, agentId: "ann", queues: ["support"]);

        var browser = new CookieSession(fx.App);
        var signIn = await browser.SignInAsync("Ann@Example.test", Password);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal("/desk", signIn.Headers.Location!.OriginalString);
        var cookie = browser.LastSessionCookieHeader!.ToLowerInvariant();
        Assert.Contains("httponly", cookie);
        Assert.Contains("samesite=lax", cookie);
        Assert.Contains("secure", cookie); // the test host runs as "Testing": outside Development
        var session = await browser.SessionAsync();
        Assert.Equal("ann", session!["name"]!.GetValue<string>());
        Assert.Equal("agent", session["role"]!.GetValue<string>());
        Assert.Equal("ann", session["agentId"]!.GetValue<string>());

        var api = new CookieSession(fx.App);
        var json = await (await api.SignInJsonAsync("ann@example.test", Password)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("agent", json["role"]!.GetValue<string>());
        Assert.NotNull(api.SessionCookie);
        Assert.NotEqual(browser.SessionCookie, api.SessionCookie);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/desk")).StatusCode);
    }

    [Fact]
    public async Task TheSeededAdminSignsIn()
    {
        var browser = new CookieSession(fx.App);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.SignInAsync(AccountsFixture.AdminEmail, AccountsFixture.AdminPassword)).StatusCode);
        Assert.Equal("admin", (await browser.SessionAsync())!["role"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/admin/users")).StatusCode);
    }

    [Fact]
    public async Task AnUnknownEmailAndAWrongPasswordGetTheSameAnswer()
    {
        await fx.CreateUserAsync("ann@example.test", Password);
        var unknown = await new CookieSession(fx.App).SignInAsync("nobody@example.test", Password);
        var wrong = await new CookieSession(fx.App).SignInAsync("ann@example.test", "not-the-password");
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(StripToken(await unknown.Content.ReadAsStringAsync()), StripToken(await wrong.Content.ReadAsStringAsync()));
        Assert.False(unknown.Headers.Contains("Set-Cookie") && unknown.Headers.GetValues("Set-Cookie").Any(c => c.StartsWith("cc_session=", StringComparison.Ordinal)));

        var unknownJson = await (await new CookieSession(fx.App).SignInJsonAsync("nobody@example.test", Password)).ProblemAsync(HttpStatusCode.Unauthorized);
        var wrongJson = await (await new CookieSession(fx.App).SignInJsonAsync("ann@example.test", "nope-nope-nope")).ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(unknownJson["detail"]!.GetValue<string>(), wrongJson["detail"]!.GetValue<string>());
        await (await new CookieSession(fx.App).SignInJsonAsync("", "")).ProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task TooManyWrongPasswordsLockTheAccountUntilTheLockoutExpires()
    {
        await fx.CreateUserAsync("ann@example.test", Password);
        var browser = new CookieSession(fx.App);
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.Unauthorized, (await browser.SignInJsonAsync("ann@example.test", "wrong-" + i)).StatusCode);
        // Locked: the right password is refused too, with the same answer as a wrong one.
        var locked = await (await browser.SignInJsonAsync("ann@example.test", Password)).ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(ContactCenter.Server.Pages.LoginPages.SignInRefused, locked["detail"]!.GetValue<string>());
        fx.Clock.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.SignInJsonAsync("ann@example.test", Password)).StatusCode);
        fx.Clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await browser.SignInJsonAsync("ann@example.test", Password)).StatusCode);
        // A success clears the count: two more failures do not lock again.
        for (var i = 0; i < 2; i++) Assert.Equal(HttpStatusCode.Unauthorized, (await browser.SignInJsonAsync("ann@example.test", "wrong-" + i)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.SignInJsonAsync("ann@example.test", Password)).StatusCode);
    }

    [Fact]
    public async Task SignInGivesANewSessionAndSignOutEndsItOnTheServer()
    {
        await fx.CreateUserAsync("ann@example.test", Password);
        var browser = new CookieSession(fx.App);
        await browser.SignInAsync("ann@example.test", Password);
        var first = browser.SessionCookie!;
        // Signing in again (carrying the old cookie) replaces the session: the old cookie opens nothing any more.
        await browser.SignInAsync("ann@example.test", Password);
        var second = browser.SessionCookie!;
        Assert.NotEqual(first, second);
        var stale = new CookieSession(fx.App);
        stale.Cookies["cc_session"] = first;
        Assert.Null(await stale.SessionAsync());

        // A copy of the current cookie works until the owner signs out; then neither does.
        var copy = new CookieSession(fx.App);
        copy.Cookies["cc_session"] = second;
        Assert.NotNull(await copy.SessionAsync());
        var token = await browser.CsrfTokenAsync();
        var signOut = await browser.PostFormAsync("/logout", new() { ["__RequestVerificationToken"] = token }, withToken: false);
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Null(await copy.SessionAsync());
        await using var connection = await fx.Db.OpenConnectionAsync();
        Assert.Equal(2L, await connection.Sql("select count(*) from user_sessions where ended_at is not null").ExecuteScalarAsync());
    }

    [Fact]
    public async Task SignInAndSignOutFormsNeedTheirAntiforgeryToken()
    {
        await fx.CreateUserAsync("ann@example.test", Password);
        var browser = new CookieSession(fx.App);
        var forged = await browser.SignInAsync("ann@example.test", Password, withToken: false);
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Null(browser.SessionCookie);

        await browser.SignInAsync("ann@example.test", Password);
        var signOut = await browser.PostFormAsync("/logout", new(), withToken: false);
        Assert.Equal(HttpStatusCode.BadRequest, signOut.StatusCode);
        Assert.NotNull(await browser.SessionAsync());
    }

    [Fact]
    public async Task ChangingAPersonsRoleOrDisablingThemEndsTheirSessions()
    {
        var id = await fx.CreateUserAsync("ann@example.test", Password);
        var browser = new CookieSession(fx.App);
        await browser.SignInAsync("ann@example.test", Password);
        await fx.App.Admin().PutJsonAsync($"/api/users/{id}",
            new { email = "ann@example.test", name = "ann", role = "agent", agentId = "agent-9", queues = new[] { "billing" } }, HttpStatusCode.OK);
        Assert.Null(await browser.SessionAsync());
        await browser.SignInAsync("ann@example.test", Password);
        Assert.NotNull(await browser.SessionAsync());
        await fx.App.Admin().PutJsonAsync($"/api/users/{id}",
            new { email = "ann@example.test", name = "ann", role = "agent", agentId = "agent-9", queues = new[] { "billing" }, disabled = true }, HttpStatusCode.OK);
        Assert.Null(await browser.SessionAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.SignInJsonAsync("ann@example.test", Password)).StatusCode);
    }

    private static string StripToken(string html) =>
        System.Text.RegularExpressions.Regex.Replace(html, "name=\"__RequestVerificationToken\" value=\"[^\"]+\"", "");
}
