using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContactCenter.Tests.Routing;

namespace ContactCenter.Tests.Webchat;

/// <summary>The visitor API end to end over HTTP: sessions and origins, the bot, an agent's reply live, isolation, limits.</summary>
public sealed class WebchatApiTests(WebchatFixture fx) : IClassFixture<WebchatFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetAsync();

    // The bot may still be answering: a reset in the middle of its turn would wait on it.
    public Task DisposeAsync() => fx.SettledAsync();

    [Fact]
    public async Task A_visitor_chats_with_the_bot_asks_for_a_person_and_sees_the_agents_reply_live()
    {
        await fx.App.AgentOnlineAsync();
        using var visitor = await VisitorClient.StartAsync(fx.App);
        await using var stream = await visitor.StreamAsync();

        var hello = await visitor.SayAsync("hello");
        var greeting = await stream.NextAsync(e => e.Type() == "bot.reply" && e["choices"] is JsonArray { Count: > 0 }, "the bot's menu with buttons");
        Assert.Equal("bot", greeting["from"]!.GetValue<string>());
        var person = greeting["choices"]!.AsArray().Single(c => c!["id"]!.GetValue<string>() == "agent")!;

        await visitor.SayAsync(null, new { id = "agent", title = person["title"]!.GetValue<string>() });
        var conversationId = Guid.Parse(hello["conversationId"]!.GetValue<string>());
        await fx.App.WaitForAsync(conversationId, c => c.Assignee() == ContactCenterApp.AgentId, "the conversation reaches the agent");
        await stream.NextAsync(e => e.Type() == "conversation.assigned", "the agent joining");

        await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversationId}/messages", new { text = "Hi, this is <b>Ann</b>." }, HttpStatusCode.Accepted);
        var reply = await stream.NextAsync(e => e.Type() == "message.sent", "the agent's reply");
        Assert.Equal("Hi, this is <b>Ann</b>.", reply.Text());
        Assert.Equal("agent", reply["from"]!.GetValue<string>());

        // The widget marks it read: the agent's message status says so.
        Assert.Equal(HttpStatusCode.NoContent, (await visitor.Http.PostAsJsonAsync("/webchat/read", new { eventId = reply["id"]!.GetValue<long>() })).StatusCode);
        await TestSupport.EventuallyAsync(async () => (await fx.App.Agent().GetJsonAsync($"/api/conversations/{conversationId}/messages"))
            .AsArray().Any(m => m!["status"]!.GetValue<string>() == "read"), "the agent's message is read");

        // The conversation is on the one timeline, channel webchat, with the visitor's words.
        var events = await fx.App.EventsAsync(conversationId, "message.received");
        Assert.Equal(["hello", person["title"]!.GetValue<string>()], events.Select(e => e["text"]!.GetValue<string>()));
        Assert.All(events, e => Assert.Equal("webchat", e["channel"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Only_the_widgets_origins_may_start_a_session_and_get_CORS_headers()
    {
        using var http = fx.App.ClientWithKey(null);
        // Another website's page (its own widget is "other") may not use this one's.
        var refused = await Post(http, WebchatFixture.OtherOrigin, "site");
        Assert.Equal("Origin not allowed", (await refused.ProblemAsync(HttpStatusCode.Forbidden))["title"]!.GetValue<string>());
        var unknown = await Post(http, "http://evil.example", "site");
        await unknown.ProblemAsync(HttpStatusCode.Forbidden);
        Assert.False(unknown.Headers.Contains("Access-Control-Allow-Origin"));
        await (await Post(http, null, "site")).ProblemAsync(HttpStatusCode.Forbidden);
        await (await Post(http, WebchatFixture.Origin, "nope")).ProblemAsync(HttpStatusCode.NotFound);

        var allowed = await Post(http, WebchatFixture.Origin, "site");
        Assert.Equal(HttpStatusCode.Created, allowed.StatusCode);
        Assert.Equal(WebchatFixture.Origin, allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());

        // The browser's preflight: answered for an allowed origin only.
        foreach (var (origin, allowedOrigin) in new[] { (WebchatFixture.Origin, true), ("http://evil.example", false) })
        {
            using var preflight = new HttpRequestMessage(HttpMethod.Options, "/webchat/messages");
            preflight.Headers.Add("Origin", origin);
            preflight.Headers.Add("Access-Control-Request-Method", "POST");
            preflight.Headers.Add("Access-Control-Request-Headers", "content-type,x-webchat-token");
            var answer = await http.SendAsync(preflight);
            Assert.Equal(allowedOrigin, answer.Headers.Contains("Access-Control-Allow-Origin"));
        }

        // A token of widget "site" used from another site's page is refused too.
        var token = (await allowed.ReadJsonAsync(HttpStatusCode.Created))["token"]!.GetValue<string>();
        using var elsewhere = new HttpRequestMessage(HttpMethod.Get, "/webchat/messages");
        elsewhere.Headers.Add("Origin", WebchatFixture.OtherOrigin);
        elsewhere.Headers.Add("X-Webchat-Token", token);
        await (await http.SendAsync(elsewhere)).ProblemAsync(HttpStatusCode.Forbidden);
    }

    private static Task<HttpResponseMessage> Post(HttpClient http, string? origin, string widget)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/webchat/sessions") { Content = JsonContent.Create(new { widgetId = widget }) };
        if (origin is not null) request.Headers.Add("Origin", origin);
        return http.SendAsync(request);
    }

    [Fact]
    public async Task A_token_reads_only_its_own_conversation()
    {
        using var ann = await VisitorClient.StartAsync(fx.App);
        using var bob = await VisitorClient.StartAsync(fx.App);
        await ann.SayAsync("my secret order NW-12345");
        await bob.SayAsync("hello from bob");
        await fx.SettledAsync();

        var seenByBob = await bob.MessagesAsync();
        Assert.Contains(seenByBob, e => e.Text() == "hello from bob");
        Assert.DoesNotContain(seenByBob, e => e.Text()?.Contains("NW-12345") == true);
        Assert.All(seenByBob, e => Assert.Equal(seenByBob[0]["conversationId"]!.GetValue<string>(), e["conversationId"]!.GetValue<string>()));

        // Agents' notes never reach the visitor.
        var annConversation = (await ann.MessagesAsync())[0]["conversationId"]!.GetValue<string>();
        await fx.App.Agent().PostJsonAsync($"/api/conversations/{annConversation}/notes", new { text = "internal: VIP" }, HttpStatusCode.Created);
        await fx.SettledAsync();
        Assert.DoesNotContain(await ann.MessagesAsync(), e => e.Text()?.Contains("VIP") == true);

        using var stranger = fx.App.ClientWithKey(null);
        stranger.DefaultRequestHeaders.Add("Origin", WebchatFixture.Origin);
        stranger.DefaultRequestHeaders.Add("X-Webchat-Token", "wct_" + new string('A', 43));
        await (await stranger.GetAsync("/webchat/messages")).ProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Messages_over_the_size_limit_and_requests_over_the_rate_limit_get_problem_details()
    {
        using var visitor = await VisitorClient.StartAsync(fx.App);
        var tooLong = await visitor.Http.PostAsJsonAsync("/webchat/messages", new { text = new string('x', 501), clientId = "big" });
        await tooLong.ProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        await (await visitor.Http.PostAsJsonAsync("/webchat/messages", new { clientId = "empty" })).ProblemAsync(HttpStatusCode.BadRequest);

        HttpResponseMessage? limited = null;
        for (var i = 0; i < 80 && limited is null; i++)
        {
            var response = await visitor.Http.PostAsync("/webchat/typing", null);
            if (response.StatusCode == HttpStatusCode.TooManyRequests) limited = response;
            else Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }

        Assert.NotNull(limited);
        var problem = await limited.ProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.Equal("Too many requests", problem["title"]!.GetValue<string>());
        Assert.Equal(WebchatFixture.Origin, limited.Headers.GetValues("Access-Control-Allow-Origin").Single());

        // Another visitor (another token) is not held back by this one.
        using var other = await VisitorClient.StartAsync(fx.App);
        Assert.Equal(HttpStatusCode.NoContent, (await other.Http.PostAsync("/webchat/typing", null)).StatusCode);
    }

    [Fact]
    public async Task A_retried_message_is_stored_once()
    {
        using var visitor = await VisitorClient.StartAsync(fx.App);
        var first = await visitor.SayAsync("same words", clientId: "retry-1");
        var again = await visitor.SayAsync("same words", clientId: "retry-1");
        Assert.False(first["duplicate"]!.GetValue<bool>());
        Assert.True(again["duplicate"]!.GetValue<bool>());
        Assert.Equal(first["eventId"]!.GetValue<long>(), again["eventId"]!.GetValue<long>());
        Assert.Single(await visitor.MessagesAsync(), e => e.Text() == "same words");
    }
}
