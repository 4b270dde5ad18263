using ContactCenter.Core.Routing;
using ContactCenter.Core.Voice;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ContactCenter.Channels.Twilio.Voice;

/// <summary>
/// A voicemail: the recording reference on the timeline (<c>call.voicemail</c>: RecordingSid, URL, duration), and
/// the conversation into a queue like a message, for an agent to listen and call back. The Record action and the
/// recording status callback both arrive; whichever is first stores it, the other changes nothing.
/// </summary>
internal sealed partial class VoicemailBox(CallLedger ledger, RoutingEngine routing, IOptions<RoutingOptions> routingOptions, ILogger<VoicemailBox> log)
{
    /// <returns>True when there is a recording (now or stored before).</returns>
    public async Task<bool> StoreAsync(VoiceCall call, string? recordingSid, string? url, int? durationSeconds, CancellationToken ct)
    {
        // The Record action may lack the sid; the recording URL ends with it (…/Recordings/RE…).
        var sid = recordingSid ?? url?.TrimEnd('/').Split('/')[^1].Split('.')[0];
        if (string.IsNullOrWhiteSpace(sid) || string.IsNullOrWhiteSpace(url) || durationSeconds == 0) return false;
        await ledger.VoicemailAsync(call, sid, url, durationSeconds, ct);
        // Queued on every delivery, not only the first: a crash between the two must not leave it unrouted.
        var queue = call.VoicemailQueue ?? routingOptions.Value.DefaultQueue;
        var outcome = await routing.EnqueueAsync(call.ConversationId, queue, null, "voicemail", ct);
        if (outcome is not RoutingOutcome.Done) LogNotQueued(call.CallSid, outcome.GetType().Name);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Voicemail of call {CallSid} not queued: {Outcome}")]
    private partial void LogNotQueued(string callSid, string outcome);
}
