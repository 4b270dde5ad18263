using System.Globalization;
using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Customers;
using ContactCenter.Core.Flows;
using ContactCenter.Core.Routing;
using ContactCenter.Core.Timeline;
using ContactCenter.Core.Voice;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Twilio.TwiML;
using Twilio.TwiML.Voice;

namespace ContactCenter.Channels.Twilio.Voice;

/// <summary>
/// Twilio's voice webhooks, all under <c>/webhooks/twilio/voice</c> in the signed group. Each answers from the
/// database in a few short statements (no provider call is made while Twilio waits), so the caller hears no gap.
/// </summary>
internal static class VoiceWebhooks
{
    /// <summary>Caller ids Twilio sends when the number is withheld: the caller gets a customer of their own.</summary>
    private static readonly HashSet<string> Withheld = new(StringComparer.OrdinalIgnoreCase)
    {
        "anonymous", "unknown", "restricted", "private", "blocked", "unavailable", "+266696687", "+86282452253", "+8656696", "+2562533", "+7378742833",
    };

    public static RouteGroupBuilder MapVoiceWebhooks(this RouteGroupBuilder twilio)
    {
        var voice = twilio.MapGroup("/voice");
        voice.MapPost("", IncomingAsync);
        voice.MapPost("/gather", GatherAsync);
        voice.MapPost("/wait", WaitAsync);
        voice.MapPost("/wait/key", WaitKeyAsync);
        voice.MapPost("/recorded", RecordedAsync);
        voice.MapPost("/recording", RecordingAsync);
        voice.MapPost("/transferred", TransferredAsync);
        voice.MapPost("/connect", ConnectAsync);
        voice.MapPost("/agent-leg", AgentLegAsync);
        voice.MapPost("/dialed", DialedAsync);
        voice.MapPost("/callback", CallbackAnsweredAsync);
        voice.MapPost("/status", StatusAsync);
        voice.MapAgentCallWebhooks();
        return twilio;
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> IncomingAsync(
        HttpContext http, VoiceCallFlow flow, AddressNormalizer addresses, TimeProvider clock, CancellationToken ct)
    {
        var form = TwilioWebhook.Parameters(http);
        if (CallSid(form) is not { } callSid) return BadRequest("'CallSid' is required and must look like a Twilio call sid.");
        var from = First(form, "From") ?? First(form, "Caller");
        string? caller = null;
        if (from is not null && !Withheld.Contains(from.Trim()) && !from.StartsWith("client:", StringComparison.OrdinalIgnoreCase)
            && addresses.TryNormalize(Channel.Voice, from, out var normalized))
            caller = normalized;
        var to = First(form, "To") ?? First(form, "Called");
        var company = to is not null && addresses.TryNormalize(Channel.Voice, to, out var ours) ? ours : null;
        var data = new JsonObject
        {
            ["callSid"] = callSid, ["direction"] = First(form, "Direction") ?? "inbound", ["to"] = company, ["withheld"] = caller is null,
            ["callerName"] = First(form, "CallerName"), ["fromCity"] = First(form, "FromCity"), ["fromCountry"] = First(form, "FromCountry"),
            ["forwardedFrom"] = First(form, "ForwardedFrom"),
        };
        var twiml = await flow.IncomingAsync(new IncomingCall(callSid, caller, company, clock.GetUtcNow(), data), ct);
        return twiml.ToResult();
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> GatherAsync(
        HttpContext http, VoiceCallFlow flow, CallLedger ledger, CancellationToken ct)
    {
        var form = TwilioWebhook.Parameters(http);
        var found = await CallAsync(http, ledger, ct);
        if (found.Problem is { } problem) return problem;
        if (found.Call is null) return VoiceTwiml.Hangup(new VoiceResponse()).ToResult();
        if (!TryVersion(http, out var version)) return BadRequest("Query 'v' must be a session version.");
        FlowInput input = First(form, "Digits") is { Length: > 0 } digits ? new FlowInput.Digits(digits)
            : First(form, "SpeechResult") is { } speech && !string.IsNullOrWhiteSpace(speech)
                ? new FlowInput.Speech(speech.Trim(), double.TryParse(First(form, "Confidence"), NumberStyles.Float, CultureInfo.InvariantCulture, out var c) ? c : null)
                : new FlowInput.NoInput();
        return (await flow.StepAsync(found.Call!, input, version, ct)).ToResult();
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> WaitAsync(
        HttpContext http, VoiceCallFlow flow, CallLedger ledger, CancellationToken ct)
    {
        var found = await CallAsync(http, ledger, ct);
        if (found.Problem is { } problem) return problem;
        if (found.Call is null) return VoiceTwiml.Hangup(new VoiceResponse()).ToResult();
        return (await flow.WaitAsync(found.Call!, null, ct)).ToResult();
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> WaitKeyAsync(
        HttpContext http, VoiceCallFlow flow, CallLedger ledger, CancellationToken ct)
    {
        var found = await CallAsync(http, ledger, ct);
        if (found.Problem is { } problem) return problem;
        if (found.Call is null) return VoiceTwiml.Hangup(new VoiceResponse()).ToResult();
        return (await flow.WaitKeyAsync(found.Call!, First(TwilioWebhook.Parameters(http), "Digits"), ct)).ToResult();
    }

    /// <summary>The Record action: the voicemail (if any) is stored, then the flow goes on with how it went.</summary>
    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> RecordedAsync(
        HttpContext http, VoiceCallFlow flow, CallLedger ledger, VoicemailBox voicemail, CancellationToken ct)
    {
        var form = TwilioWebhook.Parameters(http);
        var found = await CallAsync(http, ledger, ct);
        if (found.Problem is { } problem) return problem;
        if (found.Call is null) return VoiceTwiml.Hangup(new VoiceResponse()).ToResult();
        if (!TryVersion(http, out var version)) return BadRequest("Query 'v' must be a session version.");
        if (!TryInt(form, "RecordingDuration", out var duration)) return BadRequest("'RecordingDuration' must be a number of seconds.");
        var recorded = await voicemail.StoreAsync(found.Call!, First(form, "RecordingSid"), First(form, "RecordingUrl"), duration, ct);
        if (await flow.FlowEndedAsync(found.Call!.CallSid, ct)) return VoiceTwiml.Hangup(new VoiceResponse()).ToResult();
        return (await flow.StepAsync(found.Call!, new FlowInput.Outcome(recorded ? "recorded" : "empty"), version, ct)).ToResult();
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RecordingAsync(
        HttpContext http, CallLedger ledger, VoicemailBox voicemail, CancellationToken ct)
    {
        var form = TwilioWebhook.Parameters(http);
        var found = await CallAsync(http, ledger, ct);
        if (found.Problem is { } problem) return problem;
        if (found.Call is null) return TypedResults.NoContent();
        if (!TryInt(form, "RecordingDuration", out var duration)) return BadRequest("'RecordingDuration' must be a number of seconds.");
        if (string.Equals(First(form, "RecordingStatus"), "completed", StringComparison.OrdinalIgnoreCase))
            await voicemail.StoreAsync(found.Call!, First(form, "RecordingSid"), First(form, "RecordingUrl"), duration, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> TransferredAsync(
        HttpContext http, VoiceCallFlow flow, CallLedger ledger, CancellationToken ct)
    {
        var found = await CallAsync(http, ledger, ct);
        if (found.Problem is { } problem) return problem;
        if (found.Call is null) return VoiceTwiml.Hangup(new VoiceResponse()).ToResult();
        if (!TryVersion(http, out var version)) return BadRequest("Query 'v' must be a session version.");
        var status = First(TwilioWebhook.Parameters(http), "DialCallStatus") ?? "completed";
        if (await flow.FlowEndedAsync(found.Call!.CallSid, ct)) return VoiceTwiml.Hangup(new VoiceResponse()).ToResult();
        return (await flow.StepAsync(found.Call!, new FlowInput.Outcome(status), version, ct)).ToResult();
    }

    /// <summary>The URL a live call was redirected to when routing chose an agent.</summary>
    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> ConnectAsync(
        HttpContext http, VoiceAgents agents, CallLedger ledger, CancellationToken ct)
    {
        var found = await CallAsync(http, ledger, ct);
        if (found.Problem is { } problem) return problem;
        if (found.Call is null) return VoiceTwiml.Hangup(new VoiceResponse()).ToResult();
        if (Query(http, "agent") is not { } agentId) return BadRequest("Query 'agent' is required.");
        var phrases = VoicePhrases.For(found.Call!.Language);
        return (await agents.ConnectAsync(found.Call!, agentId, phrases.Connecting, phrases.Locale, ct)).ToResult();
    }

    /// <summary>Status of the agent's client leg (Dial's Client noun, event "answered"): the agent picked up.</summary>
    private static async Task<Results<NoContent, ProblemHttpResult>> AgentLegAsync(
        HttpContext http, VoiceAgents agents, CallLedger ledger, CancellationToken ct)
    {
        var form = TwilioWebhook.Parameters(http);
        if (CallSid(form) is not { } legSid) return BadRequest("'CallSid' is required.");
        if (Query(http, "agent") is not { } agentId || Query(http, "call") is not { } callSid) return BadRequest("Query 'agent' and 'call' are required.");
        if (await ledger.GetAsync(callSid, ct) is not { } call) return TypedResults.NoContent();
        if (First(form, "CallStatus") is "in-progress" or "answered") await agents.ConnectedAsync(call, agentId, legSid, ct);
        return TypedResults.NoContent();
    }

    /// <summary>The Dial to the agent is over: talked (the call ends) or not answered (back to the queue).</summary>
    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> DialedAsync(
        HttpContext http, VoiceAgents agents, VoiceCallFlow flow, CallLedger ledger, CancellationToken ct)
    {
        var form = TwilioWebhook.Parameters(http);
        var found = await CallAsync(http, ledger, ct);
        if (found.Problem is { } problem) return problem;
        if (found.Call is null) return VoiceTwiml.Hangup(new VoiceResponse()).ToResult();
        if (Query(http, "agent") is not { } agentId) return BadRequest("Query 'agent' is required.");
        var status = First(form, "DialCallStatus") ?? "failed";
        var legSid = First(form, "DialCallSid");
        if (status is "completed" or "answered")
        {
            if (legSid is not null) await agents.ConnectedAsync(found.Call!, agentId, legSid, ct);
            return VoiceTwiml.Hangup(new VoiceResponse()).ToResult();
        }

        await agents.MissedAsync(found.Call!, agentId, status, legSid, ct);
        return (await flow.WaitAsync(found.Call!, VoicePhrases.For(found.Call!.Language).AgentUnavailable, ct)).ToResult();
    }

    /// <summary>The customer answered a callback the service placed: dial the agent who has the conversation.</summary>
    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> CallbackAnsweredAsync(
        HttpContext http, VoiceAgents agents, CallLedger ledger, IOptionsMonitor<TwilioOptions> twilio, CancellationToken ct)
    {
        var form = TwilioWebhook.Parameters(http);
        if (CallSid(form) is not { } callSid) return BadRequest("'CallSid' is required.");
        if (!Guid.TryParse(Query(http, "conversation"), out var conversationId) || Query(http, "agent") is not { } agentId)
            return BadRequest("Query 'conversation' (an id) and 'agent' are required.");
        var call = await ledger.RegisterCallbackCallAsync(callSid, conversationId, First(form, "To") ?? "", First(form, "From"), ct);
        if (call is null) return VoiceTwiml.Hangup(new VoiceResponse()).ToResult();
        await ledger.AppendAsync(conversationId,
        [
            new CallEvent(TimelineEventTypes.CallStarted, CallLedger.StartedKey(callSid), Direction.Outbound,
                new JsonObject { ["callSid"] = callSid, ["direction"] = CallLedger.StartedDirectionCallback, ["agentId"] = agentId }, ProviderId: callSid),
        ], ct);
        var phrases = VoicePhrases.For(call.Language);
        return (await agents.ConnectAsync(call, agentId, phrases.CallbackGreeting, phrases.Locale, ct)).ToResult();
    }

    /// <summary>
    /// Call status callbacks: applied in SequenceNumber order, each status once; the first final status writes
    /// the one <c>call.ended</c> and decides whether the voice conversation closes (see docs/voice.md).
    /// </summary>
    private static async Task<Results<NoContent, ProblemHttpResult>> StatusAsync(
        HttpContext http, CallLedger ledger, ConversationStore conversations, TimeProvider clock, CancellationToken ct)
    {
        var form = TwilioWebhook.Parameters(http);
        if (CallSid(form) is not { } callSid) return BadRequest("'CallSid' is required and must look like a Twilio call sid.");
        var status = First(form, "CallStatus")?.Trim().ToLowerInvariant();
        if (status is null || !CallStatuses.Known.Contains(status)) return BadRequest("'CallStatus' is missing or not a call status.");
        if (!TryInt(form, "SequenceNumber", out var sequence)) return BadRequest("'SequenceNumber' must be a whole number.");
        if (!TryInt(form, "CallDuration", out var duration)) return BadRequest("'CallDuration' must be a number of seconds.");
        var at = DateTimeOffset.TryParse(First(form, "Timestamp"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : clock.GetUtcNow();

        // A callback's own call may report before the job stored its sid: the query says whose it is.
        if (await ledger.GetAsync(callSid, ct) is null && Guid.TryParse(Query(http, "conversation"), out var conversationId))
            await ledger.RegisterCallbackCallAsync(callSid, conversationId, First(form, "To") ?? "", First(form, "From"), ct);

        var result = await ledger.RecordStatusAsync(callSid, status, sequence, duration, at, ct);
        if (result is { Ended: true, Outcome: { } outcome } && CallOutcomes.Closes(outcome) && await ledger.CanCloseAsync(result.Call, ct))
            await conversations.ResolveAsync(result.Call.ConversationId, "voice", ct);
        return TypedResults.NoContent();
    }

    /// <summary>The call the request is about: a problem when the request names none, no call when it is not ours.</summary>
    private sealed record Found(VoiceCall? Call, ProblemHttpResult? Problem);

    private static async Task<Found> CallAsync(HttpContext http, CallLedger ledger, CancellationToken ct) =>
        CallSid(TwilioWebhook.Parameters(http)) is not { } callSid
            ? new Found(null, BadRequest("'CallSid' is required and must look like a Twilio call sid."))
            : new Found(await ledger.GetAsync(callSid, ct), null);

    internal static string? CallSid(IFormCollection form) =>
        First(form, "CallSid") is { Length: >= 10 and <= 64 } sid && sid.StartsWith("CA", StringComparison.Ordinal) && sid.All(char.IsAsciiLetterOrDigit)
            ? sid
            : null;

    internal static string? First(IFormCollection form, string name) =>
        form.TryGetValue(name, out var values) && values.Count > 0 && !string.IsNullOrEmpty(values[0]) ? values[0] : null;

    private static string? Query(HttpContext http, string name) =>
        http.Request.Query.TryGetValue(name, out var values) && !string.IsNullOrWhiteSpace(values.ToString()) ? values.ToString() : null;

    private static bool TryVersion(HttpContext http, out int? version)
    {
        version = null;
        if (Query(http, "v") is not { } text) return true;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v)) return false;
        version = v;
        return true;
    }

    private static bool TryInt(IFormCollection form, string name, out int? value)
    {
        value = null;
        if (First(form, name) is not { } text) return true;
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) || v < 0) return false;
        value = v;
        return true;
    }

    private static ProblemHttpResult BadRequest(string detail) => TypedResults.Problem(detail, statusCode: 400, title: "Bad request");
}
