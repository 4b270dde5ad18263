using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace ContactCenter.Tests.Channels;

/// <summary>The service with Messenger and Instagram configured against a fake Graph API.</summary>
public sealed class MetaFixture : AppFixture
{
    public const string AppSecret = "test-meta-app-secret";
    public const string VerifyToken = "test-verify-token";
    public const string PageToken = "EAAtest&page=token";
    private int _ids;

    public MetaFixture() => Graph = new ProviderFake(Answer);

    public ProviderFake Graph { get; }

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Meta:AppSecret"] = AppSecret,
        ["Meta:VerifyToken"] = VerifyToken,
        ["Meta:PageAccessToken"] = PageToken,
        ["Meta:GraphBaseUrl"] = Graph.Url,
        ["Outbox:MaxAttempts"] = "4",
        ["Outbox:RetryBaseDelay"] = "00:00:00.100",
    };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Graph.Dispose();
    }

    private (int, string) Answer(string path, JsonNode? body) => (200, new JsonObject
    {
        ["recipient_id"] = body?["recipient"]?["id"]?.DeepClone(),
        ["message_id"] = $"m_out_{Interlocked.Increment(ref _ids)}",
    }.ToJsonString());

    public static string GraphError(int code, string message, int? subcode = null, bool transient = false) => new JsonObject
    {
        ["error"] = new JsonObject
        {
            ["message"] = message, ["type"] = "OAuthException", ["code"] = code, ["error_subcode"] = subcode,
            ["is_transient"] = transient, ["fbtrace_id"] = "AbC123",
        },
    }.ToJsonString();

    public static string Sign(byte[] body, string secret = AppSecret) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
}

/// <summary>Messenger and Instagram notifications as Meta posts them.</summary>
public static class MetaWire
{
    public const string PageId = "1100200300";

    public static JsonObject Text(string sender, string mid, string text, DateTimeOffset? at = null) => Event(sender, at, new JsonObject
    {
        ["message"] = new JsonObject { ["mid"] = mid, ["text"] = text },
    });

    public static JsonObject Event(string sender, DateTimeOffset? at, JsonObject content)
    {
        var e = new JsonObject
        {
            ["sender"] = new JsonObject { ["id"] = sender },
            ["recipient"] = new JsonObject { ["id"] = PageId },
            ["timestamp"] = (at ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds(),
        };
        foreach (var (key, value) in content) e[key] = value?.DeepClone();
        return e;
    }

    public static JsonObject Notification(string @object, params JsonObject[][] entries) => new()
    {
        ["object"] = @object,
        ["entry"] = new JsonArray(entries.Select((events, i) => (JsonNode)new JsonObject
        {
            ["id"] = PageId,
            ["time"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + i,
            ["messaging"] = new JsonArray(events.Select(e => (JsonNode)e).ToArray()),
        }).ToArray()),
    };

    public static Task<HttpResponseMessage> PostNotificationAsync(this ContactCenterApp app, JsonNode notification) =>
        app.PostSignedAsync(Encoding.UTF8.GetBytes(notification.ToJsonString()));

    /// <summary>Posts bytes as they are, with the signature of <paramref name="signedBody"/> (the body itself unless given).</summary>
    public static Task<HttpResponseMessage> PostSignedAsync(this ContactCenterApp app, byte[] body, byte[]? signedBody = null, string? signature = null)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/meta") { Content = content };
        request.Headers.Add("X-Hub-Signature-256", signature ?? MetaFixture.Sign(signedBody ?? body));
        return app.ClientWithKey(null).SendAsync(request);
    }
}
