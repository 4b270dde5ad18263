using System.Net;
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

    /// <summary>
    /// Every API route (from the app's endpoints) × no key, agent in the queue, agent outside it, supervisor, admin.
    /// Reads go to all five callers; changes only to the callers refused before the handler runs (no key, agent
    /// outside), so the matrix changes nothing it then reads.
    /// </summary>
    [Fact]
    public async Task EveryApiRouteAnswersEachCallerAsTheScopeSays()
    {
        var (conversation, customer) = await WaitingInSupportAsync();
        var routes = AuthorizationMatrix.ApiRoutes(fx.App);
        Assert.True(routes.Count > 60, $"only {routes.Count} routes found");
        var callers = new Dictionary<string, HttpClient>
        {
            ["no key"] = fx.App.ClientWithKey(null), ["agent in queue"] = InQueue, ["agent outside"] = Outside,
            ["supervisor"] = fx.App.Supervisor(), ["admin"] = fx.App.Admin(),
        };
        var failures = new List<string>();
        foreach (var route in routes)
        {
            var url = route.Url;
            var scoped = route.Pattern.StartsWith("/api/conversations/{id", StringComparison.Ordinal)
                || route.Pattern.StartsWith("/api/customers/{id", StringComparison.Ordinal);
            if (route.Pattern.StartsWith("/api/conversations/{id", StringComparison.Ordinal)) url = Replace(route, conversation);
            if (route.Pattern.StartsWith("/api/customers/{id", StringComparison.Ordinal)) url = Replace(route, customer);
            foreach (var (caller, client) in callers)
            {
                if (route.Method != "GET" && caller is not ("no key" or "agent outside")) continue;
                var (status, title, detail) = await CallAsync(client, route.Method, url);
                var hiddenByScope = status == 404 && (detail == $"No conversation {conversation}." || detail == $"No customer {customer}.");
                string? wrong = caller switch
                {
                    // 503 is a deliberate "not configured here" (the softphone's Twilio keys); only a crash is wrong.
                    _ when status is 500 or 502 => $"{status}",
                    "no key" when status != 401 => $"{status}, not 401",
                    "agent outside" when scoped && status is not (404 or 403) => $"{status}, not 404",
                    "agent outside" when scoped && status == 404 && (title != "Not found" || !hiddenByScope) => $"{status} '{title}': {detail}",
                    "agent in queue" or "supervisor" or "admin" when scoped && hiddenByScope => "404 for a conversation in scope",
                    _ => null,
                };
                if (wrong is not null) failures.Add($"{route.Method} {route.Pattern} as {caller}: {wrong}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
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

    private static async Task<List<Guid>> IdsAsync(HttpClient client, string url) =>
        (await client.GetJsonAsync(url)).AsArray().Select(c => c!["id"]!.GetValue<Guid>()).ToList();

    private static string Replace(ApiRoute route, Guid id)
    {
        var segments = route.Url.Split('/');
        segments[3] = id.ToString(); // /api/{conversations|customers}/{id}/…
        return string.Join('/', segments);
    }

    private static async Task<(int Status, string? Title, string? Detail)> CallAsync(HttpClient client, string method, string url)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (method is not ("GET" or "DELETE")) request.Content = System.Net.Http.Json.JsonContent.Create(new { });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json") return ((int)response.StatusCode, null, null);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(timeout.Token));
        return ((int)response.StatusCode, body?["title"]?.GetValue<string>(), body?["detail"]?.GetValue<string>());
    }
}
