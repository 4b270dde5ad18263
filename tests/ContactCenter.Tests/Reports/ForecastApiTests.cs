using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContactCenter.Tests.Infrastructure;
using ContactCenter.Tests.Routing;

namespace ContactCenter.Tests.Reports;

/// <summary>
/// GET /api/queues/{name}/forecast end to end: arrivals and handle times written to the timeline in the last 30
/// minutes, two agents logged in. Reference values computed independently (exact rational Erlang C, see ErlangCTests).
/// </summary>
public sealed class ForecastApiTests(AppFixture fx) : IClassFixture<AppFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Voice_load_from_the_window_gives_erlang_c_against_the_agents_logged_in()
    {
        using (var put = await fx.App.Admin().PutAsJsonAsync("/api/queues/phones", new { })) put.EnsureSuccessStatusCode();
        var d = new ReportDay(fx.Db);
        var now = DateTimeOffset.UtcNow;

        // 15 calls entered the queue in the last 30 minutes: λ = 1/120 per second. Three were handled (assigned →
        // resolved) in 120 s each: A = 1 erlang. Not arrivals: a priority change inside the queue, a call 40 minutes ago.
        for (var i = 0; i < 15; i++)
        {
            var resolved = i < 3 ? now.AddMinutes(-8) : (DateTimeOffset?)null;
            var call = await d.ConversationAsync("voice", "phones", i < 3 ? "agent-1" : null, now.AddMinutes(-25 + i), resolved);
            await d.EventAsync(call, "conversation.queued", now.AddMinutes(-25 + i), new JsonObject { ["queue"] = "phones" });
            if (i < 3) await d.EventAsync(call, "conversation.assigned", now.AddMinutes(-10), new JsonObject { ["agentId"] = "agent-1" });
            if (i == 5) await d.EventAsync(call, "conversation.queued", now.AddMinutes(-5), new JsonObject { ["queue"] = "phones", ["from"] = "phones" });
        }

        var old = await d.ConversationAsync("voice", "phones", null, now.AddMinutes(-40), null);
        await d.EventAsync(old, "conversation.queued", now.AddMinutes(-40), new JsonObject { ["queue"] = "phones" });
        // 45 text conversations, 60 s each: 1.5 erlangs over 2 agents × 3 slots.
        for (var i = 0; i < 45; i++)
        {
            var chat = await d.ConversationAsync("sms", "phones", "agent-2", now.AddMinutes(-29).AddSeconds(i * 30), i == 0 ? now.AddMinutes(-1) : null);
            await d.EventAsync(chat, "conversation.queued", now.AddMinutes(-29).AddSeconds(i * 30), new JsonObject { ["queue"] = "phones" });
            if (i == 0) await d.EventAsync(chat, "conversation.assigned", now.AddMinutes(-2), new JsonObject { ["agentId"] = "agent-2" });
        }

        // Two agents logged in and taking work (default capacity: 1 call, 3 chats); an offline one does not count.
        await fx.App.CreateAgentAsync("agent-1", status: "available");
        await fx.App.CreateAgentAsync("agent-2", status: "available");
        await fx.App.CreateAgentAsync("agent-3", status: "offline");

        var forecast = await fx.App.Supervisor().GetJsonAsync("/api/queues/phones/forecast");
        // More text arrivals than calls: the messaging bucket leads.
        Assert.Equal("messaging", forecast["bucket"]!.GetValue<string>());
        var buckets = forecast["buckets"]!.AsArray();
        var voice = buckets.Single(b => b!["bucket"]!.GetValue<string>() == "voice")!;
        Assert.Equal(15, voice["arrivals"]!.GetValue<int>());
        Assert.Equal(120, voice["averageHandleSeconds"]!.GetValue<double>());
        Assert.Equal(1, voice["offeredLoad"]!.GetValue<double>());
        Assert.Equal(2, voice["agentsAvailable"]!.GetValue<int>());
        // C(A=1, N=2) = 1/3; ASA = C·AHT/(N − A) = 40 s; 80 % within 20 s: 2 agents give 71.8 %, 3 give 93.5 %.
        Assert.Equal(0.3333, voice["probabilityOfWaiting"]!.GetValue<double>());
        Assert.Equal(40, voice["expectedWaitSeconds"]!.GetValue<double>());
        Assert.Equal(3, voice["agentsNeeded"]!.GetValue<int>());
        Assert.Equal(20, voice["target"]!["withinSeconds"]!.GetValue<double>());
        Assert.Equal(0.8, voice["target"]!["share"]!.GetValue<double>());

        // Messaging per slot: 6 slots, C(1.5, 6) = 0.0047; ASA 0.063 s; target 80 % in 5 min needs 2 slots = 1 agent of 3.
        Assert.Equal(45, forecast["buckets"]!.AsArray().Single(b => b!["bucket"]!.GetValue<string>() == "messaging")!["arrivals"]!.GetValue<int>());
        Assert.Equal(1.5, forecast["offeredLoad"]!.GetValue<double>());
        Assert.Equal(0.0047, forecast["probabilityOfWaiting"]!.GetValue<double>());
        Assert.Equal(0.063, forecast["expectedWaitSeconds"]!.GetValue<double>());
        Assert.Equal(1, forecast["agentsNeeded"]!.GetValue<int>());
        Assert.Equal(2, forecast["agentsAvailable"]!.GetValue<int>());
        Assert.Equal(300, forecast["target"]!["withinSeconds"]!.GetValue<double>());
        var messaging = buckets.Single(b => b!["bucket"]!.GetValue<string>() == "messaging")!;
        Assert.Equal(6, messaging["slotsAvailable"]!.GetValue<int>());
        Assert.Equal(2, messaging["slotsNeeded"]!.GetValue<int>());
    }

    [Fact]
    public async Task An_unknown_queue_is_404_and_agents_may_not_ask()
    {
        using var missing = await fx.App.Supervisor().GetAsync("/api/queues/nowhere/forecast");
        await missing.ProblemAsync(HttpStatusCode.NotFound);
        using var asAgent = await fx.App.Agent().GetAsync("/api/queues/general/forecast");
        await asAgent.ProblemAsync(HttpStatusCode.Forbidden);
        // A queue with no history: nothing offered, nothing to wait for, no agent needed.
        using (var put = await fx.App.Admin().PutAsJsonAsync("/api/queues/quiet", new { })) put.EnsureSuccessStatusCode();
        var quiet = await fx.App.Supervisor().GetJsonAsync("/api/queues/quiet/forecast");
        Assert.Equal(0, quiet["offeredLoad"]!.GetValue<double>());
        Assert.Equal(0, quiet["probabilityOfWaiting"]!.GetValue<double>());
        Assert.Equal(0, quiet["agentsNeeded"]!.GetValue<int>());
    }
}
