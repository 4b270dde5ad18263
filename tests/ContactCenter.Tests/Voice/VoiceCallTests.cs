using System.Net;
using ContactCenter.Tests.Flows;
using ContactCenter.Tests.Routing;
using ContactCenter.Tests.Twilio;

namespace ContactCenter.Tests.Voice;

/// <summary>Whole calls through the webhooks, as Twilio would make them, against the shipped main IVR.</summary>
public class VoiceCallTests(VoiceFixture fx) : IClassFixture<VoiceFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetCallAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task BillingByKeysWaitsInTheQueueAndIsRedirectedToTheAgentRoutingChose()
    {
        await fx.App.CreateAgentAsync(ContactCenterApp.AgentId, capacity: new { voice = 1, messaging = 0 });
        var caller = new TwimlCaller(fx, "+1 (415) 555-0123");

        await caller.DialAsync();
        Assert.Contains("Thank you for calling Northwind", caller.Says);
        Assert.Equal("1", caller.Verb("Gather")!.Attribute("numDigits")!.Value);
        await caller.PressAsync("1");
        Assert.Contains("Welcome to Northwind", caller.Says);
        Assert.Contains("For billing, press 1", caller.Says);
        await caller.PressAsync("1");
        Assert.Contains("To be called back", caller.Says);
        await caller.PressAsync("2");

        // Hold: in the billing queue, the wait loop announces the place in line and plays the hold music.
        Assert.Contains("Please hold", caller.Says);
        Assert.Contains("You are next in line.", caller.Says);
        Assert.Equal(VoiceFixture.HoldMusic, caller.Verb("Play")!.Value);
        Assert.EndsWith("/webhooks/twilio/voice/wait", caller.Verb("Redirect")!.Value);
        var conversation = await fx.ConversationOfAsync(caller);
        var queued = await fx.App.ConversationAsync(conversation);
        Assert.Equal(("queued", "billing"), (queued["status"]!.GetValue<string>(), queued["queue"]!.GetValue<string>()));
        await caller.FollowRedirectAsync();
        Assert.Contains("next in line", caller.Says);

        // An agent becomes available: routing assigns the call, and the live call is redirected to the agent.
        await fx.App.SetStatusAsync(ContactCenterApp.AgentId, "available");
        var redirect = await fx.CallRequestAsync(r => r.Path == VoiceKit.RedirectPath(caller.CallSid), "the live call is redirected");
        Assert.Equal(TwilioFake.ExpectedAuthorization, redirect.Authorization);
        Assert.StartsWith(TwilioFixture.PublicBase + "/webhooks/twilio/voice/connect?agent=agent-1", redirect["Url"]);
        await caller.PostAsync(redirect["Url"]!, []);
        Assert.Equal(ContactCenterApp.AgentId, caller.Verb("Client")!.Value);
        Assert.Contains("/webhooks/twilio/voice/dialed", caller.Verb("Dial")!.Attribute("action")!.Value);

        await caller.AgentAnswersAsync("CA" + new string('a', 32));
        var connected = await fx.App.WaitForEventAsync(conversation, "call.connected");
        Assert.Equal(ContactCenterApp.AgentId, connected.Data("agentId"));
        await TestSupport.EventuallyAsync(async () => (await fx.App.ClocksAsync(conversation))
            .Any(c => c["kind"]!.GetValue<string>() == "first_response" && c["stopReason"]?.GetValue<string>() == "answered"),
            "call.connected stops the voice response clock");

        // The talk ends; the conversation stays with the agent for wrap-up.
        await caller.PostAsync(caller.Verb("Dial")!.Attribute("action")!.Value,
            [new("DialCallStatus", "completed"), new("DialCallSid", "CA" + new string('a', 32)), new("DialCallDuration", "95")]);
        Assert.NotNull(caller.Verb("Hangup"));
        await caller.NotifyStatusAsync("completed", 2, 140);
        var ended = await fx.App.WaitForEventAsync(conversation, "call.ended");
        Assert.Equal(("completed", "140", "connected"), (ended.Data("status"), ended.Data("durationSeconds"), ended.Data("outcome")));
        Assert.Single(await fx.App.EventsAsync(conversation, "call.connected"));
        Assert.Equal("assigned", (await fx.App.ConversationAsync(conversation))["status"]!.GetValue<string>());

        var types = await fx.EventTypesAsync(conversation);
        Assert.Equal(["call.started", "call.ivr", "call.ivr", "call.ivr", "conversation.queued", "call.queued", "conversation.assigned", "call.connected", "call.ended"],
            types.Where(t => t.StartsWith("call.", StringComparison.Ordinal) || t.StartsWith("conversation.", StringComparison.Ordinal)));
        var ivr = await fx.App.EventsAsync(conversation, "call.ivr");
        Assert.Equal(["en", "billing", "decline"], ivr.Select(e => e["text"]!.GetValue<string>()));
    }

    [Fact]
    public async Task AWrongKeyTwiceRepeatsTheMenuThenFallsBackToTheGeneralQueue()
    {
        var caller = new TwimlCaller(fx, "+14155550124");
        await caller.DialAsync();
        await caller.PressAsync("1");
        await caller.PressAsync("9");
        Assert.Contains("Sorry, that's not one of the options.", caller.Says);
        Assert.Contains("For billing, press 1", caller.Says);
        await caller.PressAsync("7");
        Assert.Contains("Please hold", caller.Says);

        var conversation = await fx.ConversationOfAsync(caller);
        Assert.Equal("general", (await fx.App.ConversationAsync(conversation))["queue"]!.GetValue<string>());
        var ivr = await fx.App.EventsAsync(conversation, "call.ivr");
        Assert.Equal(["language", "no-match", "no-match", "fallback"], ivr.Select(e => e.Data("kind")));
        Assert.Equal(["9", "7"], ivr.Where(e => e.Data("kind") == "no-match").Select(e => e.Data("input")));
    }

    [Fact]
    public async Task SpeechWithASynonymGoesToBilling()
    {
        var caller = new TwimlCaller(fx, "+14155550125");
        await caller.DialAsync();
        Assert.Contains("speech", caller.Verb("Gather")!.Attribute("input")!.Value);
        await caller.SpeakAsync("English please");
        Assert.Contains("invoice", caller.Verb("Gather")!.Attribute("hints")!.Value);
        await caller.SpeakAsync("I have a question about my invoice.", 0.91);
        Assert.Contains("To be called back", caller.Says);
        await caller.SpeakAsync("I'll hold");

        var conversation = await fx.ConversationOfAsync(caller);
        Assert.Equal("billing", (await fx.App.ConversationAsync(conversation))["queue"]!.GetValue<string>());
        var choice = (await fx.App.EventsAsync(conversation, "call.ivr")).Single(e => e.Data("option") == "billing");
        Assert.Equal(("speech", "I have a question about my invoice.", "0.91"), (choice.Data("inputMode"), choice.Data("input"), choice.Data("confidence")));
    }

    [Fact]
    public async Task AfterHoursTheCallerLeavesAVoicemailThatQueuesLikeAMessage()
    {
        fx.FlowClock.SetUtcNow(FlowTestSupport.SaturdayAfternoon);
        var caller = new TwimlCaller(fx, "+14155550126");
        await caller.DialAsync();
        await caller.PressAsync("1");
        Assert.Contains("Our offices are closed", caller.Says);
        var record = caller.Verb("Record")!;
        Assert.Equal("120", record.Attribute("maxLength")!.Value);
        Assert.EndsWith("/webhooks/twilio/voice/recording", record.Attribute("recordingStatusCallback")!.Value);

        const string recordingSid = "RE0123456789abcdef0123456789abcdef";
        await caller.RecordAsync(recordingSid, 17);
        Assert.Contains("your message has been saved", caller.Says);
        Assert.NotNull(caller.Verb("Hangup"));
        // The recording status callback comes too (and Twilio may retry it): still one voicemail.
        for (var i = 0; i < 2; i++)
            await caller.NotifyAsync(record.Attribute("recordingStatusCallback")!.Value,
                [new("RecordingSid", recordingSid), new("RecordingUrl", TwimlCaller.RecordingUrl(recordingSid)), new("RecordingStatus", "completed"), new("RecordingDuration", "17")]);
        await caller.NotifyStatusAsync("completed", 1, 48);

        var conversation = await fx.ConversationOfAsync(caller);
        var voicemail = Assert.Single(await fx.App.EventsAsync(conversation, "call.voicemail"));
        Assert.Equal((recordingSid, TwimlCaller.RecordingUrl(recordingSid), "17"),
            (voicemail.Data("recordingSid"), voicemail.Data("recordingUrl"), voicemail.Data("durationSeconds")));
        var state = await fx.App.ConversationAsync(conversation);
        Assert.Equal(("queued", "general"), (state["status"]!.GetValue<string>(), state["queue"]!.GetValue<string>()));
        Assert.Equal("voicemail", (await fx.App.WaitForEventAsync(conversation, "call.ended")).Data("outcome"));
    }

    [Fact]
    public async Task StatusCallbacksOutOfOrderAndRepeatedEndTheCallOnce()
    {
        var caller = new TwimlCaller(fx, "+14155550127");
        await caller.DialAsync();
        await caller.NotifyStatusAsync("completed", 3, 42);
        await caller.NotifyStatusAsync("ringing", 0);
        await caller.NotifyStatusAsync("in-progress", 1);
        await caller.NotifyStatusAsync("completed", 3, 42);
        await caller.NotifyStatusAsync("busy", 2);

        var conversation = await fx.ConversationOfAsync(caller);
        var ended = Assert.Single(await fx.App.EventsAsync(conversation, "call.ended"));
        Assert.Equal(("completed", "42", "ended-in-ivr"), (ended.Data("status"), ended.Data("durationSeconds"), ended.Data("outcome")));
        Assert.Equal("completed", (string)(await fx.CountScalarAsync("select status from voice_calls where call_sid = $1", caller.CallSid))!);
        // Hung up inside the IVR: nothing left for an agent, the conversation is closed.
        Assert.Equal("resolved", (await fx.App.ConversationAsync(conversation))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task ACallerWhoHangsUpInTheQueueIsAbandonedAndLeavesTheQueue()
    {
        var caller = new TwimlCaller(fx, "+14155550128");
        await caller.DialAsync();
        await caller.PressAsync("1");
        await caller.PressAsync("3");
        await caller.PressAsync("2");
        var conversation = await fx.ConversationOfAsync(caller);
        Assert.Equal("sales", (await fx.App.ConversationAsync(conversation))["queue"]!.GetValue<string>());
        await caller.NotifyStatusAsync("completed", 1, 75);
        Assert.Equal("abandoned", (await fx.App.WaitForEventAsync(conversation, "call.ended")).Data("outcome"));
        Assert.Equal("resolved", (await fx.App.ConversationAsync(conversation))["status"]!.GetValue<string>());
        await fx.SettledAsync();
        Assert.Equal(0L, await fx.CountAsync("select count(*) from queue_entries where conversation_id = $1", conversation));
    }
}
