namespace ContactCenter.Tests.Integrations;

/// <summary>The service stops while a delivery is in flight; a new one on the same database delivers it.</summary>
public sealed class WebhookRestartTests : IAsyncLifetime
{
    private readonly WebhookReceiver _receiver = new();
    private string _connectionString = "";

    public async Task InitializeAsync() => _connectionString = await TestPostgres.CreateDatabaseAsync(nameof(WebhookRestartTests));

    public async Task DisposeAsync()
    {
        _receiver.Dispose();
        await TestPostgres.DropDatabaseAsync(_connectionString);
    }

    [Fact]
    public async Task ADeliveryCutShortByShutdownIsDeliveredAfterRestartNeverLost()
    {
        var first = new ContactCenterApp(_connectionString, WebhookFixture.WebhookSettings);
        var (subscription, secret) = await first.SubscribeAsync(_receiver.Url, "message.received");
        // The receiver holds its first answer until the service is gone: the attempt is in flight at shutdown.
        using var held = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        _receiver.Before = r =>
        {
            if (held.IsSet) return;
            held.Set();
            release.Wait(TimeSpan.FromSeconds(30));
        };
        await first.ReceiveAsync(Inbound.Message(Core.Channels.Channel.Telegram, "777", "restart-1", "in flight"));
        await TestSupport.EventuallyAsync(() => Task.FromResult(held.IsSet), "the first attempt reaches the receiver");
        await first.DisposeAsync();
        release.Set();

        await using var second = new ContactCenterApp(_connectionString, WebhookFixture.WebhookSettings);
        _ = second.Server;
        await TestSupport.EventuallyAsync(async () =>
            (await second.DeliveriesAsync(subscription)).Single()!["status"]!.GetValue<string>() == "delivered", "delivered after the restart");

        var seen = _receiver.Received.ToList();
        Assert.InRange(seen.Count, 2, 3); // the cut-short attempt, then the one acknowledged
        Assert.Single(seen.Select(s => s.WebhookId).Distinct());
        Assert.All(seen, s => Assert.True(WebhookReceiver.Verifies(secret, s.WebhookId, s.Timestamp, s.Body, s.Signature)));
        Assert.Equal("in flight", seen[^1].Json["data"]!["text"]!.GetValue<string>());
    }
}
