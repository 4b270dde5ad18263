using System.Net;
using System.Net.Http.Json;
using ContactCenter.Tests.Infrastructure;
using ContactCenter.Tests.Reports;
using ContactCenter.Tests.Routing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ContactCenter.Tests.Supervisor;

/// <summary>The live console's gaps closed: shared breach acknowledgements, a waiting conversation's timeline, each
/// agent's day (handled, average handle time), in a real browser and through the API.</summary>
public sealed class ConsoleTests(ConsoleFixture fx) : IClassFixture<ConsoleFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task An_acknowledgement_is_shared_by_every_console_and_a_waiting_conversation_shows_its_timeline()
    {
        await fx.App.PutQueueAsync("general", new { });
        await fx.App.CreateAgentAsync(ContactCenterApp.AgentId);
        await using var first = await Browser.NewContextAsync(fx.BaseAddress);
        await using var second = await Browser.NewContextAsync(fx.BaseAddress);
        var mine = await first.NewPageAsync();
        var theirs = await second.NewPageAsync();
        await Browser.LoginWithKeyAsync(mine, ContactCenterApp.SupervisorKey, "/supervisor");
        await Browser.LoginWithKeyAsync(theirs, ContactCenterApp.SupervisorKey, "/supervisor");
        await Expect(mine.Locator("#state")).ToHaveTextAsync("live");
        await Expect(theirs.Locator("#state")).ToHaveTextAsync("live");

        // Nobody is available: the webchat target (3 s) breaches on both consoles.
        var conversation = await fx.App.CustomerWritesAsync("visitor-console", "is anyone there?");
        var alertSelector = $"#alerts .alert[data-conversation='{conversation}']";
        await Expect(mine.Locator(alertSelector)).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Expect(theirs.Locator(alertSelector)).ToBeVisibleAsync(new() { Timeout = 30_000 });

        // A click on the waiting conversation shows its timeline, read-only (the customer's text as text).
        await mine.Locator($"#waiting tr[data-conversation='{conversation}'] td").First.ClickAsync();
        await Expect(mine.Locator("#timeline")).ToBeVisibleAsync();
        await Expect(mine.Locator("#timeline-events li[data-type='message.received']")).ToContainTextAsync("is anyone there?");
        await Expect(mine.Locator("#timeline-events li[data-type='sla.breached']")).ToHaveCountAsync(1);
        await Expect(mine.Locator("#timeline button", new() { HasText = "Send" })).ToHaveCountAsync(0);
        await Browser.ScreenshotAsync(mine, "console-timeline");
        await mine.Locator("#timeline-close").ClickAsync();
        await Expect(mine.Locator("#timeline")).ToBeHiddenAsync();

        // Acknowledged on one console: it stops standing out on the other one too, which names who acknowledged it.
        await mine.Locator(alertSelector).GetByRole(AriaRole.Button, new() { Name = "Acknowledge" }).ClickAsync();
        await Expect(mine.Locator(alertSelector)).ToHaveCountAsync(0);
        await Expect(theirs.Locator(alertSelector)).ToHaveCountAsync(0);
        await Expect(theirs.Locator($"#acked [data-conversation='{conversation}']")).ToContainTextAsync("acknowledged by Test supervisor");

        var alert = (await fx.App.Supervisor().GetJsonAsync("/api/queues/general"))["alerts"]!.AsArray().Single()!;
        Assert.Equal("Test supervisor", alert["acknowledgedBy"]!.GetValue<string>());
        Assert.NotNull(alert["acknowledgedAt"]);
        // A second acknowledgement keeps the first; a breach that does not stand is 404; a bad body is 400.
        var again = await fx.App.Supervisor().PostJsonAsync("/api/console/alerts/acknowledge",
            new { conversationId = conversation, kind = "first_response" }, HttpStatusCode.OK);
        Assert.Equal(alert["acknowledgedAt"]!.GetValue<DateTimeOffset>(), again["acknowledgedAt"]!.GetValue<DateTimeOffset>());
        await (await fx.App.Supervisor().PostAsJsonAsync("/api/console/alerts/acknowledge",
            new { conversationId = conversation, kind = "next_response" })).ProblemAsync(HttpStatusCode.NotFound);
        await (await fx.App.Supervisor().PostAsJsonAsync("/api/console/alerts/acknowledge", new { kind = "first_response" }))
            .ProblemAsync(HttpStatusCode.BadRequest);
        await (await fx.App.Agent().PostAsJsonAsync("/api/console/alerts/acknowledge",
            new { conversationId = conversation, kind = "first_response" })).ProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Each_agent_shows_todays_handled_conversations_and_average_handle_time()
    {
        await fx.App.PutQueueAsync("general", new { });
        await fx.App.CreateAgentAsync(ContactCenterApp.AgentId, status: "available");
        await fx.App.CreateAgentAsync(ContactCenterApp.Agent2Id);
        var conversation = await fx.App.CustomerWritesAsync("visitor-handled", "my order?");
        await fx.App.WaitForAsync(conversation, c => c.Assignee() == ContactCenterApp.AgentId, "assigned to agent-1");
        await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversation}/resolve", new { }, HttpStatusCode.OK);

        var assigned = (await fx.App.EventsAsync(conversation, "conversation.assigned")).First()["occurredAt"]!.GetValue<DateTimeOffset>();
        var resolved = (await fx.App.EventsAsync(conversation, "conversation.resolved")).Single()["occurredAt"]!.GetValue<DateTimeOffset>();
        var days = (await fx.App.Supervisor().GetJsonAsync("/api/console/agents?timeZone=Europe/London")).AsArray();
        var one = days.Single(d => d!["agentId"]!.GetValue<string>() == ContactCenterApp.AgentId)!;
        Assert.Equal(1, one["handled"]!.GetValue<int>());
        Assert.Equal(Math.Round((resolved - assigned).TotalSeconds, 3), one["averageHandleSeconds"]!.GetValue<double>(), 3);
        var two = days.Single(d => d!["agentId"]!.GetValue<string>() == ContactCenterApp.Agent2Id)!;
        Assert.Equal(0, two["handled"]!.GetValue<int>());
        Assert.Null(two["averageHandleSeconds"]);

        await (await fx.App.Supervisor().GetAsync("/api/console/agents?timeZone=Mars/Olympus")).ProblemAsync(HttpStatusCode.BadRequest);
        await (await fx.App.Agent().GetAsync("/api/console/agents")).ProblemAsync(HttpStatusCode.Forbidden);

        await using var context = await Browser.NewContextAsync(fx.BaseAddress);
        var page = await context.NewPageAsync();
        await Browser.LoginWithKeyAsync(page, ContactCenterApp.SupervisorKey, "/supervisor");
        var row = page.Locator($"#agents tr[data-agent='{ContactCenterApp.AgentId}']");
        await Expect(row.Locator(".handled")).ToHaveTextAsync("1");
        await Expect(row.Locator(".handle-time")).Not.ToHaveTextAsync("–");
        await Expect(page.Locator($"#agents tr[data-agent='{ContactCenterApp.Agent2Id}'] .handled")).ToHaveTextAsync("0");
    }
}
