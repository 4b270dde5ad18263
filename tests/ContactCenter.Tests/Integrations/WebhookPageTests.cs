using ContactCenter.Core.Channels;
using Microsoft.Playwright;

namespace ContactCenter.Tests.Integrations;

public sealed class WebhookBrowserFixture : WebhookFixture
{
    protected override bool OnRealPort => true;
}

/// <summary>The admin page in a real browser: the delivery log and a replay.</summary>
public sealed class WebhookPageTests(WebhookBrowserFixture fx) : IClassFixture<WebhookBrowserFixture>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        fx.Receiver.Reset();
        await fx.ResetAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task AnAdminSeesTheDeliveryLogAndReplaysAFailedDelivery()
    {
        var url = fx.Receiver.Url + "?tag=<b>crm</b>";
        var (subscription, _) = await fx.App.SubscribeAsync(url, "message.received");
        fx.Receiver.Default = 400;
        await fx.App.ReceiveAsync(Inbound.Message(Channel.Telegram, "5150", "page-1", "<img src=x onerror=alert(1)>"));
        await TestSupport.EventuallyAsync(async () =>
            (await fx.App.DeliveriesAsync(subscription)).Single()!["status"]!.GetValue<string>() == "failed", "the delivery fails");

        await using var context = await Browser.NewContextAsync(fx.BaseAddress);
        var page = await context.NewPageAsync();
        var csp = "";
        page.Response += (_, r) => { if (r.Url.EndsWith("/admin/webhooks")) csp = r.Headers.GetValueOrDefault("content-security-policy", ""); };
        await Browser.LoginWithKeyAsync(page, ContactCenterApp.AdminKey, "/admin/webhooks");
        Assert.Contains("script-src 'self'", csp);

        // The URL is shown as text, never as markup.
        await Assertions.Expect(page.Locator("section.subscription h2")).ToHaveTextAsync(url);
        var row = page.Locator("tr[data-delivery]");
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row.Locator(".status")).ToHaveTextAsync("failed");
        await Assertions.Expect(row).ToContainTextAsync("400");
        await Assertions.Expect(page.Locator("body")).Not.ToContainTextAsync("never stored");
        await Browser.ScreenshotAsync(page, "webhooks-failed-delivery");

        fx.Receiver.Default = 200;
        await row.GetByRole(AriaRole.Button, new() { Name = "Replay" }).ClickAsync();
        await Assertions.Expect(page.Locator("#state")).ToContainTextAsync("queued again");
        await TestSupport.EventuallyAsync(async () =>
            (await fx.App.DeliveriesAsync(subscription)).Single()!["status"]!.GetValue<string>() == "delivered", "the replay is recorded as delivered");
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("tr[data-delivery] .status")).ToHaveTextAsync("delivered");
        Assert.Equal(2, fx.Receiver.Received.Count);
        Assert.Single(fx.Receiver.Received.Select(r => r.WebhookId).Distinct());
    }

    [Fact]
    public async Task AnAdminEnablesADisabledSubscriptionAgain()
    {
        var (subscription, _) = await fx.App.SubscribeAsync(fx.Receiver.Url, "message.received");
        fx.Receiver.Default = 410;
        await fx.App.ReceiveAsync(Inbound.Message(Channel.Telegram, "5151", "page-gone-1", "first"));
        await TestSupport.EventuallyAsync(async () =>
            (await fx.App.Admin().GetJsonAsync($"/api/webhooks/subscriptions/{subscription}"))["disabledAt"] is not null, "410 disables it");

        await using var context = await Browser.NewContextAsync(fx.BaseAddress);
        var page = await context.NewPageAsync();
        await Browser.LoginWithKeyAsync(page, ContactCenterApp.AdminKey, "/admin/webhooks");
        var section = page.Locator("section.subscription");
        await Assertions.Expect(section.Locator(".state")).ToContainTextAsync("disabled");
        await Assertions.Expect(section.Locator(".state")).ToContainTextAsync("410");
        await Assertions.Expect(section.GetByRole(AriaRole.Button, new() { Name = "Replay" })).ToBeDisabledAsync();

        fx.Receiver.Default = 200;
        await section.GetByRole(AriaRole.Button, new() { Name = "Enable again" }).ClickAsync();
        await Assertions.Expect(page.Locator("#state")).ToHaveTextAsync("Subscription enabled again");
        await Assertions.Expect(section.Locator(".state")).ToHaveTextAsync("active");
        await Assertions.Expect(section.GetByRole(AriaRole.Button, new() { Name = "Replay" })).ToBeEnabledAsync();
        Assert.Null((await fx.App.Admin().GetJsonAsync($"/api/webhooks/subscriptions/{subscription}"))["disabledAt"]);

        // It receives again: a new event is delivered, and after a reload the page shows it active without the button.
        await fx.App.ReceiveAsync(Inbound.Message(Channel.Telegram, "5151", "page-gone-2", "second"));
        await TestSupport.EventuallyAsync(() => Task.FromResult(fx.Receiver.Acknowledged.Any()), "the new event is delivered");
        await page.ReloadAsync();
        await Assertions.Expect(section.Locator(".state")).ToHaveTextAsync("active");
        await Assertions.Expect(section.GetByRole(AriaRole.Button, new() { Name = "Enable again" })).ToHaveCountAsync(0);
        await Browser.ScreenshotAsync(page, "webhooks-enabled-again");
    }
}
