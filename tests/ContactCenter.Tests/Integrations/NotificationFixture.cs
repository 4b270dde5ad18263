using System.Net;
using System.Text.Json.Nodes;
using ContactCenter.Tests.Channels;
using ContactCenter.Tests.Twilio;

namespace ContactCenter.Tests.Integrations;

/// <summary>The service with Twilio (SMS, WhatsApp) and Telegram against fakes, an integration key, and WhatsApp
/// conversations queued like any new conversation (a reply to a notification must route).</summary>
public class NotificationFixture : TwilioFixture
{
    public const string IntegrationKey = "test-integration-key-01";
    public const string TelegramToken = "123456:TEST-bot-token-xyz";
    private int _telegramIds = 5000;

    public NotificationFixture() => Telegram = new ProviderFake(TelegramAnswer);

    public ProviderFake Telegram { get; }

    protected virtual IReadOnlyDictionary<string, string?> Extra => new Dictionary<string, string?>();

    protected override IReadOnlyDictionary<string, string?> Settings
    {
        get
        {
            var all = new Dictionary<string, string?>(base.Settings)
            {
                ["Telegram:BotToken"] = TelegramToken,
                ["Telegram:WebhookSecret"] = "test_webhook-Secret1",
                ["Telegram:ApiBaseUrl"] = Telegram.Url,
                ["Auth:ApiKeys:4:Name"] = "CRM",
                ["Auth:ApiKeys:4:Key"] = IntegrationKey,
                ["Auth:ApiKeys:4:Role"] = "integration",
                ["Routing:Channels:whatsapp:AutoQueue"] = "true",
                ["Notifications:PollInterval"] = "00:00:00.200",
                ["Notifications:RatePerSecond:sms"] = "200",
                ["Notifications:RatePerSecond:whatsapp"] = "200",
            };
            foreach (var (k, v) in Extra) all[k] = v;
            return all;
        }
    }

    public HttpClient Integration() => App.ClientWithKey(IntegrationKey);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Telegram.Dispose();
    }

    private (int, string) TelegramAnswer(string path, JsonNode? body)
    {
        if (!path.EndsWith("/sendMessage")) return (200, """{"ok":true,"result":true}""");
        var result = new JsonObject
        {
            ["message_id"] = Interlocked.Increment(ref _telegramIds),
            ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["chat"] = new JsonObject { ["id"] = body?["chat_id"]?.DeepClone(), ["type"] = "private" },
            ["text"] = body?["text"]?.DeepClone(),
        };
        return (200, new JsonObject { ["ok"] = true, ["result"] = result }.ToJsonString());
    }
}

public static class Notify
{
    public const string Template = "HX0123456789abcdef0123456789abcdef";

    public static async Task<Guid> SendAsync(this NotificationFixture fx, object request)
    {
        var accepted = await fx.Integration().PostJsonAsync("/api/notifications", request, HttpStatusCode.Accepted);
        return Guid.Parse(accepted["id"]!.GetValue<string>());
    }

    public static Task<JsonNode> GetAsync(this NotificationFixture fx, Guid id) => fx.Integration().GetJsonAsync($"/api/notifications/{id}");

    public static async Task<JsonNode> WaitAsync(this NotificationFixture fx, Guid id, Func<JsonNode, bool> until, string what, TimeSpan? timeout = null)
    {
        JsonNode? last = null;
        try
        {
            await TestSupport.EventuallyAsync(async () => until(last = await fx.GetAsync(id)), what, timeout);
        }
        catch (Xunit.Sdk.XunitException e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message} last: {last?.ToJsonString()}");
        }

        return last!;
    }

    public static JsonArray Attempts(this JsonNode notification) => notification["attempts"]!.AsArray();

    public static string Status(this JsonNode node) => node["status"]!.GetValue<string>();

    /// <summary>The customer's notification.* timeline entries, oldest first, as "type channel status/reason".</summary>
    public static async Task<List<string>> NotificationStepsAsync(this NotificationFixture fx, Guid customerId)
    {
        var page = await fx.App.Supervisor().GetJsonAsync($"/api/customers/{customerId}/timeline?limit=200");
        return page["events"]!.AsArray().Reverse()
            .Where(e => e!["type"]!.GetValue<string>().StartsWith("notification.", StringComparison.Ordinal))
            .Select(e => string.Join(' ', new[] { e!["type"], e["data"]!["channel"], e["data"]!["status"] ?? e["data"]!["reason"] }
                .Where(p => p is not null).Select(p => p!.GetValue<string>())))
            .ToList();
    }
}
