using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Customers;
using ContactCenter.Core.Flows;
using ContactCenter.Core.Routing;
using ContactCenter.Core.Timeline;
using ContactCenter.Core.Voice;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Twilio.TwiML;
using Twilio.TwiML.Voice;

namespace ContactCenter.Channels.Twilio.Voice;

/// <summary>
/// A call's way through the voice flow (<c>Flows:Voice</c>), one webhook at a time: the session (keyed by CallSid)
/// advances, its events go on the timeline as <c>call.ivr</c>, its actions (queue, callback, voicemail, transfer,
/// hang up) are carried out, and the turn comes back as TwiML. A retried or stale webhook advances nothing: it
/// is answered with the session's current turn, whose writes are keyed by the session version and so are not
/// repeated.
/// </summary>
internal sealed partial class VoiceCallFlow(
    CallLedger ledger,
    CallbackRequests callbacks,
    CallQueue queues,
    CallContext context,
    FlowCatalog catalog,
    FlowSessionStore sessions,
    CustomerStore customers,
    ConversationStore conversations,
    RoutingEngine routing,
    IOptions<RoutingOptions> routingOptions,
    AddressNormalizer addresses,
    VoiceTwiml twiml,
    IOptionsMonitor<VoiceOptions> options,
    ILogger<VoiceCallFlow> log)
{
    public async Task<VoiceResponse> IncomingAsync(IncomingCall incoming, CancellationToken ct)
    {
        var (call, _) = await ledger.StartInboundAsync(incoming, ct);
        if (catalog.Voice is not { } flow)
        {
            LogNoFlow();
            return Sorry(null);
        }

        // The customer as stored after call.started: their name, and conversations open on other channels.
        var customer = call.IsAnonymous ? null : await customers.GetAsync(call.CustomerId, ct);
        var start = FlowCustomerVariables.For(customer, Channel.Voice, call.Caller);
        return await TurnAsync(call, await sessions.StartAsync(call.CallSid, flow.Name, start, ct), null, ct);
    }

    /// <summary>The caller's answer (keys, speech, silence) or an action's outcome, for the version it answers.</summary>
    public async Task<VoiceResponse> StepAsync(VoiceCall call, FlowInput input, int? version, CancellationToken ct) =>
        await TurnAsync(call, await sessions.StepAsync(call.CallSid, input, version, ct), input, ct);

    /// <summary>The flow is over when it ended or there is none for this call (a callback call).</summary>
    public async Task<bool> FlowEndedAsync(string callSid, CancellationToken ct) =>
        await sessions.GetAsync(callSid, ct) is not { Ended: false };

    private async Task<VoiceResponse> TurnAsync(VoiceCall call, FlowTurnResult result, FlowInput? input, CancellationToken ct)
    {
        var (session, applied) = result switch
        {
            FlowTurnResult.Advanced a => (a.Session, true),
            FlowTurnResult.Existing e => (e.Session, false),
            FlowTurnResult.Conflict c => (c.Current, false),
            FlowTurnResult.Rejected r => (r.Current, false),
            _ => (null, false),
        };
        if (session is null) return Sorry(call.Language);
        if (result is FlowTurnResult.Rejected && session.Ended) return VoiceTwiml.Hangup(new VoiceResponse());
        return await RenderAsync(call, session, applied ? input : null, ct);
    }

    private async Task<VoiceResponse> RenderAsync(VoiceCall call, FlowSession session, FlowInput? input, CancellationToken ct)
    {
        var step = session.LastStep;
        var version = session.Version;
        var language = step.State.Language;
        var ivr = IvrEvents(call, step, version, input);
        var callbackAction = step.Actions.OfType<CallbackAction>().FirstOrDefault();
        // A turn that goes straight into a queue writes its events in the queueing transaction.
        var queuesNow = callbackAction is null
                        && step.Actions.FirstOrDefault(a => a is EnqueueAction or HandoffAction or VoicemailAction or TransferAction or HangupAction or EndAction)
                            is EnqueueAction or HandoffAction;
        if (!queuesNow)
        {
            await ledger.AppendAsync(call.ConversationId, ivr, ct);
            ivr = [];
        }

        var response = new VoiceResponse();
        // A callback to a withheld number cannot be kept: the flow's "we'll call you back" is not said; the caller holds.
        if (callbackAction is { } callback && !await CallbackAsync(call, callback.Queue, callback.Number, callback.Priority, ct))
        {
            var phrases = VoicePhrases.For(language);
            response.Append(twiml.Say(phrases.CallbackNeedsNumber, phrases.Locale));
            return await EnqueueAsync(call, ivr, response, callback.Queue, callback.Priority, "ivr: callback refused", language, version, ct);
        }

        twiml.Prompts(response, step.Prompts);
        foreach (var action in step.Actions)
        {
            switch (action)
            {
                case EnqueueAction enqueue:
                    return await EnqueueAsync(call, ivr, response, enqueue.Queue, enqueue.Priority, enqueue.Reason ?? $"ivr: {enqueue.Node}", language, version, ct);
                case HandoffAction handoff:
                    return await EnqueueAsync(call, ivr, response, handoff.Queue, handoff.Priority, handoff.Reason ?? $"ivr: {handoff.Node}", language, version, ct);
                case VoicemailAction voicemail:
                    await ledger.MarkVoicemailOfferedAsync(call.CallSid, voicemail.Queue ?? routingOptions.Value.DefaultQueue, language, ct);
                    twiml.Record(response, voicemail, version);
                    return voicemail.AwaitsOutcome ? response : VoiceTwiml.Hangup(response);
                case TransferAction transfer:
                    twiml.Transfer(response, transfer, version);
                    return response;
                case HangupAction or EndAction:
                    return VoiceTwiml.Hangup(response);
            }
        }

        if (step.Expect is { } expect) twiml.Gather(response, expect, version);
        else if (step.Ended) VoiceTwiml.Hangup(response);
        return response;
    }

    /// <summary>Into the routing queue (one transaction, see <see cref="CallQueue.JoinAsync"/>), then the wait loop.</summary>
    private async Task<VoiceResponse> EnqueueAsync(
        VoiceCall call, List<CallEvent> ivr, VoiceResponse response, string queue, int? priority, string reason, string language, int version,
        CancellationToken ct)
    {
        if (!RoutingValidation.IsName(queue))
        {
            // A flow variable that is no queue name (e.g. a lookup result): the default queue rather than dead air.
            LogBadQueue(queue);
            queue = routingOptions.Value.DefaultQueue;
        }

        var joined = await queues.JoinAsync(call, ivr, queue, priority, reason, language, version, ct);
        var phrases = VoicePhrases.For(language);
        switch (joined.Refusal)
        {
            case null:
                twiml.WaitLoop(response, joined.Wait, phrases, OffersCallback(call));
                return response;
            case RoutingOutcome.Refused { Code: "already-assigned" }:
                // The caller's voice conversation is already with an agent (a call back on the same conversation).
                var assignee = (await conversations.GetAsync(call.ConversationId, ct))?.Assignee;
                if (assignee is not null) twiml.DialAgent(response, call, assignee, phrases.Connecting, phrases.Locale);
                else twiml.WaitLoop(response, null, phrases, false);
                return response;
            default:
                LogNotQueued(call.ConversationId, joined.Refusal.ToString());
                return Sorry(language);
        }
    }

    /// <summary>The wait loop's next round, or what follows it when the call is no longer waiting.</summary>
    public async Task<VoiceResponse> WaitAsync(VoiceCall call, string? announcement, CancellationToken ct)
    {
        var phrases = VoicePhrases.For(call.Language);
        var (status, wait) = await queues.StandingAsync(call.ConversationId, ct);
        var response = new VoiceResponse();
        if (announcement is not null) response.Append(twiml.Say(announcement, phrases.Locale));
        switch (status)
        {
            case ConversationStatus.Queued:
                twiml.WaitLoop(response, wait, phrases, OffersCallback(call));
                return response;
            case ConversationStatus.Assigned:
                // The redirect to the agent is on its way: hold on.
                twiml.WaitLoop(response, null, phrases, false);
                return response;
            default:
                return Sorry(call.Language);
        }
    }

    /// <summary>A key pressed while waiting: 1 asks for a callback (the conversation keeps its place), others hold on.</summary>
    public async Task<VoiceResponse> WaitKeyAsync(VoiceCall call, string? digits, CancellationToken ct)
    {
        var phrases = VoicePhrases.For(call.Language);
        if (digits == "1" && OffersCallback(call) && call.Queue is { } queue)
        {
            if (await CallbackAsync(call, queue, call.Caller, null, ct))
            {
                // The caller hangs up now: an agent who gets the conversation places the callback, not a redirect.
                await ledger.LeftQueueAsync(call.CallSid, ct);
                return VoiceTwiml.Hangup(new VoiceResponse().Append(twiml.Say(phrases.CallbackConfirmed, phrases.Locale)));
            }
        }

        return await WaitAsync(call, null, ct);
    }

    /// <returns>False when the number cannot be called back (withheld or not a phone number).</returns>
    private async Task<bool> CallbackAsync(VoiceCall call, string queue, string number, int? priority, CancellationToken ct)
    {
        if (call.IsAnonymous || !addresses.TryNormalize(Channel.Voice, number, out var normalized)) return false;
        await callbacks.RequestAsync(call.ConversationId, call.CallSid, normalized, call.CompanyNumber, queue, ct);
        // The agent who gets the callback sees why the customer called, as for a call that waited on the line.
        await context.AttachAsync(call.ConversationId, queue, "callback requested", ct);
        var outcome = await routing.EnqueueAsync(call.ConversationId, queue, priority, "callback requested", ct);
        if (outcome is not RoutingOutcome.Done) LogNotQueued(call.ConversationId, outcome.ToString());
        await ledger.AppendAsync(call.ConversationId,
        [
            new CallEvent(CallEventTypes.CallbackRequested, $"twilio:{call.CallSid}:callback", Direction.Inbound,
                new JsonObject { ["callSid"] = call.CallSid, ["queue"] = queue, ["number"] = normalized }, ProviderId: call.CallSid),
        ], ct);
        return true;
    }

    private bool OffersCallback(VoiceCall call) => options.CurrentValue.OfferCallbackWhileWaiting && !call.IsAnonymous;

    /// <summary>Each choice, speech result, retry and lookup of the turn: <c>call.ivr</c>, keyed by session version.</summary>
    private static List<CallEvent> IvrEvents(VoiceCall call, FlowStep step, int version, FlowInput? input)
    {
        var events = new List<CallEvent>(step.Events.Count);
        for (var i = 0; i < step.Events.Count; i++)
        {
            var e = step.Events[i];
            var data = new JsonObject
            {
                ["callSid"] = call.CallSid, ["kind"] = e.Type, ["node"] = e.Node, ["option"] = e.Option, ["input"] = e.Input, ["detail"] = e.Detail,
            };
            if (e.Input is not null && input is FlowInput.Speech speech)
            {
                data["inputMode"] = "speech";
                data["confidence"] = speech.Confidence;
            }
            else if (e.Input is not null && input is FlowInput.Digits)
            {
                data["inputMode"] = "keypad";
            }

            events.Add(new CallEvent(TimelineEventTypes.CallIvr, $"twilio:{call.CallSid}:ivr:{version}:{i}", Direction.Inbound, data,
                e.Option ?? e.Detail ?? e.Type, call.CallSid));
        }

        return events;
    }

    private static VoiceResponse Sorry(string? language)
    {
        var phrases = VoicePhrases.For(language);
        return VoiceTwiml.Hangup(new VoiceResponse().Append(new Say(phrases.Sorry, language: phrases.Locale)));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A call came in but no voice flow is configured (Flows:Voice)")]
    private partial void LogNoFlow();

    [LoggerMessage(Level = LogLevel.Warning, Message = "The voice flow named queue '{Queue}', which is not a queue name: the call goes to the default queue")]
    private partial void LogBadQueue(string queue);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Conversation {ConversationId} could not be queued: {Outcome}")]
    private partial void LogNotQueued(Guid conversationId, string outcome);
}
