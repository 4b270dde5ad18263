using System.Diagnostics;
using System.Net;
using ContactCenter.Tests.Routing;
using ContactCenter.Tests.Twilio;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace ContactCenter.Tests.Desk;

/// <summary>
/// A WhatsApp customer talks to the bot, is handed to billing and assigned: the agent's open desk shows it without a
/// reload, with the bot's context; a canned reply with variables goes out once; the delivery status shows live.
/// </summary>
public sealed class DeskReplyTests(DeskBotFixture fx, ITestOutputHelper output) : IClassFixture<DeskBotFixture>, IAsyncLifetime
{
    private const string Customer = "+14155550301";

    public Task InitializeAsync() => fx.ResetDeskAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_handed_off_whatsapp_message_reaches_the_open_desk_and_a_canned_reply_goes_out_once_and_shows_delivered()
    {
        await fx.App.CreateAgentAsync(ContactCenterApp.AgentId, status: "available");
        await fx.App.Supervisor().PostJsonAsync("/api/canned-replies", new
        {
            title = "Refund on its way",
            text = "Hi {customer.firstName}, the refund for order {order.number} is on its way. {agent.name}",
            language = "en",
        }, HttpStatusCode.Created);
        await fx.App.Supervisor().PostJsonAsync("/api/canned-replies", new { title = "Opening hours", text = "We are open 9 to 5." }, HttpStatusCode.Created);

        var (context, page) = await fx.OpenDeskAsync(ContactCenterApp.AgentKey);
        await using var _ = context;
        // Set in the page now: a reload would lose it.
        await page.EvaluateAsync("() => { window.__notReloaded = true; }");

        await fx.ReceiveAsync(TwilioRequests.WhatsApp("I was charged twice", Customer, profileName: "Maria Lopez"));
        var id = await fx.ConversationAsync("whatsapp", Customer);
        await TestSupport.EventuallyAsync(async () => (await fx.App.EventsAsync(id, "bot.reply")).Count >= 1, "the bot asked for the order");
        await fx.ReceiveAsync(TwilioRequests.WhatsApp("It's NW-12345", Customer, profileName: "Maria Lopez"));
        await fx.App.WaitForAsync(id, c => c.Assignee() == ContactCenterApp.AgentId, "agent-1 has it");
        var assignedAt = Stopwatch.StartNew();

        var item = page.InboxItem("inbox-mine", id);
        await Assertions.Expect(item).ToBeVisibleAsync();
        output.WriteLine($"In the open inbox {assignedAt.ElapsedMilliseconds} ms after the assignment was seen through the API");
        await Assertions.Expect(item).ToContainTextAsync("Maria Lopez");
        await Assertions.Expect(item.Locator(".due")).ToContainTextAsync("due in");
        Assert.True(await page.EvaluateAsync<bool>("() => window.__notReloaded === true"), "the inbox updated without a reload");
        await Browser.ScreenshotAsync(page, "desk-inbox");

        await item.Locator("button").ClickAsync();
        var handoff = page.Locator("#handoff");
        await Assertions.Expect(handoff).ToContainTextAsync("billing");
        await Assertions.Expect(handoff).ToContainTextAsync("NW-12345");
        await Assertions.Expect(handoff).ToContainTextAsync("I was charged twice");
        await Assertions.Expect(page.Locator("#timeline")).ToContainTextAsync("It's NW-12345");

        var reply = page.GetByRole(AriaRole.Textbox, new() { Name = "Reply", Exact = true });
        await reply.FillAsync("/refund");
        var option = page.Locator("#canned-list li[role=option]");
        await Assertions.Expect(option).ToHaveCountAsync(1);
        await Assertions.Expect(option).ToContainTextAsync("Refund on its way");
        await option.ClickAsync();
        const string expected = "Hi Maria, the refund for order NW-12345 is on its way. agent-1";
        await Assertions.Expect(reply).ToHaveValueAsync(expected);
        await Browser.ScreenshotAsync(page, "desk-conversation-before-send");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();

        await TestSupport.EventuallyAsync(() => Task.FromResult(fx.Twilio.Calls.Any(c => c["Body"] == expected)), "Twilio was asked to send the reply");
        var sent = Assert.Single(fx.Twilio.Calls, c => c["To"] == "whatsapp:" + Customer && c["Body"] == expected);
        // Twilio has been called; the message id it answered is recorded a moment later, in the send's own transaction.
        System.Text.Json.Nodes.JsonNode outbound = null!;
        await TestSupport.EventuallyAsync(async () =>
        {
            outbound = (await fx.App.Agent().GetJsonAsync($"/api/conversations/{id}/messages")).AsArray()
                .Single(m => m!["text"]?.GetValue<string>() == expected)!;
            return outbound["providerMessageId"] is not null;
        }, "the send recorded Twilio's message id");
        var sid = outbound["providerMessageId"]!.GetValue<string>();
        var message = page.Locator($"#timeline li[data-message='{outbound["id"]!.GetValue<string>()}']");
        await Assertions.Expect(message.Locator(".status")).ToHaveTextAsync("queued");

        var status = await fx.PostStatusAsync(Guid.Parse(outbound["id"]!.GetValue<string>()), sid, "delivered", to: "whatsapp:" + Customer);
        Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
        await Assertions.Expect(message.Locator(".status")).ToHaveTextAsync("delivered");
        Assert.True(await page.EvaluateAsync<bool>("() => window.__notReloaded === true"), "the status arrived without a reload");
        await Browser.ScreenshotAsync(page, "desk-conversation");
        // Still exactly one send, after the status callback too.
        Assert.Single(fx.Twilio.Calls, c => c["Body"] == expected);
        Assert.Equal("whatsapp:" + TwilioFixture.WhatsAppSender, sent["From"]);
    }
}
