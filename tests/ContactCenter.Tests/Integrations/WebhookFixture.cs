using System.Net;
using System.Text.Json.Nodes;

namespace ContactCenter.Tests.Integrations;

/// <summary>The service with webhooks allowed to reach the local receiver, and retries fast enough for tests.</summary>
public class WebhookFixture : AppFixture
{
    public WebhookReceiver Receiver { get; } = new();

    protected override IReadOnlyDictionary<string, string?> Settings => WebhookSettings;

    public static readonly Dictionary<string, string?> WebhookSettings = new()
    {
        ["Webhooks:AllowPrivateTargets"] = "true",
        ["Webhooks:RetryBaseDelay"] = "00:00:00.050",
        ["Webhooks:RetryMaxDelay"] = "00:00:00.400",
        ["Webhooks:DisableAfter"] = "00:00:03",
        ["Webhooks:Timeout"] = "00:00:05",
    };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Receiver.Dispose();
    }
}

public static class Webhooks
{
    public static async Task<(Guid Id, string Secret)> SubscribeAsync(this ContactCenterApp app, string url, params string[] events)
    {
        var created = await app.Admin().PostJsonAsync("/api/webhooks/subscriptions", new { url, events }, HttpStatusCode.Created);
        return (Guid.Parse(created["id"]!.GetValue<string>()), created["secret"]!.GetValue<string>());
    }

    public static async Task<JsonArray> DeliveriesAsync(this ContactCenterApp app, Guid subscription) =>
        (await app.Admin().GetJsonAsync($"/api/webhooks/subscriptions/{subscription}/deliveries")).AsArray();
}
