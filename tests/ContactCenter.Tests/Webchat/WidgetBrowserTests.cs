using System.Net;
using System.Net.Http.Json;
using ContactCenter.Tests.Routing;
using Microsoft.Playwright;

namespace ContactCenter.Tests.Webchat;

/// <summary>The widget in a real browser, embedded by a page on another origin: bot, buttons, a person, live replies, reloads, CSAT.</summary>
public sealed class WidgetBrowserTests(WebchatFixture fx) : IClassFixture<WebchatFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetAsync();

    public Task DisposeAsync() => fx.SettledAsync();

    private async Task<(IBrowserContext, IPage)> OpenAsync(HostPage site)
    {
        var context = await Infrastructure.Browser.NewContextAsync(new Uri(site.Url));
        var page = await context.NewPageAsync();
        await page.GotoAsync(site.Url);
        return (context, page);
    }

    [Fact]
    public async Task A_visitor_talks_to_the_bot_then_a_person_live_keeps_the_history_on_reload_and_rates_the_chat()
    {
        await fx.App.AgentOnlineAsync();
        using var site = new HostPage(fx.HostPagePort, fx.BaseAddress, "site");
        var (context, page) = await OpenAsync(site);
        await using var _ = context;

        await page.GetByRole(AriaRole.Button, new() { Name = "Chat with us" }).ClickAsync();
        var message = page.GetByRole(AriaRole.Textbox, new() { Name = "Message" });
        await message.FillAsync("hello");
        await message.PressAsync("Enter");

        // The bot's menu comes as real buttons; the page's loud button style does not reach them.
        var person = page.GetByRole(AriaRole.Button, new() { Name = "Talk to a person" });
        await Assertions.Expect(person).ToBeVisibleAsync();
        Assert.NotEqual("rgb(255, 0, 0)", await person.EvaluateAsync<string>("b => getComputedStyle(b).backgroundColor"));
        await person.ClickAsync();

        var conversationId = await ConversationOfAsync();
        await fx.App.WaitForAsync(conversationId, c => c.Assignee() == ContactCenterApp.AgentId, "the conversation reaches the agent");
        await Assertions.Expect(page.GetByText("joined the chat")).ToBeVisibleAsync();

        // The agent types, then answers (markup in it stays text).
        Assert.Equal(HttpStatusCode.NoContent, (await fx.App.Agent().PostAsJsonAsync("/api/desk/typing", new { conversationId })).StatusCode);
        await Assertions.Expect(page.GetByText("is typing…")).ToBeVisibleAsync();
        await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversationId}/messages", new { text = "Hi, I'm <b>Ann</b>. How can I help?" }, HttpStatusCode.Accepted);
        await Assertions.Expect(page.GetByText("Hi, I'm <b>Ann</b>. How can I help?")).ToBeVisibleAsync();
        Assert.Equal(0, await page.Locator("[data-contactcenter-webchat] b").CountAsync());
        await TestSupport.EventuallyAsync(async () => (await fx.App.Agent().GetJsonAsync($"/api/conversations/{conversationId}/messages"))
            .AsArray().Any(m => m!["status"]!.GetValue<string>() == "read"), "the open widget marked the agent's message read");

        // A reload keeps the session, the open panel and the whole history.
        await page.ReloadAsync();
        await Assertions.Expect(page.GetByText("Hi, I'm <b>Ann</b>. How can I help?")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".msg.visitor", new() { HasText = "hello" })).ToHaveCountAsync(1);
        await message.FillAsync("Thanks, that's all");
        await message.PressAsync("Enter");
        await fx.App.WaitForEventAsync(conversationId, "message.received");
        await TestSupport.EventuallyAsync(async () => (await fx.App.EventsAsync(conversationId, "message.received")).Any(e => e["text"]!.GetValue<string>() == "Thanks, that's all"),
            "the message after the reload lands in the same conversation");

        // The agent resolves; the satisfaction question comes to the widget and the answer lands on the conversation.
        await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversationId}/resolve", new { }, HttpStatusCode.OK);
        var happy = page.GetByRole(AriaRole.Button, new() { Name = "Very happy" });
        await Assertions.Expect(happy).ToBeVisibleAsync();
        await happy.ClickAsync();
        var csat = await fx.App.WaitForEventAsync(conversationId, "csat.response");
        Assert.Equal(5, csat["data"]!["score"]!.GetValue<int>());
        await Infrastructure.Browser.ScreenshotAsync(page, "webchat-widget");
    }

    [Fact]
    public async Task A_page_on_an_origin_the_widget_does_not_allow_cannot_chat()
    {
        // Widget "other" allows only http://other.example: this page is not it.
        using var site = new HostPage(fx.HostPagePort, fx.BaseAddress, "other");
        var (context, page) = await OpenAsync(site);
        await using var _ = context;
        await page.GetByRole(AriaRole.Button, new() { Name = "Chat with us" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("may not use this chat widget");
        Assert.Equal(0, await CountAsync("select count(*) from webchat_visitors"));
    }

    [Fact]
    public async Task The_pre_chat_form_picks_the_queue_and_the_visitor_sees_their_place_in_line()
    {
        // Nobody can take billing (no agent): the visitor waits, told where they stand.
        await fx.App.CreateAgentAsync("agent-away", status: "away");
        using var site = new HostPage(fx.HostPagePort, fx.BaseAddress, "form");
        var (context, page) = await OpenAsync(site);
        await using var _ = context;
        await page.GetByRole(AriaRole.Button, new() { Name = "Chat with us" }).ClickAsync();
        await page.GetByLabel("Name").FillAsync("Carla");
        await page.GetByLabel("E-mail").FillAsync("carla@example.com");
        await page.GetByLabel("Topic").SelectOptionAsync("billing");
        await page.GetByRole(AriaRole.Button, new() { Name = "Start chat" }).ClickAsync();
        var message = page.GetByRole(AriaRole.Textbox, new() { Name = "Message" });
        await message.FillAsync("talk to a person about my bill");
        await message.PressAsync("Enter");

        var conversationId = await ConversationOfAsync();
        await fx.App.WaitForAsync(conversationId, c => c["status"]!.GetValue<string>() == "queued", "the conversation waits");
        await Assertions.Expect(page.GetByText("you are number 1 in line")).ToBeVisibleAsync();
        var conversation = await fx.App.ConversationAsync(conversationId);
        Assert.Equal("billing", conversation["queue"]!.GetValue<string>());
    }

    [Fact]
    public async Task Outside_business_hours_the_visitor_leaves_a_message_and_sees_the_answer_when_back()
    {
        // The channel's queue is closed all week; an agent is available, but nobody works now.
        await fx.App.AgentOnlineAsync();
        await fx.App.PutQueueAsync("general", new { businessHours = new { timeZone = "UTC", weekly = new Dictionary<string, string[]>() } });
        using var site = new HostPage(fx.HostPagePort, fx.BaseAddress, "site");
        var (context, page) = await OpenAsync(site);
        await using var _ = context;
        await page.GetByRole(AriaRole.Button, new() { Name = "Chat with us" }).ClickAsync();
        await Assertions.Expect(page.GetByText("We're not online right now")).ToBeVisibleAsync();
        await page.GetByLabel("E-mail").FillAsync("dana@example.com");
        await page.GetByLabel("Message").FillAsync("Please call me about my order");
        await page.GetByRole(AriaRole.Button, new() { Name = "Leave a message" }).ClickAsync();
        await Assertions.Expect(page.GetByText("we got your message")).ToBeVisibleAsync();

        var conversationId = await ConversationOfAsync();
        var left = (await fx.App.EventsAsync(conversationId, "message.received")).Single();
        Assert.Equal("Please call me about my order", left["text"]!.GetValue<string>());
        Assert.True(left["data"]!["offline"]!.GetValue<bool>());
        Assert.Equal("dana@example.com", left["data"]!["replyTo"]!.GetValue<string>());

        // The answer is there when the visitor comes back.
        await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversationId}/messages", new { text = "We'll call you at 10." }, HttpStatusCode.Accepted);
        await page.ReloadAsync();
        await Assertions.Expect(page.GetByText("We'll call you at 10.")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("Please call me about my order")).ToBeVisibleAsync();
    }

    private async Task<Guid> ConversationOfAsync()
    {
        Guid id = default;
        await TestSupport.EventuallyAsync(async () =>
        {
            await using var connection = await fx.Db.OpenConnectionAsync();
            await using var command = new Npgsql.NpgsqlCommand("select id from conversations where channel = 'webchat' order by opened_at desc limit 1", connection);
            if (await command.ExecuteScalarAsync() is Guid found) id = found;
            return id != default;
        }, "the visitor's conversation exists");
        return id;
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var connection = await fx.Db.OpenConnectionAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }
}
