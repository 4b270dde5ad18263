using System.Net;
using System.Net.Http.Json;

namespace ContactCenter.Tests.Routing;

/// <summary>The routing API's contract: roles, validation, shapes.</summary>
public class RoutingApiTests(RoutingFixture fx) : IClassFixture<RoutingFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task OnlyAdminsManageAgentsAndQueues()
    {
        var asAgent = await fx.App.Agent().PostAsJsonAsync("/api/agents", new { id = "someone" });
        await asAgent.ProblemAsync(HttpStatusCode.Forbidden);
        var asSupervisor = await fx.App.Supervisor().PutAsJsonAsync("/api/queues/sales", new { });
        await asSupervisor.ProblemAsync(HttpStatusCode.Forbidden);
        var anonymous = await fx.App.ClientWithKey(null).GetAsync("/api/queues");
        await anonymous.ProblemAsync(HttpStatusCode.Unauthorized);

        var created = await fx.App.CreateAgentAsync("dana", skills: new { Billing = 2 }, capacity: new { voice = 1, messaging = 4 });
        Assert.Equal("offline", created["status"]!.GetValue<string>());
        Assert.Equal(2, created["skills"]!["billing"]!.GetValue<int>()); // skill names are kept lower case
        Assert.Equal(4, created["capacity"]!["messaging"]!.GetValue<int>());
        Assert.Equal(0, created["load"]!["voice"]!.GetValue<int>());
        var again = await fx.App.Admin().PostAsJsonAsync("/api/agents", new { id = "dana" });
        await again.ProblemAsync(HttpStatusCode.Conflict);

        var updated = await fx.App.Admin().PutAsJsonAsync("/api/agents/dana", new { capacity = new { voice = 0, messaging = 2 } });
        var body = await updated.ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(2, body["capacity"]!["messaging"]!.GetValue<int>());
        Assert.Equal(2, body["skills"]!["billing"]!.GetValue<int>()); // skills left as they were
        var listed = (await fx.App.Agent().GetJsonAsync("/api/agents")).AsArray();
        Assert.Contains(listed, a => a!["id"]!.GetValue<string>() == "dana");
    }

    [Fact]
    public async Task BadDefinitionsAreRefusedWithTheFieldNamed()
    {
        var badQueue = await fx.App.Admin().PutAsJsonAsync("/api/queues/sales", new
        {
            requiredSkills = new { billing = 99 },
            steps = new object[] { new { after = "00:00:00" }, new { after = "00:01:00", overflowTo = "sales" } },
            businessHours = new { timeZone = "Mars/Olympus", weekly = new { monday = new[] { "9-5" } } },
            targets = new { firstResponse = "-00:00:01" },
        });
        var problem = await badQueue.ProblemAsync(HttpStatusCode.BadRequest);
        var errors = problem["errors"]!.AsArray().Select(e => e!.GetValue<string>()).ToList();
        Assert.Contains(errors, e => e.StartsWith("requiredSkills.billing", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("steps[0].after", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("steps[0]: give exactly one", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("steps[1].overflowTo", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("businessHours.timeZone", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("targets.firstResponse", StringComparison.Ordinal));

        var notJson = await fx.App.Admin().PostAsync("/api/queues", new StringContent("{", System.Text.Encoding.UTF8, "application/json"));
        await notJson.ProblemAsync(HttpStatusCode.BadRequest);
        var badAgent = await fx.App.Admin().PostAsJsonAsync("/api/agents", new { id = "x y", capacity = new { fax = 1 } });
        var agentErrors = (await badAgent.ProblemAsync(HttpStatusCode.BadRequest))["errors"]!.AsArray().Select(e => e!.GetValue<string>()).ToList();
        Assert.Contains(agentErrors, e => e.StartsWith("id:", StringComparison.Ordinal));
        Assert.Contains(agentErrors, e => e.StartsWith("capacity: 'fax'", StringComparison.Ordinal));

        var badStatus = await fx.App.Supervisor().PostAsJsonAsync("/api/agents/dana/status", new { status = "sleeping" });
        await badStatus.ProblemAsync(HttpStatusCode.BadRequest);
        var unknownAgent = await fx.App.Supervisor().PostAsJsonAsync("/api/agents/nobody/status", new { status = "away" });
        await unknownAgent.ProblemAsync(HttpStatusCode.NotFound);
        var both = await fx.App.Supervisor().PostAsJsonAsync($"/api/conversations/{Guid.NewGuid()}/transfer", new { queue = "a", agentId = "b" });
        await both.ProblemAsync(HttpStatusCode.BadRequest);
        var unknownConversation = await fx.App.Supervisor().PostAsJsonAsync($"/api/conversations/{Guid.NewGuid()}/transfer", new { queue = "general" });
        await unknownConversation.ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AgentsSetOnlyTheirOwnStatusAndTakeOnlyForThemselves()
    {
        await fx.App.CreateAgentAsync(ContactCenterApp.AgentId);
        await fx.App.CreateAgentAsync(ContactCenterApp.Agent2Id);
        var other = await fx.App.Agent().PostAsJsonAsync($"/api/agents/{ContactCenterApp.Agent2Id}/status", new { status = "available" });
        await other.ProblemAsync(HttpStatusCode.Forbidden);
        var own = await fx.App.Agent().PostJsonAsync($"/api/agents/{ContactCenterApp.AgentId}/status", new { status = "away" }, HttpStatusCode.OK);
        Assert.Equal("away", own["status"]!.GetValue<string>());

        var conversation = await fx.App.CustomerWritesAsync("v-api");
        await fx.App.WaitForStatusAsync(conversation, "queued");
        var forOther = await fx.App.Agent().PostAsJsonAsync($"/api/conversations/{conversation}/assign", new { agentId = ContactCenterApp.Agent2Id });
        await forOther.ProblemAsync(HttpStatusCode.Forbidden);
        var offline = await fx.App.Supervisor().PostAsJsonAsync($"/api/conversations/{conversation}/assign", new { agentId = ContactCenterApp.Agent2Id });
        Assert.Equal("agent-offline", (await offline.ProblemAsync(HttpStatusCode.Conflict))["code"]!.GetValue<string>());

        // An away agent may still take one by hand.
        var taken = await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversation}/assign", new { }, HttpStatusCode.OK);
        Assert.Equal(ContactCenterApp.AgentId, taken.Assignee());
        Assert.Equal("assigned", taken["status"]!.GetValue<string>());
        var twice = await fx.App.Supervisor().PostAsJsonAsync($"/api/conversations/{conversation}/assign", new { agentId = ContactCenterApp.Agent2Id });
        Assert.Equal("already-assigned", (await twice.ProblemAsync(HttpStatusCode.Conflict))["code"]!.GetValue<string>());
        var assigned = Assert.Single(await fx.App.EventsAsync(conversation, "conversation.assigned"));
        Assert.Equal(ContactCenterApp.AgentId, assigned["data"]!["by"]!.GetValue<string>());
    }

    [Fact]
    public async Task TheQueueViewShowsWaitingConversationsAgentsAndTimers()
    {
        await fx.App.PutQueueAsync("general", new { priority = 3, targets = new { firstResponse = "00:05:00" } });
        await fx.App.CreateAgentAsync("away-one", status: "away");
        await fx.App.CreateAgentAsync("off-one");
        var first = await fx.App.CustomerWritesAsync("v-view-1");
        var second = await fx.App.CustomerWritesAsync("v-view-2");
        await fx.App.WaitForStatusAsync(second, "queued");
        await fx.SettledAsync();

        var queues = (await fx.App.Supervisor().GetJsonAsync("/api/queues")).AsArray();
        var general = queues.Single(q => q!["name"]!.GetValue<string>() == "general")!;
        Assert.True(general["open"]!.GetValue<bool>());
        Assert.Equal(2, general["waiting"]!.GetValue<int>());
        Assert.True(general["oldestWaitSeconds"]!.GetValue<double>() > 0);
        Assert.Equal(3, general["definition"]!["priority"]!.GetValue<int>());
        var listed = general["conversations"]!.AsArray();
        Assert.Equal([first.ToString(), second.ToString()], listed.Select(c => c!["conversationId"]!.GetValue<string>()));
        var target = listed[0]!["target"]!;
        Assert.Equal("first_response", target["kind"]!.GetValue<string>());
        Assert.InRange(target["remainingSeconds"]!.GetValue<double>(), 200, 300);
        Assert.False(target["paused"]!.GetValue<bool>());
        Assert.Equal(0, general["agents"]!["available"]!.GetValue<int>());
        Assert.Equal(1, general["agents"]!["away"]!.GetValue<int>());
        Assert.Equal(1, general["agents"]!["offline"]!.GetValue<int>());
        Assert.Null(general["today"]!["withinTargetShare"]);

        var limited = await fx.App.Agent().GetJsonAsync("/api/queues/general?limit=1");
        Assert.Single(limited["conversations"]!.AsArray());
        await (await fx.App.Agent().GetAsync("/api/queues/general?limit=-1")).ProblemAsync(HttpStatusCode.BadRequest);
        await (await fx.App.Agent().GetAsync("/api/queues/nope")).ProblemAsync(HttpStatusCode.NotFound);
        var busy = await fx.App.Admin().DeleteAsync("/api/queues/general");
        await busy.ProblemAsync(HttpStatusCode.Conflict);
    }
}
