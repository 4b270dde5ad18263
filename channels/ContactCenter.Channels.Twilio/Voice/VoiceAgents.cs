using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Reactions;
using ContactCenter.Core.Routing;
using ContactCenter.Core.Timeline;
using ContactCenter.Core.Voice;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Twilio.Rest.Api.V2010.Account;
using Twilio.TwiML;
using Twilio.TwiML.Voice;

namespace ContactCenter.Channels.Twilio.Voice;

/// <summary>Raised so the reaction runs again later: Twilio could not take the redirect just now (429, 5xx, no answer).</summary>
public sealed class TemporaryTwilioException(string message) : Exception(message);

/// <summary>
/// Routing chose an agent for a voice conversation (<c>conversation.assigned</c>): a caller still waiting on the
/// line is redirected to the agent with the Calls API; a caller who asked to be called back gets a job that
/// places the call. The choice of agent stays with the routing engine.
/// </summary>
internal sealed class VoiceAssignmentReaction(VoiceAgents agents) : ITimelineReaction
{
    public static readonly string[] Types = [TimelineEventTypes.ConversationAssigned];

    public IReadOnlySet<string> EventTypes { get; } = Types.ToHashSet();

    public Task ReactAsync(TimelineEvent timelineEvent, CancellationToken ct) =>
        timelineEvent is { Channel: Channel.Voice, ConversationId: { } conversationId }
        && timelineEvent.Data["agentId"]?.GetValue<string>() is { } agentId
            ? agents.AssignedAsync(conversationId, agentId, timelineEvent.Id, ct)
            : Task.CompletedTask;
}

internal sealed partial class VoiceAgents(
    CallLedger ledger,
    CallbackRequests callbacks,
    ConversationStore conversations,
    RoutingEngine routing,
    AgentStore agents,
    IOptions<RoutingOptions> routingOptions,
    TwilioRestClient rest,
    VoiceUrls urls,
    VoiceTwiml twiml,
    IBackgroundJobClient jobs,
    ILogger<VoiceAgents> log)
{
    /// <summary>The service moving a call on: not bound to an owner (the expected assignee guards the move instead).</summary>
    private static readonly ConversationActor VoiceActor = new("voice", null, Supervises: true);

    /// <summary>Idempotent per assignment event: a live call is redirected once, a callback job is made sure of.</summary>
    public async Task AssignedAsync(Guid conversationId, string agentId, long assignedEvent, CancellationToken ct)
    {
        if (await conversations.GetAsync(conversationId, ct) is not { ClosedAt: null } conversation || conversation.Assignee != agentId)
            return; // reassigned or closed since: a later event (or none) decides

        if (await ledger.LiveQueuedCallAsync(conversation.Id, ct) is { } call)
        {
            if (call.ConnectEventId == assignedEvent) return;
            await RedirectAsync(call, agentId, assignedEvent, ct);
            return;
        }

        if (await callbacks.AssignAsync(conversation.Id, agentId, assignedEvent, ct))
            jobs.Enqueue<CallbackDialer>(d => d.PlaceAsync(conversation.Id, assignedEvent, CancellationToken.None));
    }

    private async Task RedirectAsync(VoiceCall call, string agentId, long assignedEvent, CancellationToken ct)
    {
        if (urls.Absolute("/connect", ("agent", agentId)) is not { } url)
        {
            await FailedAsync(call, assignedEvent, "Twilio:PublicBaseUrl is not set: a live call cannot be redirected to an agent.", ct);
            return;
        }

        var result = await rest.UpdateCallAsync(new UpdateCallOptions(call.CallSid) { Url = new Uri(url), Method = global::Twilio.Http.HttpMethod.Post }, ct);
        if (result.Succeeded)
        {
            await ledger.MarkConnectingAsync(call.CallSid, agentId, assignedEvent, ct);
            LogRedirected(call.CallSid, agentId);
            return;
        }

        var error = result.Error!;
        if (error.IsTemporary) throw new TemporaryTwilioException($"Redirecting call {call.CallSid} failed: {error.DisplayCode} {error.Message}");
        // Most often the caller hung up a moment ago (21220: call not in progress); the status callback closes it,
        // unless they had asked to be called back: then the callback is placed instead.
        await FailedAsync(call, assignedEvent, $"{error.DisplayCode}: {error.Message}", ct);
        if (await callbacks.AssignAsync(call.ConversationId, agentId, assignedEvent, ct))
            jobs.Enqueue<CallbackDialer>(d => d.PlaceAsync(call.ConversationId, assignedEvent, CancellationToken.None));
    }

    private async Task FailedAsync(VoiceCall call, long assignedEvent, string error, CancellationToken ct)
    {
        LogRedirectFailed(call.CallSid, error);
        await ledger.AppendAsync(call.ConversationId,
        [
            new CallEvent(CallEventTypes.ConnectFailed, $"twilio:{call.CallSid}:connect-failed:{assignedEvent}", Direction.Internal,
                new JsonObject { ["callSid"] = call.CallSid, ["error"] = error }, ProviderId: call.CallSid),
        ], ct);
    }

    /// <summary>Twilio fetched the redirect URL: dial the agent if the conversation is still theirs.</summary>
    public async Task<VoiceResponse> ConnectAsync(VoiceCall call, string agentId, string greeting, string locale, CancellationToken ct)
    {
        var response = new VoiceResponse();
        var conversation = await conversations.GetAsync(call.ConversationId, ct);
        if (conversation is { ClosedAt: null } && conversation.Assignee == agentId)
            twiml.DialAgent(response, call, agentId, greeting, locale);
        else if (conversation is { ClosedAt: null })
            twiml.WaitLoop(response, null, VoicePhrases.For(call.Language), false); // given to someone else since: their redirect follows
        else
            VoiceTwiml.Hangup(response);
        return response;
    }

    /// <summary>The agent's leg answered (its status callback, or the Dial action with the leg's sid).</summary>
    public async Task ConnectedAsync(VoiceCall call, string agentId, string agentLegSid, CancellationToken ct)
    {
        if (await ledger.ConnectedAsync(call, agentId, agentLegSid, ct)) LogConnected(call.CallSid, agentId);
    }

    /// <summary>
    /// The agent's client did not answer: the agent is set away (so routing does not ring them again at once) and
    /// the conversation goes back to its queue, keeping its waiting time; the caller holds on.
    /// </summary>
    public async Task MissedAsync(VoiceCall call, string agentId, string dialStatus, string? agentLegSid, CancellationToken ct)
    {
        var key = $"twilio:{call.CallSid}:agent-missed:{agentLegSid ?? agentId + ":" + call.ConnectEventId}";
        if (await ledger.AppendAsync(call.ConversationId,
            [
                new CallEvent(CallEventTypes.AgentMissed, key, Direction.Internal,
                    new JsonObject { ["callSid"] = call.CallSid, ["agentId"] = agentId, ["dialStatus"] = dialStatus }, ProviderId: call.CallSid),
            ], ct) == 0) return;
        await agents.SetStatusAsync(agentId, AgentStatus.Away, "voice: did not answer a call", ct);
        var queue = call.Queue ?? routingOptions.Value.DefaultQueue;
        var outcome = await routing.TransferAsync(call.ConversationId, new TransferTarget(queue, null), VoiceActor, "agent did not answer", ct, expectedAssignee: agentId);
        LogMissed(call.CallSid, agentId, dialStatus, outcome.GetType().Name);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallSid} redirected to agent {AgentId}")]
    private partial void LogRedirected(string callSid, string agentId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {CallSid} could not be redirected to its agent: {Error}")]
    private partial void LogRedirectFailed(string callSid, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallSid} connected to agent {AgentId}")]
    private partial void LogConnected(string callSid, string agentId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent {AgentId} did not answer call {CallSid} ({DialStatus}); back to the queue: {Outcome}")]
    private partial void LogMissed(string callSid, string agentId, string dialStatus, string outcome);
}
