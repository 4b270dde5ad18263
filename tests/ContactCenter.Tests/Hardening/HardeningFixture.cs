using System.Net.Http.Headers;
using System.Text;
using ContactCenter.Core.Storage;
using ContactCenter.Tests.Channels;
using ContactCenter.Tests.Twilio;

namespace ContactCenter.Tests.Hardening;

/// <summary>Every provider configured (Twilio, Telegram, Meta), each against its fake API, so every webhook reaches its parser.</summary>
public sealed class HardeningFixture : TwilioFixture
{
    public ProviderFake Telegram { get; } = new((_, _) => (200, """{"ok":true,"result":true}"""));
    public ProviderFake Graph { get; } = new((_, _) => (200, """{"recipient_id":"1","message_id":"m_out"}"""));

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["Telegram:BotToken"] = TelegramFixture.Token,
        ["Telegram:WebhookSecret"] = TelegramFixture.Secret,
        ["Telegram:ApiBaseUrl"] = Telegram.Url,
        ["Meta:AppSecret"] = MetaFixture.AppSecret,
        ["Meta:VerifyToken"] = MetaFixture.VerifyToken,
        ["Meta:PageAccessToken"] = MetaFixture.PageToken,
        ["Meta:GraphBaseUrl"] = Graph.Url,
        // Agents' voice configured too: an unconfigured softphone token is a deliberate 503, not bad input.
        ["Twilio:ApiKeySid"] = ContactCenter.Tests.AgentVoice.AgentVoiceFixture.ApiKeySid,
        ["Twilio:ApiKeySecret"] = ContactCenter.Tests.AgentVoice.AgentVoiceFixture.ApiKeySecret,
        ["Twilio:Voice:TwimlAppSid"] = ContactCenter.Tests.AgentVoice.AgentVoiceFixture.TwimlAppSid,
    };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Telegram.Dispose();
        Graph.Dispose();
    }

    public async Task<long> EventCountAsync()
    {
        await using var connection = await Db.OpenConnectionAsync();
        await using var command = connection.Sql("select count(*) from timeline_events");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Text and customer name of the only inbound event stored.</summary>
    public async Task<(string? Text, string? Name, DateTimeOffset OccurredAt)> OnlyInboundAsync()
    {
        await using var connection = await Db.OpenConnectionAsync();
        await using var command = connection.Sql("""
            select e.text, c.name, e.occurred_at from timeline_events e join customers c on c.id = e.customer_id where e.direction = 'inbound'
            """);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), "one inbound event is stored");
        var result = (reader.IsDBNull(0) ? null : reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1),
            new DateTimeOffset(reader.GetDateTime(2), TimeSpan.Zero));
        Assert.False(await reader.ReadAsync(), "only one inbound event is stored");
        return result;
    }

    /// <summary>Raw bytes to the Telegram webhook with the right secret.</summary>
    public Task<HttpResponseMessage> PostTelegramAsync(string json, string contentType = "application/json")
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(json));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/telegram") { Content = content };
        request.Headers.Add("X-Telegram-Bot-Api-Secret-Token", TelegramFixture.Secret);
        return App.ClientWithKey(null).SendAsync(request);
    }

    /// <summary>Raw bytes to the Meta webhook, correctly signed.</summary>
    public Task<HttpResponseMessage> PostMetaAsync(string json, string contentType = "application/json")
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var content = new ByteArrayContent(bytes);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/meta") { Content = content };
        request.Headers.Add("X-Hub-Signature-256", MetaFixture.Sign(bytes));
        return App.ClientWithKey(null).SendAsync(request);
    }

    /// <summary>Raw bytes to an API route with a key.</summary>
    public Task<HttpResponseMessage> SendApiAsync(HttpMethod method, string path, string body, string contentType = "application/json",
        string key = ContactCenterApp.AdminKey)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return App.CreateClient().SendAsync(request);
    }
}
