using System.Net;
using System.Net.Http.Json;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Storage;
using ContactCenter.Tests.Routing;

namespace ContactCenter.Tests.Desk;

public sealed class DeskApiFixture : AppFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Routing:AutoQueue"] = "true",
        ["Routing:SweepInterval"] = "00:00:01",
    };
}

/// <summary>The desk's calls through HTTP: canned replies, tags, mentions in the inbox, bad replies.</summary>
public sealed class DeskApiTests(DeskApiFixture fx) : IClassFixture<DeskApiFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Supervisors_manage_canned_replies_agents_search_them_and_variables_are_filled_for_the_conversation()
    {
        using var refused = await fx.App.Agent().PostAsJsonAsync("/api/canned-replies", new { title = "x", text = "y" });
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var created = await fx.App.Supervisor().PostJsonAsync("/api/canned-replies",
            new { title = "Greeting", text = "Hello {customer.firstName}, {agent.name} here. Order {order.number}?", language = "en" }, HttpStatusCode.Created);
        var id = created["id"]!.GetValue<string>();
        await fx.App.Supervisor().PostJsonAsync("/api/canned-replies", new { title = "Hola", text = "Hola", language = "es" }, HttpStatusCode.Created);

        var found = (await fx.App.Agent().GetJsonAsync("/api/canned-replies?q=greet")).AsArray();
        Assert.Equal("Greeting", Assert.Single(found)!["title"]!.GetValue<string>());
        Assert.Single((await fx.App.Agent().GetJsonAsync("/api/canned-replies?language=es")).AsArray());

        await fx.App.CreateAgentAsync(ContactCenterApp.AgentId, status: "available");
        var conversation = await fx.App.CustomerWritesAsync("visitor-canned", "hi");
        var customerId = (await fx.App.ConversationAsync(conversation))["customerId"]!.GetValue<string>();
        await fx.App.Agent().SendAsync(new HttpRequestMessage(HttpMethod.Patch, $"/api/customers/{customerId}")
            { Content = JsonContent.Create(new { name = "Jo Smith" }) });
        var filled = await fx.App.Agent().GetJsonAsync($"/api/canned-replies/{id}/filled?conversationId={conversation}");
        Assert.Equal("Hello Jo, agent-1 here. Order {order.number}?", filled["text"]!.GetValue<string>());
        Assert.Equal("order.number", Assert.Single(filled["missing"]!.AsArray())!.GetValue<string>());

        using var empty = await fx.App.Supervisor().PutAsJsonAsync($"/api/canned-replies/{id}", new { title = "Greeting", text = " " });
        await empty.ProblemAsync(HttpStatusCode.BadRequest);
        using var deleted = await fx.App.Supervisor().DeleteAsync($"/api/canned-replies/{id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }

    [Fact]
    public async Task The_waiting_list_shows_the_clock_due_first_first_then_those_without_a_clock_and_counts_all_of_them()
    {
        // Nobody is available, so every conversation waits in the queue; agent-1 may pick from it.
        await fx.App.CreateAgentAsync(ContactCenterApp.AgentId, status: "away");
        var ids = new List<Guid>();
        for (var i = 0; i < 130; i++) ids.Add(await fx.App.CustomerWritesAsync($"visitor-waiting-{i}", "hello"));
        await fx.SettledAsync();

        // Due times in an order unrelated to arrival; 40 conversations without a running clock.
        await using (var connection = await fx.Db.OpenConnectionAsync())
        {
            await using var spread = connection.Sql("""
                update response_clocks set due_at = now() + (((hashtext(conversation_id::text || kind) & 65535) + 60) || ' seconds')::interval,
                    next_check_at = null where stopped_at is null
                """);
            Assert.True(await spread.ExecuteNonQueryAsync() >= 90, "the waiting conversations have running clocks");
            await using var stop = connection.Sql("update response_clocks set stopped_at = now() where conversation_id = any($1)", ids.Take(40).ToArray());
            await stop.ExecuteNonQueryAsync();
        }

        // What the page must show: every waiting conversation, earliest running clock first (none last), then longest waiting.
        var expected = new List<string>();
        await using (var connection = await fx.Db.OpenConnectionAsync())
        await using (var oracle = connection.Sql("""
            select e.conversation_id::text from queue_entries e
            order by (select min(k.due_at) from response_clocks k where k.conversation_id = e.conversation_id and k.stopped_at is null) nulls last,
                     e.waiting_since
            limit 100
            """))
        await using (var reader = await oracle.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) expected.Add(reader.GetString(0));
        }

        var inbox = await fx.App.Agent().GetJsonAsync("/api/desk/inbox");
        Assert.Equal(130, inbox["waitingTotal"]!.GetValue<int>());
        Assert.Equal(expected, inbox["waiting"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()).ToList());
        Assert.Equal(10, inbox["waiting"]!.AsArray().Count(i => i!["dueAt"] is null));
        Assert.Equal(0, (await fx.App.Agent().GetJsonAsync("/api/desk/inbox?channel=sms"))["waitingTotal"]!.GetValue<int>());
        Assert.Equal(130, (await fx.App.Agent().GetJsonAsync("/api/desk/inbox?channel=webchat"))["waitingTotal"]!.GetValue<int>());
    }

    [Fact]
    public async Task Tags_filter_the_inbox_mentions_reach_the_mentioned_agent_and_bad_replies_are_400()
    {
        await fx.App.CreateAgentAsync(ContactCenterApp.AgentId, status: "available");
        await fx.App.CreateAgentAsync(ContactCenterApp.Agent2Id, status: "away");
        var id = await fx.App.CustomerWritesAsync("visitor-tags", "My invoice is wrong");
        await fx.App.WaitForAsync(id, c => c.Assignee() == ContactCenterApp.AgentId, "agent-1 has it");

        var tags = await fx.App.Agent().PostJsonAsync($"/api/conversations/{id}/tags", new { tags = new[] { "Billing", "vip" } }, HttpStatusCode.OK);
        Assert.Equal(["billing", "vip"], tags.AsArray().Select(t => t!.GetValue<string>()));
        using var badTag = await fx.App.Agent().PostAsJsonAsync($"/api/conversations/{id}/tags", new { tags = new[] { "<b>" } });
        await badTag.ProblemAsync(HttpStatusCode.BadRequest);
        var inbox = await fx.App.Agent().GetJsonAsync("/api/desk/inbox?tag=vip");
        Assert.Equal(id.ToString(), Assert.Single(inbox["mine"]!.AsArray())!["id"]!.GetValue<string>());
        Assert.Empty((await fx.App.Agent().GetJsonAsync("/api/desk/inbox?tag=other"))["mine"]!.AsArray());
        using var removed = await fx.App.Agent().DeleteAsync($"/api/conversations/{id}/tags/vip");
        Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
        Assert.Single(await fx.App.EventsAsync(id, "conversation.untagged"));

        await fx.App.Agent().PostJsonAsync($"/api/conversations/{id}/notes", new { text = "@agent-2 can you check the invoice?" }, HttpStatusCode.Created);
        var mentioned = await fx.App.ClientWithKey(ContactCenterApp.Agent2Key).GetJsonAsync("/api/desk/inbox");
        Assert.Equal(id.ToString(), Assert.Single(mentioned["mentions"]!.AsArray())!["id"]!.GetValue<string>());
        var lastEvent = (await fx.App.EventsAsync(id)).Max(e => e["id"]!.GetValue<long>());
        using var read = await fx.App.ClientWithKey(ContactCenterApp.Agent2Key).PostAsJsonAsync($"/api/conversations/{id}/read", new { eventId = lastEvent });
        Assert.Equal(HttpStatusCode.NoContent, read.StatusCode);
        Assert.Empty((await fx.App.ClientWithKey(ContactCenterApp.Agent2Key).GetJsonAsync("/api/desk/inbox"))["mentions"]!.AsArray());

        using var blank = await fx.App.Agent().PostAsJsonAsync($"/api/conversations/{id}/messages", new { text = "   " });
        await blank.ProblemAsync(HttpStatusCode.BadRequest);
        using var tooLong = await fx.App.Agent().PostAsJsonAsync($"/api/conversations/{id}/messages", new { text = new string('a', 5000) });
        await tooLong.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Empty((await fx.App.Agent().GetJsonAsync($"/api/conversations/{id}/messages")).AsArray());

        var resolved = await fx.App.Agent().PostJsonAsync($"/api/conversations/{id}/resolve", new { }, HttpStatusCode.OK);
        Assert.Equal("resolved", resolved["status"]!.GetValue<string>());
        var reopened = await fx.App.Agent().PostJsonAsync($"/api/conversations/{id}/reopen", new { }, HttpStatusCode.OK);
        Assert.Equal("assigned", reopened["status"]!.GetValue<string>());
        Assert.Equal(ContactCenterApp.AgentId, reopened.Assignee());
        var priority = await fx.App.Agent().PostJsonAsync($"/api/conversations/{id}/priority", new { priority = 5 }, HttpStatusCode.OK);
        Assert.Equal(5, priority["priority"]!.GetValue<int>());
        Assert.Equal(Channel.Webchat.ToName(), reopened["channel"]!.GetValue<string>());
    }
}
