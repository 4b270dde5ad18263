using System.Net;
using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;
using ContactCenter.Tests.Routing;
using ContactCenter.Tests.Twilio;
using Microsoft.Playwright;

namespace ContactCenter.Tests.Desk;

/// <summary>The desk in a real browser: two agents on one conversation, customer text as text, the closed WhatsApp window, away.</summary>
public sealed class DeskBrowserTests(DeskFixture fx) : IClassFixture<DeskFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetDeskAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>An SMS conversation routing gave to agent-1 (agent-2 exists, away, so routing leaves them out).</summary>
    private async Task<Guid> AssignedToAgent1Async(string customer, string text)
    {
        await fx.App.CreateAgentAsync(ContactCenterApp.AgentId, status: "available");
        await fx.App.CreateAgentAsync(ContactCenterApp.Agent2Id, status: "away");
        await fx.ReceiveAsync(TwilioRequests.Sms(text, customer));
        var id = await fx.ConversationAsync("sms", customer);
        await fx.App.WaitForAsync(id, c => c.Assignee() == ContactCenterApp.AgentId, "agent-1 has it");
        return id;
    }

    [Fact]
    public async Task Two_agents_on_one_conversation_see_each_other_and_the_one_who_does_not_own_it_is_refused()
    {
        var id = await AssignedToAgent1Async("+14155550311", "Where is my parcel?");
        var (ownerContext, owner) = await fx.OpenDeskAsync(ContactCenterApp.AgentKey, $"/desk?conversation={id}");
        await using var _ = ownerContext;
        var (otherContext, other) = await fx.OpenDeskAsync(ContactCenterApp.Agent2Key, $"/desk?conversation={id}");
        await using var __ = otherContext;

        await Assertions.Expect(owner.Locator("#presence")).ToContainTextAsync("Also open by agent-2");
        await Assertions.Expect(other.Locator("#presence")).ToContainTextAsync("Also open by agent-1");
        await Assertions.Expect(other.Locator("#owner-banner")).ToBeVisibleAsync();
        await Assertions.Expect(other.Locator("#owner-text")).ToContainTextAsync("Assigned to agent-1");
        await Assertions.Expect(owner.Locator("#owner-banner")).ToBeHiddenAsync();

        // The owner types: the other desk says so.
        await owner.GetByRole(AriaRole.Textbox, new() { Name = "Reply", Exact = true }).PressSequentiallyAsync("Let me check");
        await Assertions.Expect(other.Locator("#presence")).ToContainTextAsync("agent-1 is typing");

        await other.GetByRole(AriaRole.Textbox, new() { Name = "Reply", Exact = true }).FillAsync("I can help too");
        await other.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        var error = other.Locator("#reply-error");
        await Assertions.Expect(error).ToContainTextAsync("assigned to agent agent-1");
        await Assertions.Expect(error).ToContainTextAsync("Take over");
        Assert.Equal(0, await fx.ScalarAsync("select count(*) from outbound_messages where conversation_id = $1", id));
        Assert.DoesNotContain(fx.Twilio.Calls, c => c["Body"] == "I can help too");

        // Taking it over is on the timeline, and then the reply goes.
        await other.GetByRole(AriaRole.Button, new() { Name = "Take over" }).ClickAsync();
        await Assertions.Expect(other.Locator("#owner-banner")).ToBeHiddenAsync();
        await Assertions.Expect(owner.Locator("#owner-text")).ToContainTextAsync("Assigned to agent-2");
        await other.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await TestSupport.EventuallyAsync(() => Task.FromResult(fx.Twilio.Calls.Any(c => c["Body"] == "I can help too")), "agent-2's reply went out");
        Assert.Single(await fx.App.EventsAsync(id, "conversation.taken_over"));
    }

    [Fact]
    public async Task Customer_markup_shows_as_text_and_runs_nothing()
    {
        const string markup = "<img src=x onerror=alert(1)><script>alert(2)</script>";
        var id = await AssignedToAgent1Async("+14155550312", markup);
        var (context, page) = await fx.OpenDeskAsync(ContactCenterApp.AgentKey);
        await using var _ = context;
        var dialogs = 0;
        page.Dialog += (_, dialog) => { dialogs++; _ = dialog.DismissAsync(); };

        var item = page.InboxItem("inbox-mine", id);
        await Assertions.Expect(item).ToContainTextAsync(markup);
        await item.Locator("button").ClickAsync();
        var message = page.Locator("#timeline li[data-type='message.received'] .text");
        await Assertions.Expect(message).ToHaveTextAsync(markup);
        Assert.Equal(0, await page.Locator("#timeline img, #inbox img, #timeline script").CountAsync());
        Assert.Equal(0, dialogs);
    }

    [Fact]
    public async Task With_the_whatsapp_window_closed_only_templates_can_be_sent()
    {
        await fx.App.CreateAgentAsync(ContactCenterApp.AgentId, status: "available");
        // The customer's only message is two days old: the 24-hour window is closed.
        var received = await fx.App.ReceiveAsync(Inbound.Message(Channel.WhatsApp, "+14155550313", "old-1", "Any news?",
            at: DateTimeOffset.UtcNow.AddDays(-2), name: "Ana Ruiz"));
        var id = received.ConversationId!.Value;
        await fx.App.WaitForAsync(id, c => c.Assignee() == ContactCenterApp.AgentId, "agent-1 has it");

        var (context, page) = await fx.OpenDeskAsync(ContactCenterApp.AgentKey, $"/desk?conversation={id}");
        await using var _ = context;
        await Assertions.Expect(page.Locator("#rules")).ToContainTextAsync("24-hour window is closed");
        await Assertions.Expect(page.Locator("#text-box")).ToBeHiddenAsync();
        await Assertions.Expect(page.GetByLabel("Approved template")).ToBeVisibleAsync();
        await page.GetByLabel("Variable {{1}}").FillAsync("Ana");
        await page.GetByLabel("Variable {{2}}").FillAsync("NW-777");
        await Assertions.Expect(page.Locator("#template-preview")).ToHaveTextAsync("Hello Ana, there is news about your order NW-777.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();

        await TestSupport.EventuallyAsync(() => Task.FromResult(fx.Twilio.Calls.Any(c => c["ContentSid"] == DeskFixture.TemplateSid)), "the template went out");
        var sent = Assert.Single(fx.Twilio.Calls, c => c["ContentSid"] == DeskFixture.TemplateSid);
        var variables = JsonNode.Parse(sent["ContentVariables"]!)!;
        Assert.Equal("Ana", variables["1"]!.GetValue<string>());
        Assert.Equal("NW-777", variables["2"]!.GetValue<string>());
        // Free text is refused by the server as well, not only hidden by the page.
        using var response = await fx.App.Agent().PostAsync($"/api/conversations/{id}/messages",
            System.Net.Http.Json.JsonContent.Create(new { text = "Hello?" }));
        var problem = await response.ProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal("whatsapp-template-required", problem["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task When_the_desk_closes_the_agent_becomes_away_and_keeps_their_conversations()
    {
        var id = await AssignedToAgent1Async("+14155550314", "Hello");
        var (context, page) = await fx.OpenDeskAsync(ContactCenterApp.AgentKey, $"/desk?conversation={id}");
        await Assertions.Expect(page.GetByLabel("My status")).ToHaveValueAsync("available");
        await TestSupport.EventuallyAsync(async () => await fx.ScalarAsync("select count(*) from desk_sessions where agent_id = $1", ContactCenterApp.AgentId) > 0,
            "the desk sends heartbeats");
        // While the desk beats, the agent stays available well past Desk:AwayAfter.
        await TestSupport.EventuallyAsync(async () => await fx.ScalarAsync(
                "select count(*) from desk_sessions where agent_id = $1 and seen_at > now() - interval '1 second'", ContactCenterApp.AgentId) > 0,
            "a fresh heartbeat");
        Assert.Equal("available", (await fx.App.Agent().GetJsonAsync($"/api/agents/{ContactCenterApp.AgentId}"))["status"]!.GetValue<string>());

        await context.CloseAsync();
        await TestSupport.EventuallyAsync(async () =>
                (await fx.App.Agent().GetJsonAsync($"/api/agents/{ContactCenterApp.AgentId}"))["status"]!.GetValue<string>() == "away",
            "agent-1 is away after Desk:AwayAfter without a heartbeat", TimeSpan.FromSeconds(30));
        var conversation = await fx.App.ConversationAsync(id);
        Assert.Equal(ContactCenterApp.AgentId, conversation.Assignee());
        Assert.Equal("assigned", conversation["status"]!.GetValue<string>());
    }
}
