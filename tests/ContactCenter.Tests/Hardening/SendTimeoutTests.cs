using System.Net;
using ContactCenter.Tests.Twilio;

namespace ContactCenter.Tests.Hardening;

/// <summary>
/// Twilio's create call has no idempotency key: a send that timed out after Twilio made the message must not be
/// sent again. The retry looks the message up first and resends only when it is known not to exist.
/// </summary>
public class SendTimeoutTests(TwilioFixture fx) : IClassFixture<TwilioFixture>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await fx.ResetAsync();
        fx.Twilio.Reset();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<(Guid Conversation, Guid Message)> ReplyAsync(string text)
    {
        await fx.ReceiveAsync(TwilioRequests.Sms("is my order late?"));
        var conversation = await fx.ConversationAsync("sms");
        var accepted = await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversation}/messages", new { text }, HttpStatusCode.Accepted);
        return (conversation, Guid.Parse(accepted["id"]!.GetValue<string>()));
    }

    private async Task<System.Text.Json.Nodes.JsonNode> WaitForStatusAsync(Guid conversation, Guid message, string status)
    {
        System.Text.Json.Nodes.JsonNode? last = null;
        await TestSupport.EventuallyAsync(async () =>
            (last = await fx.App.Agent().GetJsonAsync($"/api/conversations/{conversation}/messages/{message}"))["status"]!.GetValue<string>() == status,
            $"message {message} is {status} (last: {last?.ToJsonString()})", TimeSpan.FromSeconds(30));
        return last!;
    }

    [Fact]
    public async Task AReplyWhoseCreateTimedOutIsFoundNotSentTwice()
    {
        // Twilio makes the message at once but answers only after the service's request timeout.
        fx.Twilio.Script.Enqueue(fx.Twilio.Slow(TwilioFixture.RequestTimeout + TimeSpan.FromSeconds(1)));
        var (conversation, message) = await ReplyAsync("Your order ships today");

        var sent = await WaitForStatusAsync(conversation, message, "queued");
        var created = Assert.Single(fx.Twilio.Messages);
        Assert.Equal("Your order ships today", created["body"]);
        Assert.Equal(created["sid"], sent["providerMessageId"]!.GetValue<string>());
        Assert.Equal(2, sent["attempts"]!.GetValue<int>());
        Assert.Single(fx.Twilio.Calls);
        var lookup = Assert.Single(fx.Twilio.Lookups);
        Assert.Contains("To=%2B", lookup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARetryAfterAnAnswerThatMadeNothingStillSends()
    {
        fx.Twilio.Script.Enqueue(TwilioFake.Error(503, 20503, "Service Unavailable"));
        var (conversation, message) = await ReplyAsync("Sorry for the wait");

        var sent = await WaitForStatusAsync(conversation, message, "queued");
        Assert.Equal(2, sent["attempts"]!.GetValue<int>());
        Assert.Equal(2, fx.Twilio.Calls.Count);
        Assert.Single(fx.Twilio.Messages);
        Assert.Single(fx.Twilio.Lookups);
    }

    [Fact]
    public async Task TheSameTextSentEarlierIsNotMistakenForTheRetriedMessage()
    {
        var (conversation, first) = await ReplyAsync("Thanks!");
        await WaitForStatusAsync(conversation, first, "queued");
        fx.Twilio.Script.Enqueue(TwilioFake.Error(503, 20503, "Service Unavailable"));
        var again = await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversation}/messages", new { text = "Thanks!" }, HttpStatusCode.Accepted);
        var second = Guid.Parse(again["id"]!.GetValue<string>());

        var sent = await WaitForStatusAsync(conversation, second, "queued");
        Assert.Equal(2, fx.Twilio.Messages.Count);
        Assert.NotEqual(
            (await fx.App.Agent().GetJsonAsync($"/api/conversations/{conversation}/messages/{first}"))["providerMessageId"]!.GetValue<string>(),
            sent["providerMessageId"]!.GetValue<string>());
    }
}
