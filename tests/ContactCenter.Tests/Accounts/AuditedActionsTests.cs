using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Storage;

namespace ContactCenter.Tests.Accounts;

/// <summary>Each audited action of the routing set-up, the customers and the reports writes exactly one audit row.</summary>
public class AuditedActionsTests(AccountsFixture fx) : IClassFixture<AccountsFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetAndSeedAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task QueueAndAgentChangesAndForcedStatusesAreAuditedOnce()
    {
        var admin = fx.App.Admin();
        await admin.PostJsonAsync("/api/queues", new { name = "billing" }, HttpStatusCode.Created);
        await admin.PutJsonAsync("/api/queues/billing", new { priority = 2 }, HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/api/queues/billing")).StatusCode);
        Assert.Equal(["created", "replaced", "deleted"], await ChangesAsync("queue.changed", "billing"));

        await admin.PostJsonAsync("/api/agents", new { id = ContactCenterApp.AgentId, name = "One", status = "available" }, HttpStatusCode.Created);
        await admin.PutJsonAsync($"/api/agents/{ContactCenterApp.AgentId}", new { name = "One again" }, HttpStatusCode.OK);
        Assert.Equal(["created", "updated"], await ChangesAsync("agent.changed", ContactCenterApp.AgentId));

        // An agent setting their own status is routine; a supervisor setting it is forcing it.
        await fx.App.Agent().PostJsonAsync($"/api/agents/{ContactCenterApp.AgentId}/status", new { status = "away" }, HttpStatusCode.OK);
        Assert.Empty(await ChangesAsync("agent.status-forced", ContactCenterApp.AgentId));
        await fx.App.Supervisor().PostJsonAsync($"/api/agents/{ContactCenterApp.AgentId}/status", new { status = "offline" }, HttpStatusCode.OK);
        var forced = Assert.Single((await admin.GetJsonAsync("/api/audit?action=agent.status-forced")).AsArray())!;
        Assert.Equal("Test supervisor", forced["actorName"]!.GetValue<string>());
        Assert.Equal("offline", forced["data"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task MergesTakeoversAndReportExportsAreAuditedOnce()
    {
        var first = await fx.App.ReceiveAsync(Inbound.Message(Channel.Sms, "+14155550101", "SM-a1"));
        var second = await fx.App.ReceiveAsync(Inbound.Message(Channel.Telegram, "777001", "tg-a2"));
        var merge = new { otherCustomerId = second.CustomerId };
        await fx.App.Supervisor().PostJsonAsync($"/api/customers/{first.CustomerId}/merge", merge, HttpStatusCode.OK);
        await fx.App.Supervisor().PostJsonAsync($"/api/customers/{first.CustomerId}/merge", merge, HttpStatusCode.OK); // a replay
        var merged = Assert.Single((await fx.App.Admin().GetJsonAsync("/api/audit?action=customer.merged")).AsArray())!;
        Assert.Equal(first.CustomerId.ToString(), merged["targetId"]!.GetValue<string>());
        Assert.Equal(second.CustomerId.ToString(), merged["data"]!["mergedCustomerId"]!.GetValue<string>());

        foreach (var agent in new[] { ContactCenterApp.AgentId, ContactCenterApp.Agent2Id })
            await fx.App.Admin().PostJsonAsync("/api/agents", new { id = agent, name = agent, status = "available" }, HttpStatusCode.Created);
        var conversation = first.ConversationId!.Value;
        await fx.App.Supervisor().PostJsonAsync($"/api/conversations/{conversation}/assign", new { agentId = ContactCenterApp.Agent2Id }, HttpStatusCode.OK);
        await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversation}/takeover", new { reason = "customer asked for me" }, HttpStatusCode.OK);
        var takeover = Assert.Single((await fx.App.Admin().GetJsonAsync("/api/audit?action=conversation.taken-over")).AsArray())!;
        Assert.Equal(conversation.ToString(), takeover["targetId"]!.GetValue<string>());
        Assert.DoesNotContain("customer asked", takeover.ToJsonString()); // free text stays on the timeline

        const string report = "/api/reports/volume?from=2026-03-02&to=2026-03-02&by=hour&timeZone=UTC";
        await fx.App.Supervisor().GetJsonAsync(report);
        var csv = new HttpRequestMessage(HttpMethod.Get, report);
        csv.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        Assert.Equal(HttpStatusCode.OK, (await fx.App.Supervisor().SendAsync(csv)).StatusCode);
        var export = Assert.Single((await fx.App.Admin().GetJsonAsync("/api/audit?action=report.exported")).AsArray())!;
        Assert.Equal("volume", export["targetId"]!.GetValue<string>());
        Assert.Equal("config:Test supervisor", export["actorId"]!.GetValue<string>());
    }

    private async Task<List<string>> ChangesAsync(string action, string target)
    {
        await using var connection = await fx.Db.OpenConnectionAsync();
        await using var command = connection.Sql("select data ->> 'change' from audit_events where action = $1 and target_id = $2 order by id", action, target);
        var list = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) list.Add(reader.IsDBNull(0) ? "" : reader.GetString(0));
        return list;
    }
}
