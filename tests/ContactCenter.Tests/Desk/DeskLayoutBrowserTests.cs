using System.Text.Json;
using ContactCenter.Tests.Routing;
using ContactCenter.Tests.Twilio;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ContactCenter.Tests.Desk;

/// <summary>
/// Issue 13's item 10 in a real browser: the desk at 1280×800 and on a tablet (820×1180, portrait) with nothing
/// cut off sideways, screenshots of both kept as test output; the keyboard shortcuts; a label on every field.
/// </summary>
public sealed class DeskLayoutBrowserTests(DeskFixture fx) : IClassFixture<DeskFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetDeskAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>Two SMS conversations routing gave to agent 1, one with a long unbroken line (a pasted link).</summary>
    private async Task<(Guid First, Guid Second)> TwoConversationsAsync()
    {
        await fx.App.CreateAgentAsync(ContactCenterApp.AgentId, capacity: new { messaging = 5 }, status: "available");
        await fx.ReceiveAsync(TwilioRequests.Sms("The tracking page says https://parcels.example.test/track/" + new string('x', 160), "+14155550321"));
        var first = await fx.ConversationAsync("sms", "+14155550321");
        await fx.ReceiveAsync(TwilioRequests.Sms("Can I change my delivery address?", "+14155550322"));
        var second = await fx.ConversationAsync("sms", "+14155550322");
        foreach (var id in new[] { first, second })
            await fx.App.WaitForAsync(id, c => c.Assignee() == ContactCenterApp.AgentId, "agent-1 has it");
        return (first, second);
    }

    private static async Task AssertNoSidewaysOverflowAsync(IPage page, string what)
    {
        var widths = await page.EvaluateAsync<JsonElement>(
            "() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })");
        var (scroll, client) = (widths.GetProperty("scroll").GetInt32(), widths.GetProperty("client").GetInt32());
        Assert.True(scroll <= client, $"{what}: the page is {scroll} px wide in a {client} px window (scrolls sideways)");
        // Nor does any column scroll sideways inside (a field or a line wider than its column).
        var wide = await page.EvaluateAsync<string[]>("""
            () => ["inbox", "conversation", "timeline", "side", "softphone"].map(id => document.getElementById(id))
              .filter(el => el && el.offsetParent !== null && el.scrollWidth > el.clientWidth + 1)
              .map(el => el.id + ": " + el.scrollWidth + " > " + el.clientWidth)
            """);
        Assert.True(wide.Length == 0, $"{what}: columns wider than they show: {string.Join(", ", wide)}");
    }

    /// <summary>The element is on screen, not cut off at either side, and wide enough to read.</summary>
    private static async Task<LocatorBoundingBoxResult> AssertReadableAsync(IPage page, string selector, int minWidth)
    {
        var box = await page.Locator(selector).First.BoundingBoxAsync() ?? throw new Xunit.Sdk.XunitException($"{selector} is not shown");
        var width = page.ViewportSize!.Width;
        Assert.True(box.X >= 0 && box.X + box.Width <= width + 0.5, $"{selector} spans {box.X}..{box.X + box.Width} in a {width} px window");
        Assert.True(box.Width >= minWidth, $"{selector} is only {box.Width} px wide");
        return box;
    }

    [Theory]
    [InlineData("1280x800", 1280, 800)]
    [InlineData("tablet-820x1180", 820, 1180)]
    public async Task The_inbox_and_a_conversation_are_readable_and_kept_as_screenshots(string name, int width, int height)
    {
        var (first, _) = await TwoConversationsAsync();
        await using var context = await Browser.NewContextAsync(fx.BaseAddress, new ViewportSize { Width = width, Height = height });
        var page = await context.NewPageAsync();
        await Browser.LoginWithKeyAsync(page, ContactCenterApp.AgentKey, "/desk");
        await Expect(page.Locator("#state")).ToHaveTextAsync("live", new() { Timeout = 30_000 }); // the first page of a loaded run also starts the browser and the stream
        await Expect(page.Locator("#inbox-mine li[data-id]")).ToHaveCountAsync(2);
        await Expect(page.Locator("#softphone [data-role=status]")).ToContainTextAsync("The phone is off");

        await AssertNoSidewaysOverflowAsync(page, $"inbox at {name}");
        await AssertReadableAsync(page, "#inbox", 240);
        await AssertReadableAsync(page, "#softphone", 240);
        await Browser.ScreenshotAsync(page, $"desk-inbox-{name}");

        await page.InboxItem("inbox-mine", first).Locator("button").ClickAsync();
        await Expect(page.Locator("#timeline li[data-type='message.received']")).ToContainTextAsync("tracking page");
        await AssertNoSidewaysOverflowAsync(page, $"conversation at {name}");
        var inbox = await AssertReadableAsync(page, "#inbox", 240);
        var conversation = await AssertReadableAsync(page, "#conversation", 400);
        var side = await AssertReadableAsync(page, "#side", 240);
        await AssertReadableAsync(page, "#timeline li[data-type='message.received'] .bubble", 150);
        await AssertReadableAsync(page, "#reply", 300);
        await AssertReadableAsync(page, "#resolve", 40);
        if (width >= 1200)
        {
            // Three columns side by side.
            Assert.True(inbox.X + inbox.Width <= conversation.X + 1 && conversation.X + conversation.Width <= side.X + 1,
                $"columns: inbox {inbox.X}+{inbox.Width}, conversation {conversation.X}+{conversation.Width}, side {side.X}");
        }
        else
        {
            // Stacked: the customer and actions go below the conversation, across the width.
            Assert.True(side.Y >= conversation.Y + conversation.Height - 1, $"side at {side.Y}, conversation ends at {conversation.Y + conversation.Height}");
            Assert.True(side.Width >= width * 0.9, $"side is {side.Width} px of {width}");
        }

        await Browser.ScreenshotAsync(page, $"desk-conversation-{name}");
        Assert.True(File.Exists(Path.Combine(Browser.ScreenshotDirectory, $"desk-conversation-{name}.png")));

        // Every field has a name a screen reader reads out: a <label>, aria-label or aria-labelledby (buttons: their text).
        var unlabelled = await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll("input:not([type=hidden]), select, textarea, button")].filter(el => {
              const byLabel = [...(el.labels || [])].map(l => l.textContent.trim()).join(" ");
              const byIds = (el.getAttribute("aria-labelledby") || "").split(/\s+/).filter(Boolean)
                .map(id => (document.getElementById(id) || {}).textContent || "").join(" ").trim();
              const name = byLabel || (el.getAttribute("aria-label") || "").trim() || byIds || (el.tagName === "BUTTON" ? el.textContent.trim() : "");
              return !name;
            }).map(el => el.outerHTML.slice(0, 160))
            """);
        Assert.True(unlabelled.Length == 0, "fields without a label:\n" + string.Join("\n", unlabelled));
        // And the browser's own accessibility tree agrees for the ones an agent uses most.
        await Expect(page.GetByRole(AriaRole.Textbox, new() { Name = "Reply", Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Combobox, new() { Name = "My status" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Combobox, new() { Name = "Transfer to" })).ToBeVisibleAsync();
        await Expect(page.Locator("#softphone [data-role=number]")).ToBeHiddenAsync(); // no phone here: Twilio's API key is not configured
        await Expect(page.GetByRole(AriaRole.Searchbox, new() { Name = "Tag" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Keyboard_shortcuts_move_between_conversations_focus_reply_and_note_send_and_resolve()
    {
        var (first, second) = await TwoConversationsAsync();
        var (context, page) = await fx.OpenDeskAsync(ContactCenterApp.AgentKey);
        await using var _ = context;
        await Expect(page.Locator("#inbox-mine li[data-id]")).ToHaveCountAsync(2);
        var order = await page.Locator("#inbox li[data-id]").EvaluateAllAsync<string[]>("items => items.map(li => li.dataset.id)");
        Assert.Equal(new[] { first.ToString(), second.ToString() }.Order(), order.Take(2).Order());
        var active = page.Locator("#inbox li.active");

        await page.GetByRole(AriaRole.Button, new() { Name = "Shortcuts" }).ClickAsync();
        await Expect(page.Locator("#shortcuts")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Shortcuts" })).ToHaveAttributeAsync("aria-expanded", "true");

        // j: the next conversation (the first, when none is open), j again the one after, k back.
        await page.Keyboard.PressAsync("j");
        await Expect(active).ToHaveAttributeAsync("data-id", order[0]);
        await Expect(page.Locator("#conversation")).ToBeVisibleAsync();
        await page.Keyboard.PressAsync("j");
        await Expect(active).ToHaveAttributeAsync("data-id", order[1]);
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(order[1]));
        await page.Keyboard.PressAsync("k");
        await Expect(active).ToHaveAttributeAsync("data-id", order[0]);
        await Expect(page.Locator("#timeline li[data-type='message.received']")).ToHaveCountAsync(1);

        // r: the reply box; Ctrl+Enter sends; Esc leaves the field, so letters are shortcuts again.
        await page.Keyboard.PressAsync("r");
        var reply = page.GetByRole(AriaRole.Textbox, new() { Name = "Reply", Exact = true });
        await Expect(reply).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync("Sent from the keyboard");
        await page.Keyboard.PressAsync("Control+Enter");
        await TestSupport.EventuallyAsync(() => Task.FromResult(fx.Twilio.Calls.Any(c => c["Body"] == "Sent from the keyboard")), "the reply went out");
        var openId = Guid.Parse(order[0]);
        Assert.Single(fx.Twilio.Calls, c => c["Body"] == "Sent from the keyboard");
        await Expect(reply).ToHaveValueAsync("");
        await page.Keyboard.PressAsync("Escape");
        await Expect(reply).Not.ToBeFocusedAsync();

        // n: an internal note, in the same box.
        await page.Keyboard.PressAsync("n");
        await Expect(page.GetByLabel("Internal note", new() { Exact = true })).ToBeCheckedAsync();
        await Expect(page.Locator("#reply")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Escape");

        // e: resolve the open conversation.
        await page.Keyboard.PressAsync("e");
        await fx.App.WaitForStatusAsync(openId, "resolved");
        await Expect(page.Locator("#action-state")).ToHaveTextAsync("Resolved");
        Assert.Equal("assigned", (await fx.App.ConversationAsync(openId == first ? second : first))["status"]!.GetValue<string>());
    }
}
