using System.Net;
using ContactCenter.Tests.Routing;
using ContactCenter.Tests.Twilio;
using ContactCenter.Tests.Voice;

namespace ContactCenter.Tests.AgentVoice;

/// <summary>
/// Calls agents place from the softphone: Twilio posts the TwiML App's voice URL with the agent's client identity
/// and the number; the service dials it from the company's number only for a customer of that agent.
/// </summary>
public class AgentCallTests(AgentVoiceFixture fx) : IClassFixture<AgentVoiceFixture>, IAsyncLifetime
{
    private const string OutboundPath = "/webhooks/twilio/voice/outbound";

    public Task InitializeAsync() => fx.ResetCallAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>The customer texts in and routing gives the conversation to agent 1.</summary>
    private async Task<Guid> CustomerOfAgent1Async(string number)
    {
        await fx.App.CreateAgentAsync(ContactCenterApp.AgentId, capacity: new { voice = 1, messaging = 3 }, status: "available");
        await fx.ReceiveAsync(TwilioRequests.Sms("Could you call me?", from: number));
        var conversation = await fx.ConversationAsync("sms", number);
        await fx.App.WaitForAsync(conversation, c => c.Assignee() == ContactCenterApp.AgentId, "agent 1 has the conversation");
        return conversation;
    }

    [Fact]
    public async Task AnAgentCallsTheirCustomerFromTheCompanyNumberOnTheCustomersTimeline()
    {
        const string number = "+14155550180";
        var conversation = await CustomerOfAgent1Async(number);

        var leg = new TwimlCaller(fx, "client:" + ContactCenterApp.AgentId);
        await leg.PostAsync(OutboundPath, [new("To", number), new("Caller", "client:" + ContactCenterApp.AgentId)]);
        var dial = leg.Verb("Dial")!;
        Assert.Equal(TwilioFixture.CompanyNumber, dial.Attribute("callerId")!.Value);
        Assert.Equal(number, dial.Element("Number")!.Value);
        Assert.Equal("record-from-answer-dual", dial.Attribute("record")!.Value); // Twilio:Voice:Record is on

        var started = await fx.App.WaitForEventAsync(conversation, "call.started");
        Assert.Equal(("outbound", ContactCenterApp.AgentId, leg.CallSid), (started.Data("direction"), started.Data("agentId"), started.Data("callSid")));

        // The customer answers, they talk for 42 s, the Dial ends.
        await leg.PostAsync(dial.Attribute("action")!.Value,
            [new("DialCallStatus", "completed"), new("DialCallDuration", "42"), new("DialCallSid", "CA" + new string('e', 32))]);
        Assert.NotNull(leg.Verb("Hangup"));
        var ended = await fx.App.WaitForEventAsync(conversation, "call.ended");
        Assert.Equal(("connected", "42", ContactCenterApp.AgentId), (ended.Data("outcome"), ended.Data("durationSeconds"), ended.Data("agentId")));
        Assert.Single(await fx.App.EventsAsync(conversation, "call.connected"));
        // An agent's call does not close the conversation: it stays with them for notes and resolve.
        Assert.Equal(ContactCenterApp.AgentId, (await fx.App.ConversationAsync(conversation)).Assignee());
    }

    [Fact]
    public async Task AnotherAgentsCustomerOrANumberThatIsNoCustomerIsRefused()
    {
        const string number = "+14155550181";
        var conversation = await CustomerOfAgent1Async(number);

        var agent2 = new TwimlCaller(fx, "client:" + ContactCenterApp.Agent2Id);
        await agent2.PostAsync(OutboundPath, [new("To", number)]);
        Assert.Null(agent2.Verb("Dial"));
        Assert.NotNull(agent2.Verb("Hangup"));
        Assert.Contains("not a customer of yours", agent2.Says);

        var stranger = new TwimlCaller(fx, "client:" + ContactCenterApp.AgentId);
        await stranger.PostAsync(OutboundPath, [new("To", "+14155550189")]);
        Assert.Null(stranger.Verb("Dial"));

        Assert.Empty(await fx.App.EventsAsync(conversation, "call.started"));
        Assert.Equal(0L, await fx.CountScalarAsync("select count(*) from voice_calls where call_sid = any($1)", (object)new[] { agent2.CallSid, stranger.CallSid }));
    }

    [Fact]
    public async Task TheWebhookIsSignedLikeEveryTwilioWebhookAndChecksItsInput()
    {
        const string number = "+14155550182";
        await CustomerOfAgent1Async(number);
        var leg = new TwimlCaller(fx, "client:" + ContactCenterApp.AgentId);

        var unsigned = await fx.App.CreateClient().PostAsync(OutboundPath,
            new FormUrlEncodedContent([new("CallSid", leg.CallSid), new("From", "client:" + ContactCenterApp.AgentId), new("To", number)]));
        Assert.Equal(HttpStatusCode.Forbidden, unsigned.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await leg.SendAsync(OutboundPath, [new("To", number)], token: "not-the-auth-token")).StatusCode);
        Assert.Equal(0L, await fx.CountScalarAsync("select count(*) from voice_calls where call_sid = $1", leg.CallSid));

        // Signed, but not a call from an agent's client, or to no number.
        await (await new TwimlCaller(fx, "+14155550183").SendAsync(OutboundPath, [new("To", number)])).ProblemAsync(HttpStatusCode.BadRequest);
        await (await leg.SendAsync(OutboundPath, [new("To", "not a number")])).ProblemAsync(HttpStatusCode.BadRequest);

        // Signed and allowed: dialed.
        await leg.PostAsync(OutboundPath, [new("To", number)]);
        Assert.Equal(number, leg.Verb("Number")!.Value);
    }

    [Fact]
    public async Task TheRecordingIsOnTheTimelineAndPlaysThroughTheServiceAndWrapUpTimeIsRecorded()
    {
        const string number = "+14155550184";
        var conversation = await CustomerOfAgent1Async(number);
        var leg = new TwimlCaller(fx, "client:" + ContactCenterApp.AgentId);
        await leg.PostAsync(OutboundPath, [new("To", number)]);
        var dial = leg.Verb("Dial")!;
        Assert.Equal("completed", dial.Attribute("recordingStatusCallbackEvent")!.Value);
        var recordingCallback = dial.Attribute("recordingStatusCallback")!.Value;
        await leg.PostAsync(dial.Attribute("action")!.Value, [new("DialCallStatus", "completed"), new("DialCallDuration", "30")]);

        await leg.NotifyAsync(recordingCallback,
        [
            new("RecordingSid", AgentVoiceFixture.RecordingSid), new("RecordingStatus", "completed"), new("RecordingDuration", "29"),
            new("RecordingChannels", "2"), new("RecordingUrl", TwimlCaller.RecordingUrl(AgentVoiceFixture.RecordingSid)),
        ]);
        await leg.NotifyAsync(recordingCallback, // Twilio retries: still one event
        [
            new("RecordingSid", AgentVoiceFixture.RecordingSid), new("RecordingStatus", "completed"), new("RecordingDuration", "29"),
        ]);
        var recording = Assert.Single(await fx.App.EventsAsync(conversation, "call.recording"));
        Assert.Equal(("29", "2", ContactCenterApp.AgentId), (recording.Data("durationSeconds"), recording.Data("channels"), recording.Data("agentId")));
        var url = recording.Data("url");
        Assert.Equal($"/api/recordings/{AgentVoiceFixture.RecordingSid}", url);

        // An agent plays it through the service, which fetched it from Twilio with the account's credentials.
        var played = await fx.App.ClientWithKey(ContactCenterApp.Agent2Key).GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, played.StatusCode);
        Assert.Equal("audio/mpeg", played.Content.Headers.ContentType?.MediaType);
        Assert.Equal(AgentVoiceFixture.RecordingAudio, await played.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await fx.App.ClientWithKey(null).GetAsync(url)).StatusCode);
        // Only recordings on a timeline: the service is no proxy to everything in the Twilio account.
        await (await fx.App.Agent().GetAsync("/api/recordings/RE" + new string('9', 32))).ProblemAsync(HttpStatusCode.NotFound);
        // An agent who may not see the conversation gets the same 404 and reads nothing.
        await fx.App.Admin().PostJsonAsync("/api/users", new
        {
            email = "rex@example.test", name = "Rex", role = "agent", agentId = "rex", queues = new[] { "elsewhere" }, password = "rex-password-1",
        }, HttpStatusCode.Created);
        var outsider = new ContactCenter.Tests.Accounts.CookieSession(fx.App);
        Assert.Equal(HttpStatusCode.OK, (await outsider.SignInJsonAsync("rex@example.test", "rex-password-1")).StatusCode);
        await (await outsider.GetAsync(url)).ProblemAsync(HttpStatusCode.NotFound);
        // The one play is on the audit trail once; the refused reads are not.
        var read = Assert.Single((await fx.App.Admin().GetJsonAsync("/api/audit?action=recording.read")).AsArray())!;
        Assert.Equal((AgentVoiceFixture.RecordingSid, "recording", "Test agent 2"),
            (read["targetId"]!.GetValue<string>(), read["targetType"]!.GetValue<string>(), read["actorName"]!.GetValue<string>()));

        // Wrap-up: the conversation stayed open after the call; resolving it records the time since hang-up.
        var ended = await fx.App.WaitForEventAsync(conversation, "call.ended");
        var resolved = await fx.App.Agent().PostAsync($"/api/conversations/{conversation}/resolve", null);
        Assert.True(resolved.IsSuccessStatusCode, await resolved.Content.ReadAsStringAsync());
        var wrapUp = await fx.App.WaitForEventAsync(conversation, "call.wrap_up");
        Assert.Equal((leg.CallSid, ContactCenterApp.AgentId), (wrapUp.Data("callSid"), wrapUp.Data("agentId")));
        var endedAt = DateTimeOffset.Parse(wrapUp.Data("endedAt"), System.Globalization.CultureInfo.InvariantCulture);
        var resolvedAt = DateTimeOffset.Parse(wrapUp.Data("resolvedAt"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(resolvedAt >= endedAt);
        Assert.Equal((int)Math.Round((resolvedAt - endedAt).TotalSeconds), int.Parse(wrapUp.Data("seconds"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(DateTimeOffset.Parse(ended["occurredAt"]!.ToString(), System.Globalization.CultureInfo.InvariantCulture) <= resolvedAt);
    }
}
