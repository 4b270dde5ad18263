using System.Net;
using System.Net.Http.Json;

namespace ContactCenter.Tests.Routing;

/// <summary>Who gets which conversation, and when: order, capacity, skills, steps, releases.</summary>
public class AssignmentTests(RoutingFixture fx) : IClassFixture<RoutingFixture>, IAsyncLifetime
{
    private const string Agent1 = ContactCenterApp.AgentId;
    private const string Agent2 = ContactCenterApp.Agent2Id;

    public async Task InitializeAsync()
    {
        await fx.ResetAsync();
        fx.Sender.Reset();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<Guid> WaitingAsync(string visitor)
    {
        var id = await fx.App.CustomerWritesAsync(visitor);
        await fx.App.WaitForStatusAsync(id, "queued");
        return id;
    }

    private Task<System.Text.Json.Nodes.JsonNode> AssignedAsync(Guid id) => fx.App.WaitForStatusAsync(id, "assigned");

    private Task ResolveAsync(Guid id) => fx.App.Agent().PostJsonAsync($"/api/conversations/{id}/resolve", new { }, HttpStatusCode.OK);

    [Fact]
    public async Task HighestPriorityGoesFirstThenLongestWaiting()
    {
        await fx.App.CreateAgentAsync(Agent1, capacity: new { messaging = 1 });
        var first = await WaitingAsync("v-first");
        var second = await WaitingAsync("v-second");
        var urgent = await WaitingAsync("v-urgent");
        // Raising the priority keeps its place in the queue by waiting time otherwise.
        var raised = await fx.App.Supervisor().PostJsonAsync($"/api/conversations/{urgent}/enqueue", new { queue = "general", priority = 5 }, HttpStatusCode.OK);
        Assert.Equal(5, raised["priority"]!.GetValue<int>());

        await fx.App.SetStatusAsync(Agent1, "available");
        Assert.Equal(Agent1, (await AssignedAsync(urgent)).Assignee());
        Assert.Equal("queued", (await fx.App.ConversationAsync(first))["status"]!.GetValue<string>());

        await ResolveAsync(urgent);
        await AssignedAsync(first);
        Assert.Equal("queued", (await fx.App.ConversationAsync(second))["status"]!.GetValue<string>());
        await ResolveAsync(first);
        await AssignedAsync(second);

        var assigned = await fx.App.EventsAsync(second, "conversation.assigned");
        Assert.Equal(Agent1, Assert.Single(assigned)["data"]!["agentId"]!.GetValue<string>());
        Assert.Equal("general", assigned[0]["data"]!["queue"]!.GetValue<string>());
    }

    [Fact]
    public async Task TheAgentWithMostFreeCapacityGetsItThenTheLongestIdle()
    {
        await fx.App.CreateAgentAsync(Agent1, capacity: new { messaging = 3 });
        await fx.App.CreateAgentAsync(Agent2, capacity: new { messaging = 3 });
        // Agent 1 gets a first one: 2 free against agent 2's 3.
        var taken = await WaitingAsync("v-taken");
        await fx.App.SetStatusAsync(Agent1, "available");
        await AssignedAsync(taken);
        await fx.App.SetStatusAsync(Agent2, "available");

        var next = await fx.App.CustomerWritesAsync("v-next");
        Assert.Equal(Agent2, (await AssignedAsync(next)).Assignee()); // 3 free beats 2 free
        var tie = await fx.App.CustomerWritesAsync("v-tie");
        Assert.Equal(Agent1, (await AssignedAsync(tie)).Assignee()); // 2 and 2: agent 1 has been idle longer

        var loads = (await fx.App.Supervisor().GetJsonAsync("/api/agents")).AsArray()
            .ToDictionary(a => a!["id"]!.GetValue<string>(), a => a!["load"]!["messaging"]!.GetValue<int>());
        Assert.Equal(2, loads[Agent1]);
        Assert.Equal(1, loads[Agent2]);
    }

    [Fact]
    public async Task CapacityIsNeverExceededAndResolvingFreesItAtOnce()
    {
        await fx.App.CreateAgentAsync(Agent1, capacity: new { messaging = 2, voice = 1 }, status: "available");
        var ids = new List<Guid>();
        for (var i = 0; i < 4; i++) ids.Add(await fx.App.CustomerWritesAsync($"v-cap-{i}"));
        await AssignedAsync(ids[0]);
        await AssignedAsync(ids[1]);
        await fx.SettledAsync();
        Assert.Equal("queued", (await fx.App.ConversationAsync(ids[2]))["status"]!.GetValue<string>());

        // Taking a third by hand is refused too.
        var refused = await fx.App.Agent().PostAsJsonAsync($"/api/conversations/{ids[3]}/assign", new { });
        Assert.Equal("agent-at-capacity", (await refused.ProblemAsync(HttpStatusCode.Conflict))["code"]!.GetValue<string>());

        await ResolveAsync(ids[0]);
        Assert.Equal(Agent1, (await AssignedAsync(ids[2])).Assignee());
        Assert.Equal("queued", (await fx.App.ConversationAsync(ids[3]))["status"]!.GetValue<string>());
        var queue = await fx.App.Supervisor().GetJsonAsync("/api/queues/general");
        Assert.Equal(1, queue["waiting"]!.GetValue<int>());
        Assert.Equal(1, queue["agents"]!["busy"]!.GetValue<int>());
    }

    [Fact]
    public async Task OnlyAgentsWithTheSkillsTakeTheQueueUntilAStepRelaxesThem()
    {
        await fx.App.PutQueueAsync("billing", new
        {
            requiredSkills = new { billing = 3 },
            steps = new object[] { new { after = "00:00:02", acceptSkillLevel = 1 } },
        });
        await fx.App.CreateAgentAsync(Agent1, skills: new { billing = 1 }, status: "available");
        var conversation = await fx.App.CustomerWritesAsync("v-billing");
        await AssignedAsync(conversation); // general has no requirements
        await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversation}/transfer", new { queue = "billing" }, HttpStatusCode.OK);

        await Task.Delay(1000);
        Assert.Equal("queued", (await fx.App.ConversationAsync(conversation))["status"]!.GetValue<string>());
        var waiting = (await fx.App.Supervisor().GetJsonAsync("/api/queues/billing"))["conversations"]!.AsArray().Single()!;
        Assert.Null(waiting["acceptSkillLevel"]);

        // After the step, skill level 1 is enough.
        var assigned = await fx.App.WaitForAsync(conversation, c => c["status"]!.GetValue<string>() == "assigned", "the relaxed step let agent 1 take it");
        Assert.Equal(Agent1, assigned.Assignee());
        Assert.Equal("billing", (await fx.App.EventsAsync(conversation, "conversation.assigned")).Last()["data"]!["queue"]!.GetValue<string>());
    }

    [Fact]
    public async Task AStepOverflowsToAnotherQueueWhereAnAgentTakesIt()
    {
        await fx.App.PutQueueAsync("sales", new
        {
            requiredSkills = new { sales = 1 },
            steps = new object[] { new { after = "00:00:02", overflowTo = "general" } },
        });
        await fx.App.CreateAgentAsync(Agent1);
        var conversation = await WaitingAsync("v-sales");
        await fx.App.Supervisor().PostJsonAsync($"/api/conversations/{conversation}/enqueue", new { queue = "sales" }, HttpStatusCode.OK);
        await fx.App.SetStatusAsync(Agent1, "available"); // no sales skill

        var assigned = await fx.App.WaitForAsync(conversation, c => c["status"]!.GetValue<string>() == "assigned", "overflow to general");
        Assert.Equal(Agent1, assigned.Assignee());
        var overflow = Assert.Single(await fx.App.EventsAsync(conversation, "conversation.overflowed"));
        Assert.Equal("sales", overflow["data"]!["from"]!.GetValue<string>());
        Assert.Equal("general", overflow["data"]!["to"]!.GetValue<string>());
        var types = (await fx.App.EventsAsync(conversation)).Select(e => e["type"]!.GetValue<string>())
            .Where(t => t.StartsWith("conversation.", StringComparison.Ordinal)).ToList();
        Assert.Equal(["conversation.queued", "conversation.queued", "conversation.overflowed", "conversation.assigned"], types);
    }

    [Fact]
    public async Task TransfersMoveConversationsBetweenAgentsAndQueues()
    {
        await fx.App.CreateAgentAsync(Agent1, status: "available");
        await fx.App.CreateAgentAsync(Agent2, capacity: new { messaging = 1 });
        var conversation = await fx.App.CustomerWritesAsync("v-transfer");
        await AssignedAsync(conversation);

        // Agent 2 is away: still may receive a transfer (not offline), up to capacity.
        await fx.App.SetStatusAsync(Agent2, "away");
        var agent2 = fx.App.ClientWithKey(ContactCenterApp.Agent2Key);
        var notYours = await agent2.PostAsJsonAsync($"/api/conversations/{conversation}/transfer", new { queue = "general" });
        await notYours.ProblemAsync(HttpStatusCode.Conflict);

        var moved = await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversation}/transfer",
            new { agentId = Agent2, reason = "needs a specialist" }, HttpStatusCode.OK);
        Assert.Equal(Agent2, moved.Assignee());
        var transfer = (await fx.App.EventsAsync(conversation, "conversation.transferred")).Single();
        Assert.Equal(Agent1, transfer["data"]!["from"]!["agentId"]!.GetValue<string>());
        Assert.Equal(Agent2, transfer["data"]!["to"]!["agentId"]!.GetValue<string>());
        Assert.Equal(2, (await fx.App.EventsAsync(conversation, "conversation.assigned")).Count);

        // Agent 2 hands it back to the queue; agent 1 (available, with room) gets it again at once.
        await agent2.PostJsonAsync($"/api/conversations/{conversation}/transfer", new { queue = "general" }, HttpStatusCode.OK);
        await fx.App.WaitForAsync(conversation, c => c.Assignee() == Agent1, "routing gave it back to agent 1");
        Assert.Equal(3, (await fx.App.EventsAsync(conversation, "conversation.assigned")).Count);
    }

    [Fact]
    public async Task AnAgentGoingOfflineHandsTheirConversationsBack()
    {
        await fx.App.CreateAgentAsync(Agent1, status: "available");
        var conversation = await fx.App.CustomerWritesAsync("v-offline");
        await AssignedAsync(conversation);
        await fx.App.CreateAgentAsync(Agent2);

        await fx.App.Agent().PostJsonAsync($"/api/agents/{Agent1}/status", new { status = "offline" }, HttpStatusCode.OK);
        var requeued = await fx.App.ConversationAsync(conversation);
        Assert.Equal("queued", requeued["status"]!.GetValue<string>());
        Assert.Null(requeued.Assignee());
        Assert.Equal("agent offline", (await fx.App.EventsAsync(conversation, "conversation.transferred")).Single()["data"]!["reason"]!.GetValue<string>());

        await fx.App.ClientWithKey(ContactCenterApp.Agent2Key).PostJsonAsync($"/api/agents/{Agent2}/status", new { status = "available" }, HttpStatusCode.OK);
        Assert.Equal(Agent2, (await AssignedAsync(conversation)).Assignee());
    }
}
