using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Twilio.Clients;
using Twilio.Exceptions;
using Twilio.Http;
using Twilio.Rest.Api.V2010.Account;
using HttpClient = System.Net.Http.HttpClient;
using SdkRestClient = Twilio.Clients.TwilioRestClient;

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

/// <param name="Resource">The SDK's resource Twilio answered on success (a Message, a Call …).</param>
public sealed record TwilioApiResult<T>(T? Resource, TwilioApiError? Error) where T : class
{
    public bool Succeeded => Error is null;
}

/// <summary>
/// Twilio's REST API through the SDK's resources (<see cref="MessageResource"/>, <see cref="CallResource"/>) over the
/// typed HttpClient, whose <see cref="TwilioApiHandler"/> sends the SDK's requests to <c>Twilio:ApiBaseUrl</c> with
/// the per-call timeout and the caller's cancellation. The SDK's <see cref="ApiException"/> becomes a
/// <see cref="TwilioApiError"/>. It retries nothing itself: the outbox and the jobs decide what to retry.
/// </summary>
public sealed partial class TwilioRestClient(HttpClient http, IOptionsMonitor<TwilioOptions> options, ILogger<TwilioRestClient> log)
{
    /// <summary>POST …/Messages.json: sends an SMS, MMS or WhatsApp message.</summary>
    public Task<TwilioApiResult<MessageResource>> CreateMessageAsync(CreateMessageOptions message, CancellationToken ct) =>
        CallAsync("Messages.json", client => MessageResource.CreateAsync(message, client), ct);

    /// <summary>POST …/Calls.json: places a call (callbacks, the TwiML of its answer at <c>Url</c>).</summary>
    public Task<TwilioApiResult<CallResource>> CreateCallAsync(CreateCallOptions call, CancellationToken ct) =>
        CallAsync("Calls.json", client => CallResource.CreateAsync(call, client), ct);

    /// <summary>POST …/Calls/{CallSid}.json: redirects a live call (its next TwiML from <c>Url</c>) or ends it.</summary>
    public Task<TwilioApiResult<CallResource>> UpdateCallAsync(UpdateCallOptions call, CancellationToken ct) =>
        CallAsync("Calls/{CallSid}.json", client => CallResource.UpdateAsync(call, client), ct);

    /// <summary>
    /// GET a list, e.g. "Messages.json?To=…&amp;PageSize=50" (the query already escaped), as JSON: the look-ups before a
    /// retry (<see cref="TwilioSentLookup"/>). Not through the SDK's <c>ReadAsync</c>: its page parser requires the
    /// list's <c>uri</c>, which Twilio always sends, and fails on anything without it instead of saying so.
    /// </summary>
    public Task<TwilioApiResult<JsonObject>> GetAsync(string resourceAndQuery, CancellationToken ct) =>
        CallAsync(resourceAndQuery.Split('?')[0], async _ =>
        {
            var settings = options.CurrentValue;
            using var request = new HttpRequestMessage(System.Net.Http.HttpMethod.Get,
                $"https://api.twilio.com/2010-04-01/Accounts/{Uri.EscapeDataString(settings.AccountSid!)}/{resourceAndQuery}");
            request.Headers.Authorization = BasicAuthorization(settings);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, ct);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                throw new ApiConnectionException("Connection Error: GET " + resourceAndQuery.Split('?')[0], e); // as the SDK's own calls
            }

            using var answered = response;
            var body = await response.Content.ReadAsStringAsync(ct);
            var json = TryParseObject(body);
            if (response.IsSuccessStatusCode) return json ?? throw new ApiException($"Twilio answered {(int)response.StatusCode} without a JSON object.");
            // As the SDK reports errors: Twilio's code and message, the status.
            throw new ApiException(
                json?["code"] is JsonValue code && code.TryGetValue<int>(out var c) ? c : 0,
                (int)response.StatusCode,
                json?["message"] is JsonValue message && message.TryGetValue<string>(out var m) && m.Length > 0 ? m : $"HTTP {(int)response.StatusCode}",
                json?["more_info"] is JsonValue more && more.TryGetValue<string>(out var i) ? i : null);
        }, ct);

    private static AuthenticationHeaderValue BasicAuthorization(TwilioOptions settings) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{settings.AccountSid}:{settings.AuthToken}")));

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

    /// <summary>
    /// GET …/Recordings/{RecordingSid}.mp3 with the service's credentials, streamed (headers read, body not yet):
    /// the caller streams it on and disposes it. Null when Twilio is not configured.
    /// </summary>
    public async Task<HttpResponseMessage?> FetchRecordingAsync(string recordingSid, CancellationToken ct)
    {
        var settings = options.CurrentValue;
        if (!settings.HasCredentials) return null;
        // The handler sends it to Twilio:ApiBaseUrl like the SDK's own requests.
        using var request = new HttpRequestMessage(System.Net.Http.HttpMethod.Get,
            $"https://api.twilio.com/2010-04-01/Accounts/{Uri.EscapeDataString(settings.AccountSid!)}/Recordings/{Uri.EscapeDataString(recordingSid)}.mp3");
        request.Headers.Authorization = BasicAuthorization(settings);
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        LogAnswered("Recordings/{RecordingSid}.mp3", (int)response.StatusCode);
        return response;
    }

    private async Task<TwilioApiResult<T>> CallAsync<T>(string resource, Func<ITwilioRestClient, Task<T>> call, CancellationToken ct) where T : class
    {
        var settings = options.CurrentValue;
        if (!settings.HasCredentials)
            return Failed<T>(new TwilioApiError(TwilioFailure.NotConfigured, 0, null, "Twilio:AccountSid and Twilio:AuthToken are not configured."));

        var client = new SdkRestClient(settings.AccountSid, settings.AuthToken, httpClient: new SystemNetHttpClient(http));
        // The SDK's methods take no token: the handler finds this call's token and timeout here, and leaves the status
        // and Retry-After Twilio answered with (the SDK's exception keeps neither for a body that is not JSON).
        var exchange = TwilioApiHandler.Begin(ct, settings.RequestTimeout);
        try
        {
            var answer = await call(client);
            LogAnswered(resource, exchange.Status);
            return new TwilioApiResult<T>(answer, null);
        }
        catch (ApiException e) when (e.Status == 0 && exchange.Status is >= 200 and < 300)
        {
            return Failed<T>(new TwilioApiError(TwilioFailure.Http, exchange.Status, null, "Twilio answered with a body that is not a " + typeof(T).Name + "."), resource);
        }
        catch (ApiException e)
        {
            var status = e.Status != 0 ? e.Status : exchange.Status;
            return Failed<T>(new TwilioApiError(
                TwilioFailure.Http,
                status,
                e.Code != 0 ? e.Code : null,
                e.Status != 0 && !string.IsNullOrEmpty(e.Message) ? e.Message : $"HTTP {status}",
                e.MoreInfo,
                exchange.RetryAfter), resource);
        }
        catch (ApiConnectionException) when (ct.IsCancellationRequested)
        {
            throw new OperationCanceledException(ct);
        }
        catch (ApiConnectionException) when (exchange.TimedOut)
        {
            return Failed<T>(new TwilioApiError(TwilioFailure.Timeout, 0, null,
                $"Twilio did not answer within {settings.RequestTimeout.TotalSeconds:0.#} s."), resource);
        }
        catch (ApiConnectionException e)
        {
            var reason = e.InnerException is HttpRequestException h ? h.HttpRequestError.ToString() : e.InnerException?.GetType().Name ?? "no answer";
            return Failed<T>(new TwilioApiError(TwilioFailure.Transport, 0, null, $"Twilio could not be reached: {reason}."), resource);
        }
        finally
        {
            TwilioApiHandler.End();
        }
    }

    private TwilioApiResult<T> Failed<T>(TwilioApiError error, string resource = "") where T : class
    {
        // Code and status only: Twilio's messages can quote phone numbers, which stay out of logs.
        LogFailed(resource, error.Failure.ToString(), error.HttpStatus, error.Code ?? 0);
        return new TwilioApiResult<T>(null, error);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Twilio {Resource} answered {Status}")]
    private partial void LogAnswered(string resource, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Twilio {Resource} failed: {Failure}, HTTP {Status}, code {Code}")]
    private partial void LogFailed(string resource, string failure, int status, int code);
}
