using System.Net;
using ContactCenter.Tests.Operations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ContactCenter.Tests.Accounts;

/// <summary>The accounts host with every log line captured, down to Debug and for every category (no filter rules).</summary>
public sealed class AccountLogsFixture : AccountsFixture
{
    public CapturedLogs Logs { get; } = new(LogLevel.Debug);

    protected override void ConfigureServices(IServiceCollection services)
    {
        base.ConfigureServices(services);
        services.AddSingleton<ILoggerProvider>(Logs);
        // More than an operator would keep: what the service and the framework say when asked for everything.
        services.Configure<LoggerFilterOptions>(o =>
        {
            o.MinLevel = LogLevel.Debug;
            o.Rules.Clear();
        });
    }
}

public class AccountLogsTests(AccountLogsFixture fx) : IClassFixture<AccountLogsFixture>, IAsyncLifetime
{
    private const string Email = "quinta.marsh@example.test";
    private const string FirstPassword = "first-secret-Ohm7";
    private const string WrongPassword = "wrong-secret-Vex2";
    private const string LinkPassword = "linked-secret-Tau9";
    private const string Phone = "+14155550173";

    public async Task InitializeAsync()
    {
        await fx.ResetAndSeedAsync();
        fx.Logs.Clear();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task SignInsPasswordLinksUsersAndKeysLeaveNoEmailPasswordPhoneNumberOrSecretInTheLogs()
    {
        var admin = fx.App.Admin();
        var id = await fx.CreateUserAsync(Email, FirstPassword, agentId: "quinta", queues: ["support"]);

        var browser = new CookieSession(fx.App);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.SignInAsync(Email, FirstPassword)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await new CookieSession(fx.App).SignInJsonAsync(Email, FirstPassword)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await new CookieSession(fx.App).SignInAsync(Email, WrongPassword)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await new CookieSession(fx.App).SignInJsonAsync(Email, WrongPassword)).StatusCode);
        // Someone types their phone number where the email goes.
        Assert.Equal(HttpStatusCode.Unauthorized, (await new CookieSession(fx.App).SignInAsync(Phone, WrongPassword)).StatusCode);

        var link = await admin.PostJsonAsync($"/api/users/{id}/password-link", new { }, HttpStatusCode.OK);
        var url = new Uri(link["url"]!.GetValue<string>());
        var token = System.Web.HttpUtility.ParseQueryString(url.Query)["token"]!;
        var set = await new CookieSession(fx.App).PostFormAsync("/set-password",
            new() { ["token"] = token, ["password"] = LinkPassword, ["confirm"] = LinkPassword }, tokenFrom: url.PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await new CookieSession(fx.App).SignInJsonAsync(Email, LinkPassword)).StatusCode);

        var key = await admin.PostJsonAsync("/api/keys", new { name = "CRM", role = "integration" }, HttpStatusCode.Created);
        var secret = key["key"]!.GetValue<string>();
        // The new key works (and a wrong one is refused) without either showing in the logs.
        await (await fx.App.ClientWithKey(secret).GetAsync($"/api/customers/{Guid.NewGuid()}")).ProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.Unauthorized, (await fx.App.ClientWithKey(secret + "x").GetAsync("/api/customers")).StatusCode);

        var lines = fx.Logs.Lines;
        // The capture works: the framework's request lines (Information) and its Debug lines are there.
        Assert.Contains(lines, l => l.Contains("/login", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Debug ", StringComparison.Ordinal));
        var forbidden = new[] { Email, FirstPassword, WrongPassword, LinkPassword, Phone, Phone[2..], Uri.EscapeDataString(Phone), secret };
        var leaks = lines.SelectMany(l => forbidden.Where(f => l.Contains(f, StringComparison.OrdinalIgnoreCase)).Select(f => $"'{f}' in: {l}")).ToList();
        Assert.True(leaks.Count == 0, string.Join("\n", leaks));

        // The link's token is in its URL, and so in the framework's own request lines (Information): nowhere else, and
        // those lines are off as the service ships (Microsoft.AspNetCore at Warning in appsettings.json).
        var withToken = lines.Where(l => l.Contains(token, StringComparison.Ordinal) || l.Contains(Uri.EscapeDataString(token), StringComparison.Ordinal)).ToList();
        Assert.All(withToken, l => Assert.StartsWith("Information Microsoft.AspNetCore.Hosting.Diagnostics: Request ", l));
        Assert.Equal("Warning", fx.App.Service<Microsoft.Extensions.Configuration.IConfiguration>()["Logging:LogLevel:Microsoft.AspNetCore"]);
    }
}
