using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using ContactCenter.Tests.Routing;

namespace ContactCenter.Tests.Webchat;

/// <summary>
/// The service on a real port with two widgets: "site" (allowed for the test page origins, with a pre-chat form
/// whose billing topic has its own queue) and "other" (another website's); the bot on webchat; routing on.
/// </summary>
public class WebchatFixture : AppFixture
{
    public const string Secret = "test-identity-secret-0123456789";
    public const string Origin = "http://127.0.0.1:5999";
    public const string OtherOrigin = "http://other.example";

    /// <summary>The port the browser tests' host page is served on (an allowed origin of widget "site").</summary>
    public int HostPagePort { get; } = Infrastructure.Browser.FreePort();

    public string HostPageOrigin => $"http://127.0.0.1:{HostPagePort}";

    protected override bool OnRealPort => true;

    protected override IReadOnlyDictionary<string, string?> Settings => AllSettings;

    /// <summary>The settings, for a second instance on the same database.</summary>
    public IReadOnlyDictionary<string, string?> AllSettings => new Dictionary<string, string?>
    {
        ["Webchat:IdentitySecret"] = Secret,
        ["Webchat:Widgets:site:Origins:0"] = Origin,
        ["Webchat:Widgets:site:Origins:1"] = HostPageOrigin,
        ["Webchat:Widgets:site:PreChat:Enabled"] = "false",
        ["Webchat:Widgets:form:Origins:0"] = Origin,
        ["Webchat:Widgets:form:Origins:1"] = HostPageOrigin,
        ["Webchat:Widgets:form:PreChat:Enabled"] = "true",
        ["Webchat:Widgets:form:PreChat:Topics:0:Id"] = "billing",
        ["Webchat:Widgets:form:PreChat:Topics:0:Title"] = "A bill",
        ["Webchat:Widgets:form:PreChat:Topics:0:Queue"] = "billing",
        ["Webchat:Widgets:form:PreChat:Topics:1:Id"] = "other",
        ["Webchat:Widgets:form:PreChat:Topics:1:Title"] = "Something else",
        ["Webchat:Widgets:other:Origins:0"] = OtherOrigin,
        ["Webchat:VisitorRequestsPerMinute"] = "60",
        ["Webchat:IpRequestsPerMinute"] = "100000",
        ["Webchat:MaxMessageLength"] = "500",
        ["Flows:Bots:webchat"] = "messaging-bot",
        ["Routing:AutoQueue"] = "true",
        ["Routing:SweepInterval"] = "00:00:01",
        ["Routing:Queues:billing:Priority"] = "0",
    };

    public static string HashOf(string userId) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(userId)));
}

/// <summary>One visitor through the HTTP visitor API, as the widget would call it.</summary>
public sealed class VisitorClient(HttpClient http, string token, JsonNode session) : IDisposable
{
    public string Token { get; } = token;
    public JsonNode Session { get; } = session;
    private int _sent;

    public static async Task<VisitorClient> StartAsync(ContactCenterApp app, string widget = "site", string origin = WebchatFixture.Origin, object? user = null)
    {
        var http = app.ClientWithKey(null);
        http.DefaultRequestHeaders.Add("Origin", origin);
        var response = await http.PostAsJsonAsync("/webchat/sessions", new { widgetId = widget, user }, TestSupport.Json);
        var body = await response.ReadJsonAsync(HttpStatusCode.Created);
        var token = body["token"]!.GetValue<string>();
        http.DefaultRequestHeaders.Add("X-Webchat-Token", token);
        return new VisitorClient(http, token, body);
    }

    public HttpClient Http => http;

    public async Task<JsonNode> SayAsync(string? text, object? choice = null, string? clientId = null) =>
        await http.PostJsonAsync("/webchat/messages", new { text, choice, clientId = clientId ?? $"c{Interlocked.Increment(ref _sent)}" }, HttpStatusCode.OK);

    public async Task<List<JsonNode>> MessagesAsync(long after = 0) =>
        (await http.GetJsonAsync($"/webchat/messages?after={after}")).AsArray().Select(e => e!).ToList();

    public Task<JsonNode> StateAsync() => http.GetJsonAsync("/webchat/state");

    public Task<SseStream> StreamAsync(string? lastEventId = null) => SseStream.OpenAsync(http, "/webchat/stream", lastEventId);

    public void Dispose() => http.Dispose();
}

/// <summary>A server-sent events connection read in the background: every event in arrival order.</summary>
public sealed class SseStream : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<(string? Id, string Event, JsonNode Data)> _events = Channel.CreateUnbounded<(string?, string, JsonNode)>();
    private Task _reader = Task.CompletedTask;

    public List<(string? Id, string Event, JsonNode Data)> Seen { get; } = [];

    public static async Task<SseStream> OpenAsync(HttpClient http, string url, string? lastEventId)
    {
        var stream = new SseStream();
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (lastEventId is not null) request.Headers.Add("Last-Event-ID", lastEventId);
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stream._stop.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        stream._reader = stream.ReadAsync(response);
        return stream;
    }

    private async Task ReadAsync(HttpResponseMessage response)
    {
        try
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(_stop.Token));
            string? id = null, name = null;
            var data = new StringBuilder();
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.Length == 0)
                {
                    if (data.Length > 0) _events.Writer.TryWrite((id, name ?? "message", JsonNode.Parse(data.ToString())!));
                    id = name = null;
                    data.Clear();
                }
                else if (line.StartsWith("id: ", StringComparison.Ordinal)) id = line[4..];
                else if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line[7..];
                else if (line.StartsWith("data: ", StringComparison.Ordinal)) data.Append(line[6..]);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException)
        {
        }
        finally
        {
            response.Dispose();
            _events.Writer.TryComplete();
        }
    }

    /// <summary>The next chat event (SSE "message") that matches, skipping others; fails after the deadline.</summary>
    public async Task<JsonNode> NextAsync(Func<JsonNode, bool> match, string what, string eventName = "message", TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        try
        {
            while (true)
            {
                var e = await _events.Reader.ReadAsync(deadline.Token);
                Seen.Add(e);
                if (e.Event == eventName && match(e.Data)) return e.Data;
            }
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"Timed out waiting for {what}; saw: {string.Join(" | ", Seen.Select(s => $"{s.Event}#{s.Id} {s.Data.ToJsonString()}"))}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reader;
        _stop.Dispose();
    }
}

public static class WebchatKit
{
    public static string Type(this JsonNode e) => e["type"]!.GetValue<string>();
    public static string? Text(this JsonNode e) => e["text"]?.GetValue<string>();

    /// <summary>An agent, available, who routing can give webchat conversations to.</summary>
    public static async Task AgentOnlineAsync(this ContactCenterApp app, string id = ContactCenterApp.AgentId)
    {
        await app.CreateAgentAsync(id, status: "available");
    }
}
