using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ContactCenter.Channels.Twilio;

public enum TwilioFailure
{
    /// <summary>Twilio answered with an error status (code and message from its JSON).</summary>
    Http,
    /// <summary>No answer: connection refused or reset, DNS, TLS.</summary>
    Transport,
    /// <summary>No answer within <see cref="TwilioOptions.RequestTimeout"/>.</summary>
    Timeout,
    /// <summary>The service has no Twilio credentials; nothing was sent.</summary>
    NotConfigured,
}

/// <summary>Why a REST call did not succeed, as Twilio put it (<c>{ "code", "message", "more_info", "status" }</c>).</summary>
public sealed record TwilioApiError(TwilioFailure Failure, int HttpStatus, int? Code, string Message, string? MoreInfo = null, TimeSpan? RetryAfter = null)
{
    /// <summary>Worth retrying later: throttling (HTTP 429, code 20429), Twilio's own errors (5xx), no answer.</summary>
    public bool IsTemporary => Failure is TwilioFailure.Transport or TwilioFailure.Timeout
                               || HttpStatus is 429 or >= 500 || Code == 20429;

    /// <summary>The code to show and store: Twilio's code, else the HTTP status, else the failure kind.</summary>
    public string DisplayCode => Code?.ToString(System.Globalization.CultureInfo.InvariantCulture)
                                 ?? (HttpStatus > 0 ? HttpStatus.ToString(System.Globalization.CultureInfo.InvariantCulture) : Failure.ToString().ToLowerInvariant());
}

/// <param name="Resource">The JSON Twilio answered on success (a Message, a Call …).</param>
public sealed record TwilioApiResult(JsonObject? Resource, TwilioApiError? Error)
{
    public bool Succeeded => Error is null;
}

/// <summary>
/// Twilio's REST API over a typed HttpClient: HTTP Basic with AccountSid:AuthToken, form-encoded posts, errors
/// parsed from Twilio's JSON, a per-call timeout. It retries nothing itself: the outbox decides what to retry.
/// </summary>
public sealed partial class TwilioRestClient(HttpClient http, IOptionsMonitor<TwilioOptions> options, ILogger<TwilioRestClient> log)
{
    public const string ApiVersion = "2010-04-01";
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromMinutes(5);

    /// <summary>POST …/Messages.json: sends an SMS, MMS or WhatsApp message.</summary>
    public Task<TwilioApiResult> CreateMessageAsync(IEnumerable<KeyValuePair<string, string>> form, CancellationToken ct) =>
        PostAsync("Messages.json", form, ct);

    /// <summary>POST {ApiBaseUrl}/2010-04-01/Accounts/{AccountSid}/{resource}, e.g. "Calls.json" or "Calls/{CallSid}.json".</summary>
    public Task<TwilioApiResult> PostAsync(string resource, IEnumerable<KeyValuePair<string, string>> form, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, resource, form, ct);

    /// <summary>GET a resource or list, e.g. "Messages.json?To=…&amp;PageSize=50" (the query already escaped).</summary>
    public Task<TwilioApiResult> GetAsync(string resourceAndQuery, CancellationToken ct) => SendAsync(HttpMethod.Get, resourceAndQuery, null, ct);

    private async Task<TwilioApiResult> SendAsync(HttpMethod method, string resource, IEnumerable<KeyValuePair<string, string>>? form, CancellationToken ct)
    {
        var settings = options.CurrentValue;
        if (!settings.HasCredentials)
            return Failed(new TwilioApiError(TwilioFailure.NotConfigured, 0, null, "Twilio:AccountSid and Twilio:AuthToken are not configured."));

        var url = $"{settings.ApiBaseUrl.TrimEnd('/')}/{ApiVersion}/Accounts/{Uri.EscapeDataString(settings.AccountSid!)}/{resource}";
        using var request = new HttpRequestMessage(method, url) { Content = form is null ? null : new FormUrlEncodedContent(form) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{settings.AccountSid}:{settings.AuthToken}")));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(settings.RequestTimeout);
        try
        {
            using var response = await http.SendAsync(request, timeout.Token);
            var body = await response.Content.ReadAsStringAsync(timeout.Token);
            var json = TryParseObject(body);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                LogAnswered(ResourceName(resource), status);
                return new TwilioApiResult(json ?? new JsonObject(), null);
            }

            var error = new TwilioApiError(
                TwilioFailure.Http,
                status,
                json?["code"] is JsonValue code && code.TryGetValue<int>(out var c) ? c : null,
                json?["message"] is JsonValue message && message.TryGetValue<string>(out var m) && m.Length > 0 ? m : $"HTTP {status} {response.ReasonPhrase}",
                json?["more_info"] is JsonValue more && more.TryGetValue<string>(out var i) ? i : null,
                RetryAfter(response));
            return Failed(error, ResourceName(resource));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return Failed(new TwilioApiError(TwilioFailure.Timeout, 0, null,
                $"Twilio did not answer within {settings.RequestTimeout.TotalSeconds:0.#} s."), ResourceName(resource));
        }
        catch (HttpRequestException e)
        {
            return Failed(new TwilioApiError(TwilioFailure.Transport, 0, null, $"Twilio could not be reached: {e.HttpRequestError}."), ResourceName(resource));
        }
    }

    private TwilioApiResult Failed(TwilioApiError error, string resource = "")
    {
        // Code and status only: Twilio's messages can quote phone numbers, which stay out of logs.
        LogFailed(resource, error.Failure.ToString(), error.HttpStatus, error.Code ?? 0);
        return new TwilioApiResult(null, error);
    }

    /// <summary>The resource without its query, which can carry phone numbers (kept out of logs).</summary>
    private static string ResourceName(string resource) => resource.Split('?', 2)[0];

    private static JsonObject? TryParseObject(string body)
    {
        if (string.IsNullOrWhiteSpace(body)) return null;
        try
        {
            return JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        var delay = header?.Delta ?? (header?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        if (delay is not { } d || d <= TimeSpan.Zero) return null;
        return d > MaxRetryAfter ? MaxRetryAfter : d;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Twilio {Resource} answered {Status}")]
    private partial void LogAnswered(string resource, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Twilio {Resource} failed: {Failure}, HTTP {Status}, code {Code}")]
    private partial void LogFailed(string resource, string failure, int status, int code);
}
