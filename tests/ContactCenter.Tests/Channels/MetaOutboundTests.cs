using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContactCenter.Core.Outbound;
using ContactCenter.Core.Storage;
using static ContactCenter.Tests.Channels.MetaWire;

namespace ContactCenter.Tests.Channels;

public class MetaOutboundTests(MetaFixture fx) : IClassFixture<MetaFixture>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await fx.ResetAsync();
        fx.Graph.Reset();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>The customer wrote <paramref name="ago"/> ago: the conversation an agent answers.</summary>
    private async Task<string> ConversationAsync(string @object, string channel, string sender, TimeSpan ago)
    {
        var response = await fx.App.PostNotificationAsync(Notification(@object, [Text(sender, "m_in_" + sender, "Hello?", DateTimeOffset.UtcNow - ago)]));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await fx.App.OpenConversationIdAsync(channel, sender);
    }

    private Task<HttpResponseMessage> ReplyAsync(string conversation, string text) =>
        fx.App.Agent().PostAsJsonAsync($"/api/conversations/{conversation}/messages", new { text });

    private static async Task<string> AcceptedIdAsync(HttpResponseMessage response) =>
        (await response.ReadJsonAsync(HttpStatusCode.Accepted))["id"]!.GetValue<string>();

    [Theory]
    [InlineData("page", "messenger", "3001")]
    [InlineData("instagram", "instagram", "3002")]
    public async Task AnAgentReplyWithinADayIsAResponse(string @object, string channel, string sender)
    {
        var conversation = await ConversationAsync(@object, channel, sender, TimeSpan.FromHours(2));
        var id = await AcceptedIdAsync(await ReplyAsync(conversation, "We are looking into it."));

        var sent = await fx.App.WaitForStatusAsync(fx.Db, conversation, id, "sent");
        Assert.StartsWith("m_out_", sent["providerMessageId"]!.GetValue<string>());
        var call = Assert.Single(fx.Graph.Calls("/messages"));
        Assert.Equal("/v25.0/me/messages", call.Path);
        Assert.Equal("POST", call.Method);
        Assert.Equal(MetaFixture.PageToken, call.Query("access_token"));
        var expected = new JsonObject
        {
            ["recipient"] = new JsonObject { ["id"] = sender },
            ["messaging_type"] = "RESPONSE",
            ["message"] = new JsonObject { ["text"] = "We are looking into it." },
        };
        Assert.True(JsonNode.DeepEquals(expected, call.Body), call.Body?.ToJsonString());
    }

    [Fact]
    public async Task AfterADayOnlyAnAgentMayAnswerWithTheHumanAgentTag()
    {
        var conversation = await ConversationAsync("page", "messenger", "3003", TimeSpan.FromDays(3));
        var id = await AcceptedIdAsync(await ReplyAsync(conversation, "Sorry for the slow answer."));
        await fx.App.WaitForStatusAsync(fx.Db, conversation, id, "sent");
        var call = Assert.Single(fx.Graph.Calls("/messages"));
        Assert.Equal("MESSAGE_TAG", call.Body!["messaging_type"]!.GetValue<string>());
        Assert.Equal("HUMAN_AGENT", call.Body["tag"]!.GetValue<string>());

        var bot = await fx.App.Service<Outbox>().AcceptAsync(Guid.Parse(conversation),
            new OutboundRequest(new OutboundContent("Anything else?"), null, "bot-1", AuthorKind.Bot), CancellationToken.None);
        Assert.Equal("window-closed", Assert.IsType<AcceptOutcome.Refused>(bot).Refusal.Code);
    }

    [Fact]
    public async Task AfterSevenDaysAReplyIs409AndNothingIsSent()
    {
        var conversation = await ConversationAsync("instagram", "instagram", "3004", TimeSpan.FromDays(7) + TimeSpan.FromHours(1));
        var problem = await (await ReplyAsync(conversation, "Hello again")).ProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal("window-closed", problem["code"]!.GetValue<string>());
        Assert.Contains("7 days", problem["detail"]!.GetValue<string>());

        await Task.Delay(300);
        Assert.Empty(fx.Graph.Calls("/messages"));
        await using var connection = await fx.Db.OpenConnectionAsync();
        Assert.Equal(0L, await connection.Sql("select count(*) from outbound_messages").ExecuteScalarAsync());
    }

    [Fact]
    public async Task ARateLimitIsRetriedAndTheMessageSentOnce()
    {
        var conversation = await ConversationAsync("page", "messenger", "3005", TimeSpan.FromMinutes(5));
        fx.Graph.Enqueue("/messages", 429, MetaFixture.GraphError(613, "Calls to this api have exceeded the rate limit."));
        var id = await AcceptedIdAsync(await ReplyAsync(conversation, "One moment please."));

        var sent = await fx.App.WaitForStatusAsync(fx.Db, conversation, id, "sent");
        Assert.Equal(2, sent["attempts"]!.GetValue<int>());
        Assert.Equal(2, fx.Graph.Calls("/messages").Count);
        var statuses = (await fx.App.Agent().GetJsonAsync($"/api/conversations/{conversation}/events")).AsArray()
            .Where(e => e!["type"]!.GetValue<string>() == "message.status").Select(e => e!["data"]!["status"]!.GetValue<string>());
        Assert.Equal(["sent"], statuses);
    }

    [Fact]
    public async Task APermanentErrorFailsWithTheErrorOnTheTimeline()
    {
        var conversation = await ConversationAsync("page", "messenger", "3006", TimeSpan.FromMinutes(5));
        fx.Graph.Enqueue("/messages", 400, MetaFixture.GraphError(100, "(#100) No matching user found", subcode: 2018001));
        var id = await AcceptedIdAsync(await ReplyAsync(conversation, "Hello?"));

        var failed = await fx.App.WaitForStatusAsync(fx.Db, conversation, id, "failed");
        Assert.Equal("100/2018001", failed["errorCode"]!.GetValue<string>());
        Assert.Equal(1, failed["attempts"]!.GetValue<int>());
        var status = (await fx.App.Agent().GetJsonAsync($"/api/conversations/{conversation}/events")).AsArray()
            .Single(e => e!["type"]!.GetValue<string>() == "message.status")!;
        Assert.Equal("failed", status["data"]!["status"]!.GetValue<string>());
        Assert.Equal("(#100) No matching user found", status["data"]!["errorMessage"]!.GetValue<string>());
        Assert.DoesNotContain(MetaFixture.PageToken, status.ToJsonString());
    }

    [Fact]
    public async Task ReplyChoicesRenderAsQuickRepliesAndDeliveryIsRecorded()
    {
        var conversation = await ConversationAsync("page", "messenger", "3007", TimeSpan.FromMinutes(1));
        var outcome = await fx.App.Service<Outbox>().AcceptAsync(Guid.Parse(conversation), new OutboundRequest(
            new OutboundContent("How can we help?", Choices: [new ReplyChoice("TRACK", "Track my order"), new ReplyChoice("AGENT", "Talk to a person right now please")]),
            null, "bot-1", AuthorKind.Bot), CancellationToken.None);
        var message = Assert.IsType<AcceptOutcome.Accepted>(outcome).Message;
        var sent = await fx.App.WaitForStatusAsync(fx.Db, conversation, message.Id.ToString(), "sent");

        var call = Assert.Single(fx.Graph.Calls("/messages"));
        var replies = call.Body!["message"]!["quick_replies"]!.AsArray();
        Assert.Equal(2, replies.Count);
        Assert.Equal("text", replies[0]!["content_type"]!.GetValue<string>());
        Assert.Equal("Track my order", replies[0]!["title"]!.GetValue<string>());
        Assert.Equal("TRACK", replies[0]!["payload"]!.GetValue<string>());
        // Meta cuts titles at 20 characters; the payload still says which choice it was.
        Assert.True(replies[1]!["title"]!.GetValue<string>().Length <= 20);
        Assert.Equal("AGENT", replies[1]!["payload"]!.GetValue<string>());

        var providerId = sent["providerMessageId"]!.GetValue<string>();
        var delivery = Event("3007", null, new JsonObject { ["delivery"] = new JsonObject { ["mids"] = new JsonArray(providerId), ["watermark"] = 1 } });
        Assert.Equal(HttpStatusCode.OK, (await fx.App.PostNotificationAsync(Notification("page", [delivery]))).StatusCode);
        await fx.App.WaitForStatusAsync(fx.Db, conversation, message.Id.ToString(), "delivered");
    }
}
