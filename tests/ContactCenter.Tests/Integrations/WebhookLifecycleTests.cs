using System.Net;
using ContactCenter.Core.Channels;
using ContactCenter.Tests.Email;

namespace ContactCenter.Tests.Integrations;

/// <summary>conversation.reopened reaches subscribers (once); a disabled subscription can be enabled again.</summary>
public class WebhookLifecycleTests(WebhookFixture fx) : IClassFixture<WebhookFixture>, IAsyncLifetime
{
    private WebhookReceiver Receiver => fx.Receiver;

    public async Task InitializeAsync()
    {
        Receiver.Reset();
        await fx.ResetAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task AReopenedConversationIsDeliveredOnceAfterItsResolve()
    {
        var (_, secret) = await fx.App.SubscribeAsync(Receiver.Url, "conversation.resolved", "conversation.reopened");
        var stored = await fx.App.ReceiveAsync(Inbound.Message(Channel.Telegram, "6001", "tg-reopen-1", "My parcel is damaged."));
        var conversation = stored.ConversationId!.Value;
        await fx.App.Supervisor().PostJsonAsync($"/api/conversations/{conversation}/resolve", new { }, HttpStatusCode.OK);
        await fx.App.Supervisor().PostJsonAsync($"/api/conversations/{conversation}/reopen", new { }, HttpStatusCode.OK);

        await TestSupport.EventuallyAsync(() => Task.FromResult(Receiver.Acknowledged.Count() >= 2), "resolve and reopen are delivered");
        var received = Receiver.Acknowledged.ToList();
        Assert.Equal(["conversation.resolved", "conversation.reopened"], received.Select(r => r.Json["type"]!.GetValue<string>()));
        var reopened = received[1];
        Assert.True(WebhookReceiver.Verifies(secret, reopened.WebhookId, reopened.Timestamp, reopened.Body, reopened.Signature));
        Assert.Equal(conversation.ToString(), reopened.Json["data"]!["conversationId"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(reopened.Json["data"]!["data"]!["by"]?.GetValue<string>()));
        // Written once, in the reopen's transaction: the timeline event carries it, nothing else repeats it.
        Assert.Equal(1, await fx.Db.CountAsync("select count(*) from webhook_deliveries where event_type = 'conversation.reopened'"));
    }

    [Fact]
    public async Task ADisabledSubscriptionIsEnabledAgainAndItsDeliveriesGoOut()
    {
        var (subscription, _) = await fx.App.SubscribeAsync(Receiver.Url, "message.received");
        Receiver.Default = 410;
        await fx.App.ReceiveAsync(Inbound.Message(Channel.Telegram, "6002", "tg-gone-1", "first"));
        await TestSupport.EventuallyAsync(async () =>
            (await fx.App.Admin().GetJsonAsync($"/api/webhooks/subscriptions/{subscription}"))["disabledAt"] is not null, "410 disables it");
        var failed = (await fx.App.DeliveriesAsync(subscription)).Single()!;
        var replay = await fx.App.Admin().PostAsync($"/api/webhooks/deliveries/{failed["id"]}/replay", null);
        await replay.ProblemAsync(HttpStatusCode.Conflict);

        Receiver.Default = 200;
        var enabled = await fx.App.Admin().PostJsonAsync($"/api/webhooks/subscriptions/{subscription}/enable", new { }, HttpStatusCode.OK);
        Assert.Null(enabled["disabledAt"]);
        Assert.Null(enabled["disabledReason"]);
        Assert.Null(enabled["failingSince"]);

        // New events reach it again, and the delivery that failed can be replayed now.
        await fx.App.ReceiveAsync(Inbound.Message(Channel.Telegram, "6002", "tg-gone-2", "second"));
        await fx.App.Admin().PostJsonAsync($"/api/webhooks/deliveries/{failed["id"]}/replay", new { }, HttpStatusCode.Accepted);
        await TestSupport.EventuallyAsync(() => Task.FromResult(Receiver.Acknowledged.Count() == 2), "both events are delivered");
        Assert.Equal(["first", "second"], Receiver.Acknowledged.Select(r => r.Json["data"]!["text"]!.GetValue<string>()).Order());
        await TestSupport.EventuallyAsync(async () =>
            (await fx.App.DeliveriesAsync(subscription)).All(d => d!["status"]!.GetValue<string>() == "delivered"), "both are recorded as delivered");

        var missing = await fx.App.Admin().PostAsync($"/api/webhooks/subscriptions/{Guid.NewGuid()}/enable", null);
        await missing.ProblemAsync(HttpStatusCode.NotFound);
        var asAgent = await fx.App.Agent().PostAsync($"/api/webhooks/subscriptions/{subscription}/enable", null);
        Assert.Equal(HttpStatusCode.Forbidden, asAgent.StatusCode);
    }
}
