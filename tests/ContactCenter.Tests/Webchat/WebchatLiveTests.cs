using System.Net;
using System.Net.Http.Json;
using ContactCenter.Core.Channels;
using ContactCenter.Tests.Routing;

namespace ContactCenter.Tests.Webchat;

/// <summary>The live connection: dropping and catching up from Last-Event-ID, and two instances on one database.</summary>
public sealed class WebchatLiveTests(WebchatFixture fx) : IClassFixture<WebchatFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetAsync();

    public Task DisposeAsync() => fx.SettledAsync();

    [Fact]
    public async Task A_dropped_connection_catches_up_from_the_last_event_without_loss_or_duplicates()
    {
        using var visitor = await VisitorClient.StartAsync(fx.App, widget: "other", origin: WebchatFixture.OtherOrigin);
        string lastId;
        Guid conversationId;
        await using (var stream = await visitor.StreamAsync())
        {
            var first = await visitor.SayAsync("first");
            conversationId = Guid.Parse(first["conversationId"]!.GetValue<string>());
            await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversationId}/messages", new { text = "answer 0" }, HttpStatusCode.Accepted);
            await stream.NextAsync(e => e.Text() == "answer 0", "the first answer");
            lastId = stream.Seen.Last(s => s.Event == "message").Id!;
        }

        // While the visitor is away: five answers, one more visitor message sent by plain POST.
        for (var i = 1; i <= 5; i++)
            await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversationId}/messages", new { text = $"answer {i}" }, HttpStatusCode.Accepted);
        await visitor.SayAsync("sent while offline");

        await using var again = await visitor.StreamAsync(lastEventId: lastId);
        await again.NextAsync(e => e.Text() == "sent while offline", "the catch-up up to the visitor's own message");
        // And live again afterwards.
        await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversationId}/messages", new { text = "answer 6" }, HttpStatusCode.Accepted);
        await again.NextAsync(e => e.Text() == "answer 6", "a live answer after the catch-up");

        // The bot answers too, in between; the agent's and the visitor's messages come each once, in order.
        var texts = again.Seen.Where(s => s.Event == "message" && s.Data["from"]!.GetValue<string>() is "agent" or "visitor").Select(s => s.Data.Text()).ToList();
        Assert.Equal(["answer 1", "answer 2", "answer 3", "answer 4", "answer 5", "sent while offline", "answer 6"], texts);
        var ids = again.Seen.Where(s => s.Event == "message").Select(s => long.Parse(s.Id!)).ToList();
        Assert.Equal(ids.Distinct().Order(), ids);
        Assert.True(ids[0] > long.Parse(lastId));
    }

    [Fact]
    public async Task A_message_posted_to_one_instance_reaches_a_visitor_connected_to_the_other()
    {
        await using var second = new ContactCenterApp(fx.ConnectionString, fx.AllSettings);
        second.StartOnRealPort();
        using var visitor = await VisitorClient.StartAsync(second, widget: "other", origin: WebchatFixture.OtherOrigin);
        await using var stream = await visitor.StreamAsync();
        var first = await visitor.SayAsync("hello from the second instance");
        var conversationId = first["conversationId"]!.GetValue<string>();

        await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversationId}/messages", new { text = "from instance one" }, HttpStatusCode.Accepted);
        var reply = await stream.NextAsync(e => e.Text() == "from instance one", "the answer posted to the other instance");
        Assert.Equal("agent", reply["from"]!.GetValue<string>());

        // Agent typing on instance one shows on the visitor's stream on instance two.
        Assert.Equal(HttpStatusCode.NoContent, (await fx.App.Agent().PostAsJsonAsync("/api/desk/typing", new { conversationId })).StatusCode);
        await stream.NextAsync(e => e["conversationId"]!.GetValue<string>() == conversationId, "the agent typing", eventName: "typing");
    }
}
