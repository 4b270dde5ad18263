using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

namespace ContactCenter.Tests.Integrations;

/// <summary>A delivery as the receiver saw it, with its signature checked by the receiver's own code.</summary>
public sealed record ReceivedWebhook(string WebhookId, long Timestamp, string Signature, string Body, int AnsweredWith)
{
    public JsonNode Json => JsonNode.Parse(Body)!;
}

/// <summary>
/// An event receiver (WireMock.Net): records every POST, answers with the next scripted status (200 otherwise),
/// and verifies signatures the way a receiver following the Standard Webhooks spec would, independent of our signer.
/// </summary>
public sealed class WebhookReceiver : IDisposable
{
    public WebhookReceiver()
    {
        Server = WireMockServer.Start();
        Server.Given(Request.Create().WithPath("/hook").UsingPost()).RespondWith(Response.Create().WithCallback(Handle));
    }

    public WireMockServer Server { get; }
    public string Url => Server.Url + "/hook";
    public ConcurrentQueue<ReceivedWebhook> Received { get; } = new();
    /// <summary>Status codes to answer with, in order; then <see cref="Default"/>.</summary>
    public ConcurrentQueue<int> Script { get; } = new();
    public int Default { get; set; } = 200;
    /// <summary>Optional per-request answer (overrides the script), e.g. fail every n-th request.</summary>
    public Func<ReceivedWebhook, int?>? Decide { get; set; }
    /// <summary>Runs before answering (e.g. to hold the answer back).</summary>
    public Action<ReceivedWebhook>? Before { get; set; }

    public void Reset()
    {
        Received.Clear();
        Script.Clear();
        Default = 200;
        Decide = null;
        Before = null;
    }

    public IEnumerable<ReceivedWebhook> Acknowledged => Received.Where(r => r.AnsweredWith is >= 200 and < 300);

    private ResponseMessage Handle(IRequestMessage request)
    {
        string Header(string name) => request.Headers!.TryGetValue(name, out var v) ? v.ToString() : "";
        var seen = new ReceivedWebhook(Header("webhook-id"), long.Parse(Header("webhook-timestamp")), Header("webhook-signature"), request.Body ?? "", 0);
        Before?.Invoke(seen);
        var status = Decide?.Invoke(seen) ?? (Script.TryDequeue(out var scripted) ? scripted : Default);
        Received.Enqueue(seen with { AnsweredWith = status });
        return new ResponseMessage
        {
            StatusCode = status,
            BodyData = new BodyData { BodyAsString = "receiver's own body, never stored", DetectedBodyType = BodyType.String },
        };
    }

    /// <summary>The spec's check, written out: HMAC-SHA256 over "id.timestamp.body" with the base64-decoded key.</summary>
    public static bool Verifies(string secret, string webhookId, long timestamp, string body, string signatureHeader)
    {
        var key = Convert.FromBase64String(secret.Replace("whsec_", "", StringComparison.Ordinal));
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{webhookId}.{timestamp}.{body}")));
        return signatureHeader.Split(' ').Contains(expected);
    }

    public void Dispose() => Server.Dispose();
}
