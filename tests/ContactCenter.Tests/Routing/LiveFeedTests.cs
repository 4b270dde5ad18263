using System.Net;
using System.Text.Json.Nodes;

namespace ContactCenter.Tests.Routing;

/// <summary>The supervisor page and its event stream, across two instances on one database.</summary>
public class LiveFeedTests(TwoHostsFixture fx) : IClassFixture<TwoHostsFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private sealed record ServerEvent(string Type, JsonNode Data);

    [Fact]
    public async Task TheSupervisorPageStreamsWhatAnyInstanceChanges()
    {
        await fx.App.PutQueueAsync("general", new { priority = 1 });

        // A supervisor logs in with their key in a browser on the first instance.
        // The session cookie is Secure outside Development, so the test keeps it by hand (CookieSession).
        var browser = new Accounts.CookieSession(fx.App);
        var login = await browser.PostFormAsync("/login", new Dictionary<string, string>
        {
            ["key"] = ContactCenterApp.SupervisorKey,
            ["returnUrl"] = "/supervisor",
        });
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal("/supervisor", login.Headers.Location?.OriginalString);
        var page = await (await browser.GetAsync("/supervisor")).Content.ReadAsStringAsync();
        Assert.Contains("<script src=\"/assets/supervisor.js\">", page);
        Assert.Contains("cc.live(\"/api/live\"", await (await browser.GetAsync("/assets/supervisor.js")).Content.ReadAsStringAsync());
        await (await fx.App.Agent().GetAsync("/api/live")).ProblemAsync(HttpStatusCode.Forbidden);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await browser.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/live"), HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));

        var snapshot = await NextAsync(reader, timeout.Token);
        Assert.Equal("snapshot", snapshot.Type);
        Assert.Contains(snapshot.Data["queues"]!.AsArray(), q => q!["name"]!.GetValue<string>() == "general");

        // Changes made through the second instance reach the stream the first instance serves.
        await fx.Second.CreateAgentAsync("live-agent");
        await fx.Second.SetStatusAsync("live-agent", "available");
        var conversation = await fx.Second.CustomerWritesAsync("v-live");

        var seen = new List<ServerEvent>();
        while (!seen.Any(e => e.Type == "change" && e.Data["type"]!.GetValue<string>() == "conversation.assigned"))
            seen.Add(await NextAsync(reader, timeout.Token));
        var changes = seen.Where(e => e.Type == "change").Select(e => e.Data).ToList();
        Assert.Contains(changes, c => c["type"]!.GetValue<string>() == "agent.status" && c["agentId"]!.GetValue<string>() == "live-agent");
        Assert.Contains(changes, c => c["type"]!.GetValue<string>() == "conversation.queued" && c["conversationId"]!.GetValue<string>() == conversation.ToString());
        var assigned = changes.Single(c => c["type"]!.GetValue<string>() == "conversation.assigned");
        Assert.Equal(conversation.ToString(), assigned["conversationId"]!.GetValue<string>());
        Assert.Equal("live-agent", assigned["agentId"]!.GetValue<string>());
        Assert.Equal("general", assigned["queue"]!.GetValue<string>());
    }

    private static async Task<ServerEvent> NextAsync(StreamReader reader, CancellationToken ct)
    {
        string? type = null;
        var data = new List<string>();
        while (true)
        {
            var line = await reader.ReadLineAsync(ct) ?? throw new Xunit.Sdk.XunitException("The event stream ended.");
            if (line.Length == 0)
            {
                if (data.Count > 0) return new ServerEvent(type ?? "message", JsonNode.Parse(string.Join("\n", data))!);
                continue;
            }

            if (line.StartsWith("event:", StringComparison.Ordinal)) type = line["event:".Length..].Trim();
            else if (line.StartsWith("data:", StringComparison.Ordinal)) data.Add(line["data:".Length..].TrimStart());
        }
    }
}
