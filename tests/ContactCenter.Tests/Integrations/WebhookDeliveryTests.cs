using System.Net;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Webhooks;

namespace ContactCenter.Tests.Integrations;

public class WebhookDeliveryTests(WebhookFixture fx) : IClassFixture<WebhookFixture>, IAsyncLifetime
{
    private WebhookReceiver Receiver => fx.Receiver;

    public async Task InitializeAsync()
    {
        Receiver.Reset();
        await fx.ResetAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public void OurSignerReproducesTheStandardWebhooksTestVector()
    {
        // Published with the Standard Webhooks reference libraries.
        const string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        const string id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        const long timestamp = 1614265330;
        const string body = """{"test": 2432232314}""";
        const string expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
        Assert.Equal(expected, WebhookSignature.Sign(WebhookSignature.DecodeSecret(secret), id, timestamp, body));
        // The receiver's independent check agrees with the vector, so it is a fair judge of our deliveries.
        Assert.True(WebhookReceiver.Verifies(secret, id, timestamp, body, "v1,bm9wZQ== " + expected));
        Assert.False(WebhookReceiver.Verifies(secret, id, timestamp + 1, body, expected));
    }

    [Fact]
    public async Task AnEventIsDeliveredSignedWithTheSubscriptionsSecretInTheApiShape()
    {
        var (subscription, secret) = await fx.App.SubscribeAsync(Receiver.Url, "message.received", "conversation.created");
        Assert.StartsWith("whsec_", secret);
        Assert.Equal(32, Convert.FromBase64String(secret["whsec_".Length..]).Length);
        // The secret is shown once: reading the subscription back does not show it.
        var read = await fx.App.Admin().GetJsonAsync($"/api/webhooks/subscriptions/{subscription}");
        Assert.Null(read["secret"]);
        Assert.Equal(Receiver.Url, read["url"]!.GetValue<string>());

        var stored = await fx.App.ReceiveAsync(Inbound.Message(Channel.Telegram, "4711", "tg-1", "Where is my parcel?"));

        await TestSupport.EventuallyAsync(() => Task.FromResult(Receiver.Acknowledged.Count() == 2), "both events are delivered");
        var received = Receiver.Acknowledged.ToList();
        foreach (var r in received)
        {
            Assert.True(WebhookReceiver.Verifies(secret, r.WebhookId, r.Timestamp, r.Body, r.Signature), $"signature of {r.WebhookId}");
            Assert.StartsWith("msg_", r.WebhookId);
            Assert.InRange(r.Timestamp, DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeSeconds());
        }

        // The conversation was created before its first message was appended: in order.
        Assert.Equal(["conversation.created", "message.received"], received.Select(r => r.Json["type"]!.GetValue<string>()));
        var message = received[1].Json["data"]!;
        Assert.Equal(stored.EventId, message["id"]!.GetValue<long>());
        Assert.Equal("Where is my parcel?", message["text"]!.GetValue<string>());
        Assert.Equal("telegram", message["channel"]!.GetValue<string>());
        Assert.Equal(stored.ConversationId.ToString(), message["conversationId"]!.GetValue<string>());
        Assert.Equal(stored.ConversationId.ToString(), received[0].Json["data"]!["id"]!.GetValue<string>());
        Assert.NotNull(received[1].Json["timestamp"]);

        var log = await fx.App.DeliveriesAsync(subscription);
        Assert.Equal(2, log.Count);
        Assert.All(log, d =>
        {
            Assert.Equal("delivered", d!["status"]!.GetValue<string>());
            Assert.Equal(200, d["lastStatusCode"]!.GetValue<int>());
            Assert.Equal(1, d["attempts"]!.GetValue<int>());
            Assert.NotNull(d["lastDurationMs"]);
            Assert.DoesNotContain("never stored", d.ToJsonString());
        });
    }

    [Fact]
    public async Task AfterThreeFailuresTheEventArrivesWithTheSameWebhookId()
    {
        var (subscription, secret) = await fx.App.SubscribeAsync(Receiver.Url, "message.received");
        Receiver.Script.Enqueue(500);
        Receiver.Script.Enqueue(429);
        Receiver.Script.Enqueue(503);

        await fx.App.ReceiveAsync(Inbound.Message(Channel.Telegram, "4712", "tg-2"));

        await TestSupport.EventuallyAsync(() => Task.FromResult(Receiver.Acknowledged.Any()), "the fourth attempt is acknowledged");
        var attempts = Receiver.Received.ToList();
        Assert.Equal([500, 429, 503, 200], attempts.Select(a => a.AnsweredWith));
        Assert.Single(attempts.Select(a => a.WebhookId).Distinct());
        Assert.Single(attempts.Select(a => a.Body).Distinct());
        Assert.All(attempts, a => Assert.True(WebhookReceiver.Verifies(secret, a.WebhookId, a.Timestamp, a.Body, a.Signature)));

        // The receiver's 200 is recorded on the delivery just after it answered.
        System.Text.Json.Nodes.JsonNode delivery = null!;
        await TestSupport.EventuallyAsync(async () =>
        {
            delivery = Assert.Single(await fx.App.DeliveriesAsync(subscription))!;
            return delivery["status"]!.GetValue<string>() == "delivered";
        }, "the delivery is recorded as delivered");
        Assert.Equal(4, delivery["attempts"]!.GetValue<int>());
        Assert.Equal(attempts[0].WebhookId, delivery["webhookId"]!.GetValue<string>());
        // A success clears the failing streak, so the subscription is not on its way to being disabled.
        var read = await fx.App.Admin().GetJsonAsync($"/api/webhooks/subscriptions/{subscription}");
        Assert.Null(read["failingSince"]);
    }

    [Fact]
    public async Task EventsOfOneConversationArriveInOrderWithTwentyConversationsInterleaved()
    {
        await fx.App.SubscribeAsync(Receiver.Url, "message.received");
        // Every fifth answer fails, so retries and backoff are in play while other conversations move on.
        var n = 0;
        Receiver.Decide = _ => Interlocked.Increment(ref n) % 5 == 0 ? 503 : 200;
        const int conversations = 20, rounds = 8;
        for (var round = 0; round < rounds; round++)
            for (var c = 0; c < conversations; c++)
                await fx.App.ReceiveAsync(Inbound.Message(Channel.Telegram, $"90{c:00}", $"order-{c}-{round}", $"{c}:{round}"));

        await TestSupport.EventuallyAsync(() => Task.FromResult(Receiver.Acknowledged.Count() >= conversations * rounds),
            "every event is acknowledged", TimeSpan.FromSeconds(60));
        var acknowledged = Receiver.Acknowledged.Select(r => r.Json["data"]!["text"]!.GetValue<string>().Split(':')).ToList();
        Assert.Equal(conversations * rounds, acknowledged.Count);
        foreach (var group in acknowledged.GroupBy(a => a[0]))
            Assert.Equal(Enumerable.Range(0, rounds), group.Select(a => int.Parse(a[1])));
        Assert.Contains(Receiver.Received, r => r.AnsweredWith == 503);
    }

    [Fact]
    public async Task GoneEndsTheSubscriptionAndNothingMoreIsQueuedForIt()
    {
        var (subscription, _) = await fx.App.SubscribeAsync(Receiver.Url, "message.received");
        Receiver.Default = 410;
        await fx.App.ReceiveAsync(Inbound.Message(Channel.Telegram, "4713", "tg-3"));

        await TestSupport.EventuallyAsync(async () =>
            (await fx.App.Admin().GetJsonAsync($"/api/webhooks/subscriptions/{subscription}"))["disabledAt"] is not null, "the subscription is disabled");
        var read = await fx.App.Admin().GetJsonAsync($"/api/webhooks/subscriptions/{subscription}");
        Assert.Contains("410", read["disabledReason"]!.GetValue<string>());
        var delivery = Assert.Single(await fx.App.DeliveriesAsync(subscription))!;
        Assert.Equal("failed", delivery["status"]!.GetValue<string>());
        Assert.Equal(410, delivery["lastStatusCode"]!.GetValue<int>());

        await fx.App.ReceiveAsync(Inbound.Message(Channel.Telegram, "4713", "tg-4"));
        Assert.Single(await fx.App.DeliveriesAsync(subscription));
        Assert.Single(Receiver.Received);
        // A replay to an ended subscription is refused rather than silently dropped.
        var replay = await fx.App.Admin().PostAsync($"/api/webhooks/deliveries/{delivery["id"]}/replay", null);
        await replay.ProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task ASubscriptionFailingForDisableAfterIsDisabledAndAReplaySendsTheSameId()
    {
        var (subscription, _) = await fx.App.SubscribeAsync(Receiver.Url, "message.received");
        Receiver.Default = 400; // not retried: failed at once
        await fx.App.ReceiveAsync(Inbound.Message(Channel.Telegram, "4714", "tg-5"));
        await TestSupport.EventuallyAsync(async () =>
            (await fx.App.DeliveriesAsync(subscription)).Single()!["status"]!.GetValue<string>() == "failed", "the 400 fails the delivery");
        var delivery = (await fx.App.DeliveriesAsync(subscription)).Single()!;
        Assert.Equal(1, delivery["attempts"]!.GetValue<int>());

        // Replayed once the receiver is fixed: the same webhook-id again, delivered.
        Receiver.Default = 200;
        var replayed = await fx.App.Admin().PostAsync($"/api/webhooks/deliveries/{delivery["id"]}/replay", null);
        Assert.Equal(HttpStatusCode.Accepted, replayed.StatusCode);
        await TestSupport.EventuallyAsync(() => Task.FromResult(Receiver.Acknowledged.Any()), "the replay is delivered");
        Assert.Equal(delivery["webhookId"]!.GetValue<string>(), Receiver.Acknowledged.Single().WebhookId);

        // Now failing for good (5xx, retried): past Webhooks:DisableAfter (3 s here) the subscription is disabled.
        Receiver.Default = 503;
        await fx.App.ReceiveAsync(Inbound.Message(Channel.Telegram, "4714", "tg-6"));
        await TestSupport.EventuallyAsync(async () =>
            (await fx.App.Admin().GetJsonAsync($"/api/webhooks/subscriptions/{subscription}"))["disabledAt"] is not null,
            "the failing subscription is disabled", TimeSpan.FromSeconds(30));
        var read = await fx.App.Admin().GetJsonAsync($"/api/webhooks/subscriptions/{subscription}");
        Assert.Contains("DisableAfter", read["disabledReason"]!.GetValue<string>());
    }
}
