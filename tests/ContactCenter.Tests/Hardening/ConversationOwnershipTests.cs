using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContactCenter.Core.Storage;
using ContactCenter.Tests.Routing;

namespace ContactCenter.Tests.Hardening;

/// <summary>
/// An assigned conversation is its agent's: another agent may not reply, resolve or transfer it (409 naming the
/// owner) until they take it over, which is on the timeline; supervisors may always act.
/// </summary>
public class ConversationOwnershipTests(RoutingFixture fx) : IClassFixture<RoutingFixture>, IAsyncLifetime
{
    private const string Agent1 = ContactCenterApp.AgentId;
    private const string Agent2 = ContactCenterApp.Agent2Id;

    public async Task InitializeAsync()
    {
        await fx.ResetAsync();
        fx.Sender.Reset();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private HttpClient AsAgent2() => fx.App.ClientWithKey(ContactCenterApp.Agent2Key);

    /// <summary>Agent 1 available with room for one chat, agent 2 away (routing gives them nothing, they may act by hand).</summary>
    private async Task<Guid> AssignedToAgent1Async(string visitor)
    {
        await fx.App.CreateAgentAsync(Agent1, capacity: new { messaging = 1 }, status: "available");
        await fx.App.Admin().PostJsonAsync("/api/agents", new { id = Agent2, name = "Bea Second", capacity = new { messaging = 1 }, status = "away" },
            HttpStatusCode.Created);
        var conversation = await fx.App.CustomerWritesAsync(visitor);
        await fx.App.WaitForAsync(conversation, c => c["assignee"]?.GetValue<string>() == Agent1, "routing gave it to agent 1");
        return conversation;
    }

    private static void AssertNamesOwner(JsonNode problem, string agentId, string name)
    {
        Assert.Equal("not-owner", problem["code"]!.GetValue<string>());
        Assert.Equal(agentId, problem["owner"]!["agentId"]!.GetValue<string>());
        Assert.Equal(name, problem["owner"]!["name"]!.GetValue<string>());
        Assert.Contains(agentId, problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnotherAgentCannotReplyResolveOrTransferButASupervisorCan()
    {
        var conversation = await AssignedToAgent1Async("v-own-1");

        var reply = await AsAgent2().PostAsJsonAsync($"/api/conversations/{conversation}/messages", new { text = "I'm not yours" });
        AssertNamesOwner(await reply.ProblemAsync(HttpStatusCode.Conflict), Agent1, Agent1);
        var resolve = await AsAgent2().PostAsJsonAsync($"/api/conversations/{conversation}/resolve", new { });
        AssertNamesOwner(await resolve.ProblemAsync(HttpStatusCode.Conflict), Agent1, Agent1);
        var transfer = await AsAgent2().PostAsJsonAsync($"/api/conversations/{conversation}/transfer", new { queue = "general" });
        AssertNamesOwner(await transfer.ProblemAsync(HttpStatusCode.Conflict), Agent1, Agent1);

        // Nothing of the refused calls was stored.
        Assert.Empty((await fx.App.Supervisor().GetJsonAsync($"/api/conversations/{conversation}/messages")).AsArray());
        var unchanged = await fx.App.ConversationAsync(conversation);
        Assert.Equal("assigned", unchanged["status"]!.GetValue<string>());
        Assert.Equal(Agent1, unchanged["assignee"]!.GetValue<string>());
        Assert.Empty(await fx.App.EventsAsync(conversation, "conversation.transferred"));

        // The owner and a supervisor may.
        await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversation}/messages", new { text = "Owner here" }, HttpStatusCode.Accepted);
        await fx.App.Supervisor().PostJsonAsync($"/api/conversations/{conversation}/messages", new { text = "Supervisor here" }, HttpStatusCode.Accepted);
        var resolved = await fx.App.Supervisor().PostJsonAsync($"/api/conversations/{conversation}/resolve", new { }, HttpStatusCode.OK);
        Assert.Equal("resolved", resolved["status"]!.GetValue<string>());
        Assert.Equal(2, (await fx.App.Supervisor().GetJsonAsync($"/api/conversations/{conversation}/messages")).AsArray().Count);
    }

    [Fact]
    public async Task TakeoverMakesTheCallerTheOwnerOnTheTimelineAndFreesTheOldOwnersCapacity()
    {
        var conversation = await AssignedToAgent1Async("v-own-2");
        // Agent 1 is full, so the next conversation waits.
        var waiting = await fx.App.CustomerWritesAsync("v-own-3");
        await fx.App.WaitForStatusAsync(waiting, "queued");

        var taken = await AsAgent2().PostJsonAsync($"/api/conversations/{conversation}/takeover", new { reason = "customer asked for me" }, HttpStatusCode.OK);
        Assert.Equal(Agent2, taken["assignee"]!.GetValue<string>());
        var takeover = Assert.Single(await fx.App.EventsAsync(conversation, "conversation.taken_over"));
        Assert.Equal(Agent1, takeover["data"]!["from"]!["agentId"]!.GetValue<string>());
        Assert.Equal(Agent2, takeover["data"]!["to"]!["agentId"]!.GetValue<string>());
        Assert.Equal("customer asked for me", takeover["data"]!["reason"]!.GetValue<string>());

        // Now agent 2 owns it: their reply goes, agent 1's is refused naming agent 2.
        await AsAgent2().PostJsonAsync($"/api/conversations/{conversation}/messages", new { text = "Bea here" }, HttpStatusCode.Accepted);
        var stale = await fx.App.Agent().PostAsJsonAsync($"/api/conversations/{conversation}/messages", new { text = "Still me?" });
        AssertNamesOwner(await stale.ProblemAsync(HttpStatusCode.Conflict), Agent2, "Bea Second");

        // Agent 1 got the capacity back: routing gives them the waiting conversation.
        await fx.App.WaitForAsync(waiting, c => c["assignee"]?.GetValue<string>() == Agent1, "the freed agent 1 got the waiting conversation");

        // Agent 2 is now full: taking over another conversation is refused and changes nothing.
        var full = await AsAgent2().PostAsJsonAsync($"/api/conversations/{waiting}/takeover", new { });
        Assert.Equal("agent-at-capacity", (await full.ProblemAsync(HttpStatusCode.Conflict))["code"]!.GetValue<string>());
        Assert.Equal(Agent1, (await fx.App.ConversationAsync(waiting))["assignee"]!.GetValue<string>());
        Assert.Empty(await fx.App.EventsAsync(waiting, "conversation.taken_over"));

        // Taking over one's own conversation again changes nothing.
        await AsAgent2().PostJsonAsync($"/api/conversations/{conversation}/takeover", new { }, HttpStatusCode.OK);
        Assert.Single(await fx.App.EventsAsync(conversation, "conversation.taken_over"));
    }

    [Fact]
    public async Task TakeoverRefusesWhatItCannotDo()
    {
        var conversation = await AssignedToAgent1Async("v-own-4");
        await (await AsAgent2().PostAsJsonAsync($"/api/conversations/{Guid.NewGuid()}/takeover", new { })).ProblemAsync(HttpStatusCode.NotFound);
        // A supervisor key has no agent id to take it for.
        await (await fx.App.Supervisor().PostAsJsonAsync($"/api/conversations/{conversation}/takeover", new { })).ProblemAsync(HttpStatusCode.BadRequest);
        await (await fx.App.ClientWithKey(null).PostAsJsonAsync($"/api/conversations/{conversation}/takeover", new { })).ProblemAsync(HttpStatusCode.Unauthorized);

        await fx.App.SetStatusAsync(Agent2, "offline");
        var offline = await AsAgent2().PostAsJsonAsync($"/api/conversations/{conversation}/takeover", new { });
        Assert.Equal("agent-offline", (await offline.ProblemAsync(HttpStatusCode.Conflict))["code"]!.GetValue<string>());

        await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversation}/resolve", new { }, HttpStatusCode.OK);
        await fx.App.SetStatusAsync(Agent2, "away");
        var closed = await AsAgent2().PostAsJsonAsync($"/api/conversations/{conversation}/takeover", new { });
        Assert.Equal("conversation-closed", (await closed.ProblemAsync(HttpStatusCode.Conflict))["code"]!.GetValue<string>());
        Assert.Empty(await fx.App.EventsAsync(conversation, "conversation.taken_over"));
    }

    [Fact]
    public async Task AConversationNoAgentHasMayBeAnsweredByAnyAgent()
    {
        await fx.App.CreateAgentAsync(Agent1);
        await fx.App.CreateAgentAsync(Agent2);
        var conversation = await fx.App.CustomerWritesAsync("v-own-5");
        await fx.App.WaitForStatusAsync(conversation, "queued");
        await AsAgent2().PostJsonAsync($"/api/conversations/{conversation}/messages", new { text = "Anyone may answer a waiting customer" }, HttpStatusCode.Accepted);
        // Taking it out of the queue is a takeover too (from nobody).
        var taken = await AsAgent2().PostAsJsonAsync($"/api/conversations/{conversation}/takeover", new { });
        Assert.Equal("agent-offline", (await taken.ProblemAsync(HttpStatusCode.Conflict))["code"]!.GetValue<string>());
        await fx.App.SetStatusAsync(Agent2, "away");
        var mine = await AsAgent2().PostJsonAsync($"/api/conversations/{conversation}/takeover", new { }, HttpStatusCode.OK);
        Assert.Equal(Agent2, mine.Assignee());
        Assert.Equal("assigned", mine["status"]!.GetValue<string>());
        var takeover = Assert.Single(await fx.App.EventsAsync(conversation, "conversation.taken_over"));
        Assert.Null(takeover["data"]!["from"]!["agentId"]);
        Assert.Equal("general", takeover["data"]!["from"]!["queue"]!.GetValue<string>());
        await using var connection = await fx.Db.OpenConnectionAsync();
        await using var entries = connection.Sql("select count(*) from queue_entries where conversation_id = $1", conversation);
        Assert.Equal(0L, await entries.ExecuteScalarAsync());
    }
}
