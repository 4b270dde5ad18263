using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

namespace ContactCenter.Tests.Twilio;

/// <summary>A request the fake Twilio API received.</summary>
public sealed record TwilioCall(string Path, string? Authorization, Dictionary<string, StringValues> Form)
{
    public string? this[string name] => Form.TryGetValue(name, out var v) ? v.ToString() : null;
}

/// <summary>
/// Twilio's Messages API, faked with WireMock.Net: it checks HTTP Basic auth like Twilio (401, code 20003),
/// records every call, answers each call with the next scripted response, and with 201 + a new sid otherwise.
/// </summary>
public sealed class TwilioFake : IDisposable
{
    public const string AccountSid = "AC0123456789abcdef0123456789abcdef";
    public const string AuthToken = "test-twilio-auth-token-0123";
    public static readonly string ExpectedAuthorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AccountSid}:{AuthToken}"));
    public const string MessagesPath = $"/2010-04-01/Accounts/{AccountSid}/Messages.json";

    private int _sids;

    public TwilioFake()
    {
        Server = WireMockServer.Start();
        Server.Given(Request.Create().WithPath(MessagesPath).UsingPost())
            .RespondWith(Response.Create().WithCallback(Handle));
        Server.Given(Request.Create().WithPath(MessagesPath).UsingGet())
            .RespondWith(Response.Create().WithCallback(List));
    }

    /// <summary>Messages the fake created (what the customer got), oldest first.</summary>
    public ConcurrentQueue<Dictionary<string, object?>> Messages { get; } = new();

    /// <summary>GET Messages.json lookups the service made (not counted in <see cref="Calls"/>).</summary>
    public ConcurrentQueue<string> Lookups { get; } = new();

    /// <summary>Twilio's Messages list: filtered by To and From, newest first.</summary>
    private ResponseMessage List(IRequestMessage request)
    {
        var query = QueryHelpers.ParseQuery(new Uri(request.Url).Query);
        Lookups.Enqueue(request.Url);
        var to = query.GetValueOrDefault("To").ToString();
        var from = query.GetValueOrDefault("From").ToString();
        var messages = Messages.Reverse()
            .Where(m => (string?)m["to"] == to && (from.Length == 0 || (string?)m["from"] == from)).ToList();
        return Json(200, new { messages, next_page_uri = (string?)null, page = 0, page_size = messages.Count });
    }

    public WireMockServer Server { get; }
    public string Url => Server.Url!;
    public ConcurrentQueue<Func<IRequestMessage, ResponseMessage>> Script { get; } = new();
    public ConcurrentQueue<TwilioCall> Calls { get; } = new();

    public void Reset()
    {
        Script.Clear();
        Calls.Clear();
        Messages.Clear();
        Lookups.Clear();
    }

    private ResponseMessage Handle(IRequestMessage request)
    {
        try
        {
            return Answer(request);
        }
        catch (Exception e)
        {
            // Shows up as the message's error, instead of WireMock's bare 500.
            return Json(599, new { code = 0, message = "The fake failed: " + e, status = 599 });
        }
    }

    private ResponseMessage Answer(IRequestMessage request)
    {
        var authorization = request.Headers?.TryGetValue("Authorization", out var values) == true ? values.ToString() : null;
        Calls.Enqueue(new TwilioCall(request.Path, authorization, QueryHelpers.ParseQuery(request.Body ?? "")));
        if (authorization != ExpectedAuthorization)
            return Json(401, new { code = 20003, message = "Authenticate", more_info = "https://www.twilio.com/docs/errors/20003", status = 401 });
        return Script.TryDequeue(out var step) ? step(request) : Created(request);
    }

    /// <summary>What Twilio answers for an accepted message.</summary>
    public ResponseMessage Created(IRequestMessage request)
    {
        var form = QueryHelpers.ParseQuery(request.Body ?? "");
        var message = new Dictionary<string, object?>
        {
            ["sid"] = $"SM{Interlocked.Increment(ref _sids):x32}",
            ["status"] = "queued",
            ["direction"] = "outbound-api",
            ["to"] = form.GetValueOrDefault("To").ToString(),
            ["from"] = form.GetValueOrDefault("From").ToString(),
            ["body"] = form.GetValueOrDefault("Body").ToString(),
            ["error_code"] = null,
            ["error_message"] = null,
            ["date_created"] = DateTimeOffset.UtcNow.ToString("ddd, dd MMM yyyy HH:mm:ss +0000", System.Globalization.CultureInfo.InvariantCulture),
        };
        Messages.Enqueue(message);
        return Json(201, message);
    }

    /// <summary>A Twilio error answer: <c>{ "code", "message", "more_info", "status" }</c>.</summary>
    public static Func<IRequestMessage, ResponseMessage> Error(int status, int code, string message) =>
        _ => Json(status, new { code, message, more_info = $"https://www.twilio.com/docs/errors/{code}", status });

    /// <summary>Creates the message at once (the customer gets it) but answers only after <paramref name="delay"/>, as Twilio under load.</summary>
    public Func<IRequestMessage, ResponseMessage> Slow(TimeSpan delay) => request =>
    {
        var created = Created(request);
        Thread.Sleep(delay);
        return created;
    };

    public static ResponseMessage Json(int status, object body) => new()
    {
        StatusCode = status,
        Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new("application/json") },
        BodyData = new BodyData { BodyAsString = JsonSerializer.Serialize(body), DetectedBodyType = BodyType.String, Encoding = Encoding.UTF8 },
    };

    public void Dispose() => Server.Stop();
}
