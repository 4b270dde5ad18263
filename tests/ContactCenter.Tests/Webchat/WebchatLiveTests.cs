using System.Net;
using System.Net.Http.Json;
using ContactCenter.Core.Channels;
using ContactCenter.Tests.Routing;
using Npgsql;

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
        long answer0;
        Guid conversationId;
        await using (var stream = await visitor.StreamAsync())
        {
            var first = await visitor.SayAsync("first");
            conversationId = Guid.Parse(first["conversationId"]!.GetValue<string>());
            await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversationId}/messages", new { text = "answer 0" }, HttpStatusCode.Accepted);
            await stream.NextAsync(e => e.Text() == "answer 0", "the first answer");
            // The cursor is the SSE id of the last event of a read (a snapshot, not an event id): when the answer came in
            // the middle of a read (the bot's reply behind it), read on to the event that carries it.
            var answered = stream.Seen.FindLastIndex(s => s.Data.Text() == "answer 0");
            while (!stream.Seen.Skip(answered).Any(s => s.Event == "message" && s.Id is not null))
                await stream.NextAsync(_ => true, "the end of the read that brought the answer");
            lastId = stream.Seen.Last(s => s.Event == "message" && s.Id is not null).Id!;
            answer0 = stream.Seen.Single(s => s.Event == "message" && s.Data.Text() == "answer 0").Data["id"]!.GetValue<long>();
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
        var ids = again.Seen.Where(s => s.Event == "message").Select(s => s.Data["id"]!.GetValue<long>()).ToList();
        Assert.Equal(ids.Distinct().Order(), ids);
        Assert.True(ids[0] > answer0);
    }

    [Fact]
    public async Task An_event_that_commits_after_a_later_one_was_sent_still_reaches_the_stream()
    {
        using var visitor = await VisitorClient.StartAsync(fx.App, widget: "other", origin: WebchatFixture.OtherOrigin);
        await using var stream = await visitor.StreamAsync();
        var first = await visitor.SayAsync("hello");
        var conversationId = Guid.Parse(first["conversationId"]!.GetValue<string>());
        await stream.NextAsync(e => e.Text() == "hello", "the visitor's own message");

        // A slow writer takes the next event id and holds its transaction open…
        await using var slow = new NpgsqlConnection(fx.ConnectionString);
        await slow.OpenAsync();
        await using var transaction = await slow.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand("""
            insert into timeline_events (customer_id, conversation_id, channel, type, direction, occurred_at, recorded_at, text, data)
            select customer_id, id, 'webchat', 'message.sent', 'outbound', now(), now(), 'slow answer', '{"author":"Slow"}'
            from conversations where id = $1 returning id
            """, slow, transaction) { Parameters = { new() { Value = conversationId } } })
        {
            var slowId = (long)(await insert.ExecuteScalarAsync())!;

            // …while a later answer commits and reaches the visitor first.
            await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversationId}/messages", new { text = "quick answer" }, HttpStatusCode.Accepted);
            var quick = await stream.NextAsync(e => e.Text() == "quick answer", "the answer that committed first");
            Assert.True(quick["id"]!.GetValue<long>() > slowId);
        }

        // A stream that resumed "after the last id it sent" would never send the slow one now.
        await transaction.CommitAsync();
        await stream.NextAsync(e => e.Text() == "slow answer", "the answer whose id is lower but committed later");
        await using var reconnected = await visitor.StreamAsync(lastEventId: stream.Seen.Last(s => s.Id is not null).Id);
        await visitor.SayAsync("still there?");
        await reconnected.NextAsync(e => e.Text() == "still there?", "the next message after a reconnect");
        Assert.DoesNotContain(reconnected.Seen, s => s.Event == "message" && s.Data.Text() is "slow answer" or "quick answer" or "hello");
    }

    [Fact]
    public async Task A_last_event_id_the_stream_never_sent_is_a_400_problem()
    {
        using var visitor = await VisitorClient.StartAsync(fx.App, widget: "other", origin: WebchatFixture.OtherOrigin);
        foreach (var bad in new[] { "abc", "5:3:", "3:9:2", "3:9:7,4", "-1", "1:2:3:4" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/webchat/stream");
            request.Headers.Add("Last-Event-ID", bad);
            using var response = await visitor.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
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
