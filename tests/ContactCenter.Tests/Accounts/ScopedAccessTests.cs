using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;

namespace ContactCenter.Tests.Accounts;

/// <summary>Agent keys scoped to queues: agent-1 works "support", agent-2 works "sales".</summary>
public class ScopedAccessFixture : AccountsFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["Auth:ApiKeys:0:AllConversations"] = "false",
        ["Auth:ApiKeys:0:Queues:0"] = "support",
        ["Auth:ApiKeys:1:AllConversations"] = "false",
        ["Auth:ApiKeys:1:Queues:0"] = "sales",
    };
}

public class ScopedAccessTests(ScopedAccessFixture fx) : IClassFixture<ScopedAccessFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetAndSeedAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    private HttpClient InQueue => fx.App.ClientWithKey(ContactCenterApp.AgentKey);
    private HttpClient Outside => fx.App.ClientWithKey(ContactCenterApp.Agent2Key);

    /// <summary>A customer's conversation waiting in "support", assigned to nobody.</summary>
    private async Task<(Guid Conversation, Guid Customer)> WaitingInSupportAsync(string address = "+14155550100")
    {
        foreach (var queue in new[] { "support", "sales" })
            await fx.App.Admin().PutAsync($"/api/queues/{queue}", System.Net.Http.Json.JsonContent.Create(new { priority = 0 }));
        var received = await fx.App.ReceiveAsync(Inbound.Message(Channel.Sms, address, "SM" + Guid.NewGuid().ToString("N")));
        var id = received.ConversationId!.Value;
        await fx.App.Supervisor().PostJsonAsync($"/api/conversations/{id}/enqueue", new { queue = "support" }, HttpStatusCode.OK);
        return (id, received.CustomerId);
    }

    [Fact]
    public async Task AnAgentSeesWhatIsAssignedToThemOrWaitsInTheirQueuesAndNothingElse()
    {
        var (conversation, customer) = await WaitingInSupportAsync();
        Assert.Equal(HttpStatusCode.OK, (await InQueue.GetAsync($"/api/conversations/{conversation}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await InQueue.GetAsync($"/api/customers/{customer}/timeline")).StatusCode);
        var hidden = await (await Outside.GetAsync($"/api/conversations/{conversation}")).ProblemAsync(HttpStatusCode.NotFound);
        // The same answer as for an id that does not exist: nothing is confirmed.
        var missing = await (await Outside.GetAsync($"/api/conversations/{Guid.NewGuid()}")).ProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(missing["title"]!.GetValue<string>(), hidden["title"]!.GetValue<string>());
        await (await Outside.GetAsync($"/api/customers/{customer}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await Outside.GetAsync("/api/customers?channel=sms&address=%2B14155550100")).ProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.OK, (await InQueue.GetAsync("/api/customers?channel=sms&address=%2B14155550100")).StatusCode);
        await (await Outside.PostAsync($"/api/conversations/{conversation}/notes", System.Net.Http.Json.JsonContent.Create(new { text = "hi" })))
            .ProblemAsync(HttpStatusCode.NotFound);

        Assert.Contains(await IdsAsync(InQueue, "/api/conversations"), id => id == conversation);
        Assert.DoesNotContain(await IdsAsync(Outside, "/api/conversations"), id => id == conversation);
        Assert.Contains(await IdsAsync(fx.App.Supervisor(), "/api/conversations"), id => id == conversation);
        var inbox = await Outside.GetJsonAsync("/api/desk/inbox");
        Assert.DoesNotContain(conversation.ToString(), inbox.ToJsonString());
        Assert.Contains(conversation.ToString(), (await InQueue.GetJsonAsync("/api/desk/inbox")).ToJsonString());

        // Assigned to agent-2 (a supervisor moves it): now theirs, and no longer agent-1's to read.
        await fx.App.Admin().PostJsonAsync("/api/agents", new { id = ContactCenterApp.Agent2Id, name = "Two", status = "available" }, HttpStatusCode.Created);
        await fx.App.Supervisor().PostJsonAsync($"/api/conversations/{conversation}/assign", new { agentId = ContactCenterApp.Agent2Id }, HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, (await Outside.GetAsync($"/api/conversations/{conversation}")).StatusCode);
        await (await InQueue.GetAsync($"/api/conversations/{conversation}")).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ASignedInAgentIsScopedByTheQueuesOnTheirUser()
    {
        var (conversation, _) = await WaitingInSupportAsync();
        await fx.CreateUserAsync("sue@example.test", "sue-password-1", agentId: "sue", queues: ["support"]);
        await fx.CreateUserAsync("sal@example.test", "sal-password-1", agentId: "sal", queues: ["sales"]);
        var sue = new CookieSession(fx.App);
        await sue.SignInAsync("sue@example.test", "sue-password-1");
        var sal = new CookieSession(fx.App);
        await sal.SignInAsync("sal@example.test", "sal-password-1");
        Assert.Equal(HttpStatusCode.OK, (await sue.GetAsync($"/api/conversations/{conversation}/events")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await sal.GetAsync($"/api/conversations/{conversation}/events")).StatusCode);
    }

    [Fact]
    public async Task ACustomersProfileListsOnlyTheConversationsTheAgentMaySee()
    {
        var (support, customer) = await WaitingInSupportAsync("+14155550111");
        var other = await fx.App.ReceiveAsync(Inbound.Message(Channel.Telegram, "777111", "tg-" + Guid.NewGuid().ToString("N")));
        var sales = other.ConversationId!.Value;
        await fx.App.Supervisor().PostJsonAsync($"/api/conversations/{sales}/enqueue", new { queue = "sales" }, HttpStatusCode.OK);
        await fx.App.Supervisor().PostJsonAsync($"/api/customers/{customer}/merge", new { otherCustomerId = other.CustomerId }, HttpStatusCode.OK);

        Assert.Equal(new[] { support, sales }.Order(), OpenIds(await fx.App.Supervisor().GetJsonAsync($"/api/customers/{customer}")).Order());
        Assert.Equal([support], OpenIds(await InQueue.GetJsonAsync($"/api/customers/{customer}")));
        Assert.Equal([sales], OpenIds(await Outside.GetJsonAsync($"/api/customers/{customer}")));
        Assert.Equal([support], OpenIds(await InQueue.GetJsonAsync("/api/customers?channel=sms&address=%2B14155550111")));
        var patched = await (await InQueue.PatchAsJsonAsync($"/api/customers/{customer}", new { name = "Pat" })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal([support], OpenIds(patched));
        Assert.Equal([support], await IdsAsync(InQueue, $"/api/conversations?customerId={customer}"));

        // Past conversations (the desk lists resolved ones): an agent sees the ones that were theirs.
        await fx.App.Admin().PostJsonAsync("/api/agents", new { id = ContactCenterApp.Agent2Id, name = "Two", status = "available" }, HttpStatusCode.Created);
        await fx.App.Supervisor().PostJsonAsync($"/api/conversations/{sales}/assign", new { agentId = ContactCenterApp.Agent2Id }, HttpStatusCode.OK);
        await Outside.PostJsonAsync($"/api/conversations/{sales}/resolve", new { }, HttpStatusCode.OK);
        Assert.Equal([sales], await IdsAsync(Outside, $"/api/conversations?customerId={customer}&status=resolved"));
        Assert.Empty(await IdsAsync(InQueue, $"/api/conversations?customerId={customer}&status=resolved"));
        Assert.Empty(OpenIds(await Outside.GetJsonAsync($"/api/customers/{customer}")));

        // Someone who may see none of the customer's conversations: the customer does not exist for them.
        await fx.CreateUserAsync("bea@example.test", "bea-password-1", agentId: "bea", queues: ["billing"]);
        var bea = new CookieSession(fx.App);
        await bea.SignInAsync("bea@example.test", "bea-password-1");
        var hidden = await (await bea.GetAsync($"/api/customers/{customer}")).ProblemAsync(HttpStatusCode.NotFound);
        var missing = await (await bea.GetAsync($"/api/customers/{Guid.NewGuid()}")).ProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(missing["title"]!.GetValue<string>(), hidden["title"]!.GetValue<string>());
        await (await bea.GetAsync($"/api/customers/{customer}/timeline")).ProblemAsync(HttpStatusCode.NotFound);
        await (await bea.GetAsync("/api/customers?channel=sms&address=%2B14155550111")).ProblemAsync(HttpStatusCode.NotFound);
        Assert.Empty(await IdsAsync(bea, $"/api/conversations?customerId={customer}"));
    }

    [Fact]
    public async Task AQueuesWaitingConversationsAreListedOnlyToAgentsWhoWorkIt()
    {
        var (conversation, _) = await WaitingInSupportAsync();
        var seenBySupport = await InQueue.GetJsonAsync("/api/queues/support");
        var seenBySales = await Outside.GetJsonAsync("/api/queues/support");
        Assert.Contains(conversation.ToString(), seenBySupport["conversations"]!.ToJsonString());
        Assert.Empty(seenBySales["conversations"]!.AsArray());
        // The figures are the team's: the same for both.
        Assert.Equal(1, seenBySales["waiting"]!.GetValue<int>());
        Assert.Equal(seenBySupport["waiting"]!.GetValue<int>(), seenBySales["waiting"]!.GetValue<int>());
        var list = (await Outside.GetJsonAsync("/api/queues")).AsArray().Single(q => q!["name"]!.GetValue<string>() == "support")!;
        Assert.Empty(list["conversations"]!.AsArray());
        Assert.Contains(conversation.ToString(), (await fx.App.Supervisor().GetJsonAsync("/api/queues")).ToJsonString());
    }

    private static List<Guid> OpenIds(JsonNode customer) =>
        customer["openConversations"]!.AsArray().Select(c => c!["id"]!.GetValue<Guid>()).ToList();

    private static async Task<List<Guid>> IdsAsync(HttpClient client, string url) =>
        (await client.GetJsonAsync(url)).AsArray().Select(c => c!["id"]!.GetValue<Guid>()).ToList();

    private static async Task<List<Guid>> IdsAsync(CookieSession session, string url) =>
        (await (await session.GetAsync(url)).ReadJsonAsync(HttpStatusCode.OK)).AsArray().Select(c => c!["id"]!.GetValue<Guid>()).ToList();
}
