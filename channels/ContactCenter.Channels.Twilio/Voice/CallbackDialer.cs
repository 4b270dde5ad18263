using System.Text.Json.Nodes;
using ContactCenter.Core.Timeline;
using ContactCenter.Core.Voice;
using Hangfire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Types;
using HttpMethod = Twilio.Http.HttpMethod;

namespace ContactCenter.Channels.Twilio.Voice;

/// <summary>
/// The Hangfire job that places a callback once an agent has the conversation: <c>POST …/Calls.json</c> to the
/// customer, whose answer (the <c>Url</c>) dials the agent. Throttling (429) and Twilio's own errors (5xx) are
/// retried with exponential backoff (or Twilio's Retry-After); the final failure goes on the timeline as
/// <c>call.callback_failed</c>.
/// </summary>
public sealed partial class CallbackDialer(
    CallbackRequests callbacks, CallLedger ledger, TwilioRestClient rest, VoiceUrls urls,
    IOptionsMonitor<TwilioOptions> twilio, IOptionsMonitor<VoiceOptions> options, IBackgroundJobClient jobs, TimeProvider clock,
    ILogger<CallbackDialer> log)
{
    private readonly CallbackRequests _callbacks = callbacks;
    private readonly CallLedger _ledger = ledger;
    private readonly TwilioRestClient _rest = rest;
    private readonly IOptionsMonitor<TwilioOptions> _twilio = twilio;
    private readonly IOptionsMonitor<VoiceOptions> _options = options;
    private readonly IBackgroundJobClient _jobs = jobs;
    private readonly ILogger<CallbackDialer> _log = log;
    private readonly VoiceUrls _urls = urls;

    /// <summary>Lease on a request while one attempt talks to Twilio (longer than the REST timeout).</summary>
    private TimeSpan Lease => _twilio.CurrentValue.RequestTimeout + TimeSpan.FromSeconds(30);

    [AutomaticRetry(Attempts = 0)] // retries are this job's own, with the request's attempt count
    public async Task PlaceAsync(Guid conversationId, long assignedEvent, CancellationToken ct)
    {
        if (await _callbacks.ClaimAsync(conversationId, assignedEvent, Lease, ct) is not { } claim) return;
        var request = claim.Request;
        var from = request.CompanyNumber ?? _twilio.CurrentValue.PhoneNumber;
        var url = _urls.Absolute("/callback", ("conversation", conversationId.ToString()), ("agent", request.AgentId));
        var status = _urls.Absolute("/status", ("conversation", conversationId.ToString()));
        if (from is null || url is null || status is null)
        {
            await FailAsync(claim, "config", "Twilio:PhoneNumber and Twilio:PublicBaseUrl are needed to place a callback.", ct);
            return;
        }

        // Twilio's create has no idempotency key: a retry first looks for the call an earlier attempt may have placed
        // unanswered (timed out, worker died), and calls the customer only when there is none.
        TwilioApiResult<CallResource>? result = null;
        if (claim.Attempt > 1)
        {
            var since = clock.GetUtcNow() - (claim.Attempt - 1) * (_options.CurrentValue.CallbackRetryMaxDelay + Lease);
            switch (await TwilioSentLookup.FindCallAsync(_rest, request.Number, from, since, ct))
            {
                case EarlierAttempt.Found found:
                    LogEarlierFound(conversationId, claim.Attempt);
                    await PlacedAsync(claim, found.Sid, from, ct);
                    return;
                case EarlierAttempt.Unknown unknown:
                    result = new TwilioApiResult<CallResource>(null, unknown.Error);
                    break;
            }
        }

        result ??= await _rest.CreateCallAsync(new CreateCallOptions(new PhoneNumber(request.Number), new PhoneNumber(from))
        {
            Url = new Uri(url), Method = HttpMethod.Post,
            StatusCallback = new Uri(status), StatusCallbackMethod = HttpMethod.Post,
            StatusCallbackEvent = ["initiated", "ringing", "answered", "completed"],
        }, ct);

        if (result.Succeeded && result.Resource?.Sid is { Length: > 0 } callSid)
        {
            await PlacedAsync(claim, callSid, from, ct);
            return;
        }

        var error = result.Error ?? new TwilioApiError(TwilioFailure.Http, 0, null, "Twilio answered without a call sid.");
        var settings = _options.CurrentValue;
        if (error.IsTemporary && claim.Attempt < settings.CallbackMaxAttempts)
        {
            var delay = error.RetryAfter ?? Backoff(claim.Attempt, settings);
            await _callbacks.RetryLaterAsync(conversationId, $"{error.DisplayCode}: {error.Message}", ct);
            _jobs.Schedule<CallbackDialer>(d => d.PlaceAsync(conversationId, assignedEvent, CancellationToken.None), delay);
            LogRetrying(conversationId, claim.Attempt, error.DisplayCode, delay);
            return;
        }

        await FailAsync(claim, error.DisplayCode, error.Message, ct);
    }

    private async Task PlacedAsync(CallbackClaim claim, string callSid, string from, CancellationToken ct)
    {
        var request = claim.Request;
        await _callbacks.PlacedAsync(request.ConversationId, callSid, ct);
        await _ledger.RegisterCallbackCallAsync(callSid, request.ConversationId, request.Number, from, ct);
        await _ledger.AppendAsync(request.ConversationId,
        [
            new CallEvent(CallEventTypes.CallbackPlaced, $"twilio:{callSid}:callback-placed", Direction.Outbound,
                new JsonObject { ["callSid"] = callSid, ["agentId"] = request.AgentId, ["attempt"] = claim.Attempt }, ProviderId: callSid),
        ], ct);
        LogPlaced(request.ConversationId, claim.Attempt);
    }

    private async Task FailAsync(CallbackClaim claim, string code, string message, CancellationToken ct)
    {
        var conversationId = claim.Request.ConversationId;
        await _callbacks.FailedAsync(conversationId, $"{code}: {message}", ct);
        await _ledger.AppendAsync(conversationId,
        [
            new CallEvent(CallEventTypes.CallbackFailed, $"twilio:callback:{conversationId}:{claim.Request.AssignedEvent}:failed", Direction.Outbound,
                new JsonObject
                {
                    ["agentId"] = claim.Request.AgentId, ["attempts"] = claim.Attempt, ["errorCode"] = code, ["error"] = message,
                }, $"The callback could not be placed: {message}"),
        ], ct);
        LogFailed(conversationId, claim.Attempt, code);
    }

    private static TimeSpan Backoff(int attempt, VoiceOptions settings)
    {
        var exponential = settings.CallbackRetryBaseDelay * Math.Pow(2, attempt - 1);
        var jitter = 1 + Random.Shared.NextDouble() * 0.2;
        var delay = exponential * jitter;
        return delay > settings.CallbackRetryMaxDelay ? settings.CallbackRetryMaxDelay : delay;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Callback for conversation {ConversationId}: attempt {Attempt} found the call an earlier attempt placed; not calling again")]
    private partial void LogEarlierFound(Guid conversationId, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Callback for conversation {ConversationId} placed (attempt {Attempt})")]
    private partial void LogPlaced(Guid conversationId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Callback for conversation {ConversationId} failed (attempt {Attempt}, {Code}); retrying in {Delay}")]
    private partial void LogRetrying(Guid conversationId, int attempt, string code, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Callback for conversation {ConversationId} gave up after {Attempt} attempts ({Code})")]
    private partial void LogFailed(Guid conversationId, int attempt, string code);
}
