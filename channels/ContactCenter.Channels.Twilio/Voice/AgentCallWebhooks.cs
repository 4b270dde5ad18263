using System.Globalization;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Customers;
using ContactCenter.Core.Voice;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Twilio.TwiML;
using Twilio.TwiML.Voice;

namespace ContactCenter.Channels.Twilio.Voice;

/// <summary>
/// Calls agents place from the softphone. The TwiML App's voice URL is <c>/webhooks/twilio/voice/outbound</c> (in
/// the signed group like every Twilio webhook): Twilio posts it with <c>From=client:{agentId}</c> (the identity of
/// the agent's access token) and the <c>To</c> the softphone asked for. The call is dialed from the company's
/// number only when the agent may call that customer (<see cref="AgentCallAccess"/>); it is a call of the
/// customer's conversation, on the timeline like any call.
/// </summary>
internal static partial class AgentCallWebhooks
{
    private const string ClientPrefix = "client:";

    public static RouteGroupBuilder MapAgentCallWebhooks(this RouteGroupBuilder voice)
    {
        voice.MapPost("/outbound", PlaceAsync);
        voice.MapPost("/outbound/dialed", DialedAsync);
        voice.MapPost("/agent-recording", RecordingAsync);
        return voice;
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> PlaceAsync(
        HttpContext http, CallLedger ledger, AgentCallAccess access, AddressNormalizer addresses, VoiceTwiml twiml,
        IOptionsMonitor<TwilioOptions> twilio, ILoggerFactory logs, CancellationToken ct)
    {
        var form = TwilioWebhook.Parameters(http);
        var log = logs.CreateLogger(typeof(AgentCallWebhooks));
        if (VoiceWebhooks.CallSid(form) is not { } callSid) return BadRequest("'CallSid' is required and must look like a Twilio call sid.");
        if (VoiceWebhooks.First(form, "From") is not { } from || !from.StartsWith(ClientPrefix, StringComparison.OrdinalIgnoreCase)
            || from[ClientPrefix.Length..] is not { Length: > 0 } agentId)
            return BadRequest("'From' must be the agent's client identity (client:{agentId}).");
        if (VoiceWebhooks.First(form, "To") is not { } to || !addresses.TryNormalize(Channel.Voice, to, out var number))
            return BadRequest("'To' must be the phone number to call.");

        if (twilio.CurrentValue.PhoneNumber is not { Length: > 0 } callerId)
        {
            LogNoCallerId(log);
            return Refuse("Calls cannot be placed: the company's number is not configured.");
        }

        if (await access.FindAsync(agentId, number, ct) is not { } customer)
        {
            LogRefused(log, agentId, Redact.Address(number));
            return Refuse("This number is not a customer of yours: open their conversation first.");
        }

        if (await ledger.StartOutboundAsync(callSid, customer.ConversationId, number, callerId, agentId, ct) is null)
            return Refuse("The customer's conversation is gone.");
        var response = new VoiceResponse();
        twiml.DialCustomer(response, callSid, agentId, number, callerId);
        LogPlaced(log, callSid, agentId);
        return response.ToResult();
    }

    /// <summary>The Dial to the customer is over: connected (then completed) or not; <c>call.ended</c> once either way.</summary>
    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> DialedAsync(
        HttpContext http, CallLedger ledger, TimeProvider clock, CancellationToken ct)
    {
        var form = TwilioWebhook.Parameters(http);
        if (VoiceWebhooks.CallSid(form) is not { } callSid) return BadRequest("'CallSid' is required and must look like a Twilio call sid.");
        var hangup = new VoiceResponse().Append(new Hangup()).ToResult();
        if (await ledger.GetAsync(callSid, ct) is not { AgentId: { } agentId } call) return hangup;

        var status = VoiceWebhooks.First(form, "DialCallStatus") ?? "failed";
        int? duration = int.TryParse(VoiceWebhooks.First(form, "DialCallDuration"), NumberStyles.None, CultureInfo.InvariantCulture, out var d) ? d : null;
        if (status is "completed" or "answered")
        {
            await ledger.ConnectedAsync(call, agentId, VoiceWebhooks.First(form, "DialCallSid") ?? callSid, ct);
            status = "completed";
        }
        else if (!CallStatuses.IsFinal(status))
        {
            status = "failed";
        }

        await ledger.RecordStatusAsync(callSid, status, null, duration, clock.GetUtcNow(), ct);
        return hangup;
    }

    /// <summary>The recording status callback of an agent's call (Dial record=record-from-answer-dual).</summary>
    private static async Task<Results<NoContent, ProblemHttpResult>> RecordingAsync(
        HttpContext http, CallLedger ledger, CallRecordings recordings, CancellationToken ct)
    {
        var form = TwilioWebhook.Parameters(http);
        var callSid = http.Request.Query["call"].ToString();
        var agentId = http.Request.Query["agent"].ToString();
        if (callSid.Length == 0 || agentId.Length == 0) return BadRequest("Query 'call' and 'agent' are required.");
        if (VoiceWebhooks.First(form, "RecordingSid") is not { } recordingSid || !recordingSid.StartsWith("RE", StringComparison.Ordinal)
            || !recordingSid.All(char.IsAsciiLetterOrDigit))
            return BadRequest("'RecordingSid' is required and must look like a Twilio recording sid.");
        if (!TryInt(form, "RecordingDuration", out var duration) || !TryInt(form, "RecordingChannels", out var channels))
            return BadRequest("'RecordingDuration' and 'RecordingChannels' must be whole numbers.");
        if (!string.Equals(VoiceWebhooks.First(form, "RecordingStatus"), "completed", StringComparison.OrdinalIgnoreCase)) return TypedResults.NoContent();
        if (await ledger.GetAsync(callSid, ct) is { } call) await recordings.RecordedAsync(call, agentId, recordingSid, duration, channels, ct);
        return TypedResults.NoContent();
    }

    private static bool TryInt(IFormCollection form, string name, out int? value)
    {
        value = null;
        if (VoiceWebhooks.First(form, name) is not { } text) return true;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v)) return false;
        value = v;
        return true;
    }

    private static ContentHttpResult Refuse(string why) =>
        new VoiceResponse().Append(new Say(why, language: "en-US")).Append(new Hangup()).ToResult();

    private static ProblemHttpResult BadRequest(string detail) => TypedResults.Problem(detail, statusCode: 400, title: "Bad request");

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent {AgentId} placed call {CallSid}")]
    private static partial void LogPlaced(ILogger log, string callSid, string agentId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {AgentId} may not call {Number}: no conversation of theirs with that customer")]
    private static partial void LogRefused(ILogger log, string agentId, string number);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An agent's call was refused: Twilio:PhoneNumber (the caller id) is not set")]
    private static partial void LogNoCallerId(ILogger log);
}
