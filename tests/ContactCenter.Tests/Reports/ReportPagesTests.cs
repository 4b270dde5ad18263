using System.Net.Http.Headers;
using ContactCenter.Tests.Infrastructure;
using ContactCenter.Tests.Routing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ContactCenter.Tests.Reports;

/// <summary>The service on a real port with a short webchat target, so a breach happens within seconds.</summary>
public sealed class ConsoleFixture : RoutingFixture
{
    protected override bool OnRealPort => true;
}

/// <summary>The reports page and the live console in a real browser (Playwright + Chromium).</summary>
public sealed class ReportPagesTests(ConsoleFixture fx) : IClassFixture<ConsoleFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task The_chart_has_a_point_per_hour_and_the_csv_downloads()
    {
        await ReportDayTests.BuildDayAsync(fx);
        await using var context = await Browser.NewContextAsync(fx.BaseAddress);
        var page = await context.NewPageAsync();
        await Browser.LoginWithKeyAsync(page, ContactCenterApp.SupervisorKey, "/reports?report=volume&from=2026-03-02&to=2026-03-02&by=hour&timeZone=UTC");

        await Expect(page.Locator("#status")).ToHaveTextAsync("24 hours in UTC");
        await Expect(page.Locator("#chart canvas")).ToHaveCountAsync(1);
        // The points the chart was given: one per hour, and the 16:00 value is K7 and K8.
        Assert.Equal(24, await page.EvaluateAsync<int>("() => window.reportChart.data[0].length"));
        Assert.Equal(2, await page.EvaluateAsync<int>("() => window.reportChart.data[1][16]"));
        Assert.Equal("conversations", await page.EvaluateAsync<string>("() => window.reportChart.series[1].label"));
        await Expect(page.Locator("#rows tr")).ToHaveCountAsync(24);
        await Expect(page.Locator("#total td").Nth(1)).ToHaveTextAsync("9");
        await Browser.ScreenshotAsync(page, "reports-volume-by-hour");

        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#csv").ClickAsync());
        Assert.Equal("volume-2026-03-02.csv", download.SuggestedFilename);
        var downloaded = await File.ReadAllTextAsync((await download.PathAsync())!);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/reports/volume?from=2026-03-02&to=2026-03-02&by=hour&timeZone=UTC");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        var fromApi = await (await fx.App.Supervisor().SendAsync(request)).Content.ReadAsStringAsync();
        Assert.Equal(fromApi, downloaded);
        Assert.Equal(26, downloaded.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length); // header, 24 hours, total
    }

    [Fact]
    public async Task A_breach_appears_live_on_an_open_console_and_can_be_acknowledged()
    {
        await fx.App.PutQueueAsync("general", new { });
        await using var context = await Browser.NewContextAsync(fx.BaseAddress);
        var page = await context.NewPageAsync();
        await Browser.LoginWithKeyAsync(page, ContactCenterApp.SupervisorKey, "/supervisor");
        await Expect(page.Locator("#state")).ToHaveTextAsync("live");
        await Expect(page.Locator("#alerts .alert")).ToHaveCountAsync(0);

        // A visitor writes on webchat (target 3 s) and nobody answers: the breach reaches the open page by itself.
        var conversation = await fx.App.CustomerWritesAsync("visitor-breach", "hello?");
        var alert = page.Locator($"#alerts .alert[data-conversation='{conversation}']");
        await Expect(alert).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Expect(alert).ToContainTextAsync("Breach: first response in general");
        await Expect(page.Locator("#queues tr[data-queue='general'] .forecast-agents")).Not.ToBeEmptyAsync();
        await Browser.ScreenshotAsync(page, "console-breach");

        await alert.GetByRole(AriaRole.Button, new() { Name = "Acknowledge" }).ClickAsync();
        await Expect(alert).ToHaveCountAsync(0);
    }
}
