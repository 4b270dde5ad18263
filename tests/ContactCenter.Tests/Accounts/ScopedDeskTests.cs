using System.Net;
using System.Net.Http.Json;
using ContactCenter.Tests.Routing;
using ContactCenter.Tests.Webchat;

namespace ContactCenter.Tests.Accounts;

/// <summary>The desk's presence calls are scoped too: a chat waiting in "support", one agent who works it, one who does not.</summary>
public sealed class ScopedDeskTests(WebchatFixture fx) : IClassFixture<WebchatFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetAsync();
    public Task DisposeAsync() => fx.SettledAsync();

    [Fact]
    public async Task TypingAndHeartbeatsForAConversationOutsideTheAgentsScopeAre404AndReachNobody()
    {
        using var visitor = await VisitorClient.StartAsync(fx.App, widget: "other", origin: WebchatFixture.OtherOrigin);
        await using var stream = await visitor.StreamAsync();
        var first = await visitor.SayAsync("hello");
        var conversationId = Guid.Parse(first["conversationId"]!.GetValue<string>());
        // The stream follows the visitor's conversation once it carried one of its events.
        await stream.NextAsync(e => e.Text() == "hello", "the visitor's own message");
        await fx.App.Admin().PutAsync("/api/queues/support", JsonContent.Create(new { priority = 0 }));
        await fx.App.Supervisor().PostJsonAsync($"/api/conversations/{conversationId}/handoff", new { to = "agent", queue = "support" }, HttpStatusCode.OK);

        var sue = await SignedInAsync("sue@example.test", "Sue", "sue", "support");
        var sal = await SignedInAsync("sal@example.test", "Sal", "sal", "sales");
        Assert.Equal(HttpStatusCode.OK, (await sue.GetAsync($"/api/conversations/{conversationId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await sal.GetAsync($"/api/conversations/{conversationId}")).StatusCode);

        // Sal's typing is refused as if the conversation did not exist, and the visitor hears nothing of it.
        var refused = await (await sal.ApiAsync(HttpMethod.Post, "/api/desk/typing", new { conversationId })).ProblemAsync(HttpStatusCode.NotFound);
        var missing = await (await sal.ApiAsync(HttpMethod.Post, "/api/desk/typing", new { conversationId = Guid.NewGuid() })).ProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(missing["title"]!.GetValue<string>(), refused["title"]!.GetValue<string>());
        Assert.Equal($"No conversation {conversationId}.", refused["detail"]!.GetValue<string>());
        // Sue's typing comes after Sal's try on the same feed: the first typing the visitor sees is hers, and the only one.
        Assert.Equal(HttpStatusCode.NoContent, (await sue.ApiAsync(HttpMethod.Post, "/api/desk/typing", new { conversationId })).StatusCode);
        var typing = await stream.NextAsync(e => e["conversationId"]!.GetValue<string>() == conversationId.ToString(), "Sue typing", eventName: "typing");
        Assert.Equal("Sue", typing["name"]!.GetValue<string>());
        Assert.Single(stream.Seen, s => s.Event == "typing");

        // A heartbeat naming the conversation would put Sal on its viewers: refused; Sue's is taken.
        await (await sal.ApiAsync(HttpMethod.Post, "/api/desk/heartbeat", new { sessionId = Guid.NewGuid(), conversationId }))
            .ProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.NoContent,
            (await sue.ApiAsync(HttpMethod.Post, "/api/desk/heartbeat", new { sessionId = Guid.NewGuid(), conversationId })).StatusCode);
        var viewers = await fx.App.Supervisor().GetJsonAsync($"/api/conversations/{conversationId}/viewers");
        Assert.Equal(["sue"], viewers.AsArray().Select(v => v!["agentId"]!.GetValue<string>()));
        // Without a conversation a heartbeat is only presence: Sal's desk still beats.
        Assert.Equal(HttpStatusCode.NoContent, (await sal.ApiAsync(HttpMethod.Post, "/api/desk/heartbeat", new { sessionId = Guid.NewGuid() })).StatusCode);
    }

    private async Task<CookieSession> SignedInAsync(string email, string name, string agentId, string queue)
    {
        const string password = "scoped-desk-password";
        await fx.App.Admin().PostJsonAsync("/api/users", new { email, name, role = "agent", agentId, queues = new[] { queue }, password }, HttpStatusCode.Created);
        var session = new CookieSession(fx.App);
        Assert.Equal(HttpStatusCode.OK, (await session.SignInJsonAsync(email, password)).StatusCode);
        return session;
    }
}
