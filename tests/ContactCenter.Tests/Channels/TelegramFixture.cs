using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace ContactCenter.Tests.Channels;

/// <summary>The service with the Telegram channel configured against a fake Bot API.</summary>
public sealed class TelegramFixture : AppFixture
{
    public const string Token = "123456:TEST-bot-token-xyz";
    public const string Secret = "test_webhook-Secret1";
    private int _messageIds = 1000;

    public TelegramFixture() => Api = new ProviderFake(Answer);

    public ProviderFake Api { get; }

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Telegram:BotToken"] = Token,
        ["Telegram:WebhookSecret"] = Secret,
        ["Telegram:ApiBaseUrl"] = Api.Url,
        ["Outbox:MaxAttempts"] = "4",
        ["Outbox:RetryBaseDelay"] = "00:00:00.100",
    };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Api.Dispose();
    }

    /// <summary>The Bot API's answers: sends return the message it made, everything else <c>true</c>.</summary>
    private (int, string) Answer(string path, JsonNode? body)
    {
        if (path.EndsWith("/sendMessage") || path.EndsWith("/sendPhoto") || path.EndsWith("/sendDocument"))
        {
            var result = new JsonObject
            {
                ["message_id"] = Interlocked.Increment(ref _messageIds),
                ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                ["chat"] = new JsonObject { ["id"] = body?["chat_id"]?.DeepClone(), ["type"] = "private" },
                ["text"] = body?["text"]?.DeepClone(),
            };
            return (200, new JsonObject { ["ok"] = true, ["result"] = result }.ToJsonString());
        }

        return (200, """{"ok":true,"result":true}""");
    }

    public static string Error(int code, string description, int? retryAfter = null)
    {
        var error = new JsonObject { ["ok"] = false, ["error_code"] = code, ["description"] = description };
        if (retryAfter is { } seconds) error["parameters"] = new JsonObject { ["retry_after"] = seconds };
        return error.ToJsonString();
    }
}

/// <summary>Bot API updates as Telegram posts them.</summary>
public static class TelegramWire
{
    public static JsonObject User(long id, string first = "Dana", string? last = "Scully") => new()
    {
        ["id"] = id, ["is_bot"] = false, ["first_name"] = first, ["last_name"] = last, ["username"] = "user" + id,
    };

    public static JsonObject Message(long userId, int messageId, DateTimeOffset? at = null, string chatType = "private") => new()
    {
        ["message_id"] = messageId,
        ["from"] = User(userId),
        ["chat"] = new JsonObject { ["id"] = chatType == "private" ? userId : -100777, ["type"] = chatType },
        ["date"] = (at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds(),
    };

    public static JsonObject Text(long userId, int messageId, string text, DateTimeOffset? at = null)
    {
        var message = Message(userId, messageId, at);
        message["text"] = text;
        return message;
    }

    public static JsonObject Update(int updateId, string kind, JsonNode payload) => new() { ["update_id"] = updateId, [kind] = payload };

    public static Task<HttpResponseMessage> PostUpdateAsync(this ContactCenterApp app, JsonNode update, string? secret = TelegramFixture.Secret)
    {
        var client = app.ClientWithKey(null);
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/telegram") { Content = JsonContent.Create(update) };
        if (secret is not null) request.Headers.Add("X-Telegram-Bot-Api-Secret-Token", secret);
        return client.SendAsync(request);
    }

    /// <summary>The timeline of the customer behind a channel address, oldest first.</summary>
    public static async Task<(string CustomerId, List<JsonNode> Events)> TimelineAsync(this ContactCenterApp app, string channel, string address)
    {
        var agent = app.Agent();
        var customer = await agent.GetJsonAsync($"/api/customers?channel={channel}&address={Uri.EscapeDataString(address)}");
        var id = customer["id"]!.GetValue<string>();
        var page = await agent.GetJsonAsync($"/api/customers/{id}/timeline?limit=200");
        var events = page["events"]!.AsArray().Select(e => e!).Reverse().ToList();
        return (id, events);
    }
}
