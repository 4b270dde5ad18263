using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace ContactCenter.Core.Webhooks;

/// <summary>What one attempt came to.</summary>
public sealed record AttemptOutcome(AttemptKind Kind, int? StatusCode, string? Error, TimeSpan Duration, TimeSpan? RetryAfter = null);

public enum AttemptKind
{
    Delivered,
    /// <summary>Timeout, connection error, 429 or 5xx: worth another try.</summary>
    Retry,
    /// <summary>Any other answer (3xx, 4xx) or a refused target: final for this delivery.</summary>
    Failed,
    /// <summary>410: the receiver wants nothing more; the subscription ends.</summary>
    Gone,
}

/// <summary>One signed POST of a delivery (Standard Webhooks headers), never following redirects, never reading the body.</summary>
public sealed class WebhookSender(IOptions<WebhookOptions> options, TimeProvider clock) : IDisposable
{
    private readonly WebhookOptions _options = options.Value;
    private readonly HttpClient _http = new(WebhookTargets.CreateHandler(options.Value.AllowPrivateTargets))
    {
        Timeout = Timeout.InfiniteTimeSpan, // per attempt below, so a timeout is told apart from shutdown
    };

    /// <summary>The JSON body: <c>{ "type", "timestamp", "data" }</c>, the same on every attempt.</summary>
    public static string Body(ClaimedDelivery d) => new JsonObject
    {
        ["type"] = d.EventType,
        ["timestamp"] = d.CreatedAt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
        ["data"] = JsonNode.Parse(d.Payload),
    }.ToJsonString();

    public async Task<AttemptOutcome> SendAsync(ClaimedDelivery d, CancellationToken ct)
    {
        var body = Body(d);
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, d.Url)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("webhook-id", d.WebhookId);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", WebhookSignature.Sign(d.Key, d.WebhookId, timestamp, body));
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("ContactCenter-Webhooks", "1"));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.Timeout);
        var started = Stopwatch.GetTimestamp();
        try
        {
            // Headers only: the receiver's body is neither read nor stored.
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var elapsed = Stopwatch.GetElapsedTime(started);
            var code = (int)response.StatusCode;
            return code switch
            {
                >= 200 and < 300 => new AttemptOutcome(AttemptKind.Delivered, code, null, elapsed),
                410 => new AttemptOutcome(AttemptKind.Gone, code, "The receiver answered 410 Gone.", elapsed),
                429 or >= 500 => new AttemptOutcome(AttemptKind.Retry, code, $"The receiver answered {code}.", elapsed, RetryAfter(response)),
                >= 300 and < 400 => new AttemptOutcome(AttemptKind.Failed, code, $"The receiver answered {code}; redirects are not followed.", elapsed),
                _ => new AttemptOutcome(AttemptKind.Failed, code, $"The receiver answered {code}.", elapsed),
            };
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new AttemptOutcome(AttemptKind.Retry, null, $"No answer within {_options.Timeout.TotalSeconds:0.#} s.", Stopwatch.GetElapsedTime(started));
        }
        catch (HttpRequestException e) when (e.InnerException is WebhookTargetRefusedException refused)
        {
            return new AttemptOutcome(AttemptKind.Failed, null, refused.Message, Stopwatch.GetElapsedTime(started));
        }
        catch (HttpRequestException e)
        {
            return new AttemptOutcome(AttemptKind.Retry, null, $"Connection failed ({e.HttpRequestError}).", Stopwatch.GetElapsedTime(started));
        }
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response) =>
        response.StatusCode == HttpStatusCode.TooManyRequests && response.Headers.RetryAfter?.Delta is { } delta ? delta : null;

    public void Dispose() => _http.Dispose();
}
