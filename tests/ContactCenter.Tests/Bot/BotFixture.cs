using System.Text.Json.Nodes;
using ContactCenter.Core.Bot;
using ContactCenter.Core.Storage;
using ContactCenter.Tests.Channels;
using ContactCenter.Tests.Routing;
using ContactCenter.Tests.Twilio;

namespace ContactCenter.Tests.Bot;

/// <summary>
/// The service with the bot on WhatsApp, SMS and Telegram, routing queueing new conversations by itself (so the
/// bot's claim is what keeps them out of queues), Twilio and Telegram faked, and a fake order-status API.
/// </summary>
public class BotFixture : TwilioFixture
{
    public const string TelegramToken = "123456:TEST-bot-token-xyz";
    public const string TelegramSecret = "test_webhook-Secret1";
    private int _telegramIds = 5000;

    public BotFixture()
    {
        Telegram = new ProviderFake(TelegramAnswer);
        Graph = new ProviderFake((_, body) => (200, new JsonObject
        {
            ["recipient_id"] = body?["recipient"]?["id"]?.DeepClone(),
            ["message_id"] = $"m_out_{Interlocked.Increment(ref _telegramIds)}",
        }.ToJsonString()));
        Orders = new ProviderFake((path, _) => path.EndsWith("/orders/NW-55555", StringComparison.Ordinal)
            ? (200, """{"status":"shipped","estimatedDelivery":"2026-11-30"}""")
            : (404, """{"error":"not found"}"""));
    }

    public ProviderFake Telegram { get; }
    public ProviderFake Orders { get; }
    public ProviderFake Graph { get; }

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["Flows:Bots:whatsapp"] = "messaging-bot",
        ["Flows:Bots:sms"] = "messaging-bot",
        ["Flows:Bots:telegram"] = "messaging-bot",
        ["Flows:Bots:instagram"] = "messaging-bot",
        ["Meta:AppSecret"] = MetaFixture.AppSecret,
        ["Meta:VerifyToken"] = MetaFixture.VerifyToken,
        ["Meta:PageAccessToken"] = MetaFixture.PageToken,
        ["Meta:GraphBaseUrl"] = Graph.Url,
        ["Flows:Endpoints:orders:BaseUrl"] = Orders.Url,
        ["Telegram:BotToken"] = TelegramToken,
        ["Telegram:WebhookSecret"] = TelegramSecret,
        ["Telegram:ApiBaseUrl"] = Telegram.Url,
        ["Routing:AutoQueue"] = "true",
        ["Routing:SweepInterval"] = "00:00:01",
        ["Bot:QueueTimeouts:support"] = "00:00:03",
    };

    public async Task ResetBotAsync()
    {
        await ResetAsync();
        Twilio.Reset();
        Telegram.Reset();
        Orders.Reset();
        Graph.Reset();
        // The reset empties kb_articles too: load the seed folder again, as a start would.
        await App.Service<KnowledgeSeeder>().SeedAsync(CancellationToken.None);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Telegram.Dispose();
        Orders.Dispose();
        Graph.Dispose();
    }

    private (int, string) TelegramAnswer(string path, JsonNode? body)
    {
        if (!path.EndsWith("/sendMessage", StringComparison.Ordinal)) return (200, """{"ok":true,"result":true}""");
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

/// <summary>A customer on WhatsApp talking to the bot through the Twilio webhook, and what came back.</summary>
public static class BotKit
{
    public static Task SaysAsync(this BotFixture fx, string customer, string text, string? sid = null) =>
        fx.ReceiveAsync(TwilioRequests.WhatsApp(text, customer, sid: sid));

    /// <summary>The bot's replies in the conversation, oldest first, once there are at least <paramref name="count"/>.</summary>
    public static async Task<List<JsonNode>> BotRepliesAsync(this BotFixture fx, Guid conversationId, int count)
    {
        List<JsonNode> replies = [];
        try
        {
            await TestSupport.EventuallyAsync(async () => (replies = await fx.App.EventsAsync(conversationId, "bot.reply")).Count >= count,
                $"the bot sent {count} replies");
        }
        catch (Xunit.Sdk.XunitException e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\n{await RoutingKit.DiagnoseAsync(fx.App, conversationId)}");
        }

        return replies;
    }

    public static async Task<string> LastReplyAsync(this BotFixture fx, Guid conversationId, int count) =>
        (await fx.BotRepliesAsync(conversationId, count))[count - 1]["text"]!.GetValue<string>();

    /// <summary>Bodies Twilio was asked to send to the customer's WhatsApp, in order of arrival.</summary>
    public static List<string> WhatsAppSent(this BotFixture fx, string customer) =>
        fx.Twilio.Calls.Where(c => c["To"] == "whatsapp:" + customer).Select(c => c["Body"] ?? "").ToList();

    public static async Task<long> ScalarAsync(this BotFixture fx, string sql, params object[] args)
    {
        await using var connection = await fx.Db.OpenConnectionAsync();
        return Convert.ToInt64(await connection.Sql(sql, args).ExecuteScalarAsync());
    }
}
