using System.Globalization;
using System.Net;
using ContactCenter.Tests.AgentVoice;
using ContactCenter.Tests.Flows;
using ContactCenter.Tests.Routing;
using ContactCenter.Tests.Twilio;
using ContactCenter.Tests.Voice;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ContactCenter.Tests.Desk;

/// <summary>
/// Voice in the desk, in a real browser: the softphone panel of /desk rings with the stand-in Device of
/// <see cref="SoftphoneStandIn"/> (answer, decline, hang up, wrap-up through the real webhooks), and a caller's
/// voicemail plays on the timeline through the service's recordings proxy.
/// </summary>
public sealed class DeskPhoneBrowserTests(AgentVoiceBrowserFixture fx) : IClassFixture<AgentVoiceBrowserFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetCallAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>Agent 1, available for one call, on the desk: the phone registers because the service says they are available.</summary>
    private async Task<(IBrowserContext Context, IPage Page)> OpenDeskAsync(string status = "available", string path = "/desk", bool createAgent = true)
    {
        if (createAgent) await fx.App.CreateAgentAsync(ContactCenterApp.AgentId, capacity: new { voice = 1, messaging = 2 }, status: status);
        var context = await Browser.NewContextAsync(fx.BaseAddress);
        context.SetDefaultNavigationTimeout(60_000);
        await context.AddInitScriptAsync(SoftphoneStandIn.Script);
        var page = await context.NewPageAsync();
        await Browser.LoginWithKeyAsync(page, ContactCenterApp.AgentKey, path);
        await Expect(page.Locator("#state")).ToHaveTextAsync("live", new() { Timeout = 30_000 }); // the first page of a loaded run also starts the browser and the stream
        return (context, page);
    }

    private static ILocator Phone(IPage page) => page.Locator("#softphone");

    [Fact]
    public async Task A_call_rings_in_the_desk_is_answered_and_after_hanging_up_stays_open_for_notes_and_resolve_with_wrap_up_time()
    {
        var (context, page) = await OpenDeskAsync();
        await using var _ = context;
        var phone = Phone(page);
        await Expect(phone.Locator("[data-role=status]")).ToHaveTextAsync("Ready for calls");
        Assert.True(await page.EvaluateAsync<bool>("() => window.__device.registered"));
        // No conversation is open: the phone is on screen all the same.
        await Expect(page.Locator("#conversation")).ToBeHiddenAsync();

        const string number = "+14155550193";
        var (caller, conversation) = await fx.RingAsync(page, number);
        await Expect(phone.Locator("[data-role=status]")).ToHaveTextAsync("Ringing");
        await Expect(phone.Locator("[data-role=caller]")).ToBeVisibleAsync();
        await Expect(phone.Locator("[data-role=caller]")).ToHaveTextAsync(number);
        await Expect(phone.Locator("[data-role=ivr]")).ToContainTextAsync("IVR:");
        await Expect(phone.Locator("[data-role=context]")).ToContainTextAsync("sms");
        await Browser.ScreenshotAsync(page, "desk-phone-ringing");

        await phone.GetByRole(AriaRole.Button, new() { Name = "Answer" }).ClickAsync();
        Assert.True(await page.EvaluateAsync<bool>("() => window.__call.accepted"));
        await Expect(phone.Locator("[data-role=status]")).ToHaveTextAsync("On the call");
        // The answered call's conversation opens in the desk.
        await Expect(page.Locator("#conversation")).ToBeVisibleAsync();
        await page.WaitForURLAsync(url => url.Contains(conversation.ToString(), StringComparison.Ordinal));
        await Expect(page.Locator("#conversation-title")).ToContainTextAsync("voice");
        // The call's context at the top of the conversation too: the IVR path and the customer's other open conversation.
        await Expect(page.Locator("#handoff")).ToContainTextAsync("support");
        await Expect(page.Locator("#handoff")).ToContainTextAsync("Also open");
        await caller.AgentAnswersAsync("CA" + new string('e', 32));
        await fx.App.WaitForEventAsync(conversation, "call.connected");
        await Expect(page.Locator("#timeline")).ToContainTextAsync("Call connected to agent-1");

        await phone.GetByRole(AriaRole.Button, new() { Name = "Hang up" }).ClickAsync();
        await Expect(phone.Locator("[data-role=status]")).ToContainTextAsync("wrap up");
        // Twilio ends the agent's leg (the Dial action) and then the call (its status callback).
        await caller.PostAsync(caller.Verb("Dial")!.Attribute("action")!.Value,
            [new("DialCallStatus", "completed"), new("DialCallSid", "CA" + new string('e', 32)), new("DialCallDuration", "40")]);
        await caller.NotifyStatusAsync("completed", 9, 95);
        var ended = await fx.App.WaitForEventAsync(conversation, "call.ended");
        await Expect(page.Locator("#timeline")).ToContainTextAsync("Call ended");

        // Wrap-up: still open and the agent's; a note, then resolve from the desk.
        var open = await fx.App.ConversationAsync(conversation);
        Assert.Equal(ContactCenterApp.AgentId, open.Assignee());
        Assert.NotEqual("resolved", open["status"]!.GetValue<string>());
        await Expect(page.Locator("#conversation")).ToBeVisibleAsync();
        await page.GetByLabel("Internal note", new() { Exact = true }).CheckAsync();
        await page.Locator("#reply").FillAsync("Router reset over the phone");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add note" }).ClickAsync();
        await Expect(page.Locator("#timeline li[data-type='note.added']")).ToContainTextAsync("Router reset over the phone");
        await Browser.ScreenshotAsync(page, "desk-phone-wrap-up");
        await page.Locator("#actions").GetByRole(AriaRole.Button, new() { Name = "Resolve" }).ClickAsync();
        await fx.App.WaitForStatusAsync(conversation, "resolved");

        var wrapUp = await fx.App.WaitForEventAsync(conversation, "call.wrap_up");
        Assert.Equal((caller.CallSid, ContactCenterApp.AgentId), (wrapUp.Data("callSid"), wrapUp.Data("agentId")));
        var endedAt = DateTimeOffset.Parse(wrapUp.Data("endedAt"), CultureInfo.InvariantCulture);
        var resolvedAt = DateTimeOffset.Parse(wrapUp.Data("resolvedAt"), CultureInfo.InvariantCulture);
        Assert.True(resolvedAt >= endedAt && endedAt >= DateTimeOffset.Parse(ended["occurredAt"]!.ToString(), CultureInfo.InvariantCulture).AddSeconds(-1));
        Assert.Equal((int)Math.Round((resolvedAt - endedAt).TotalSeconds), int.Parse(wrapUp.Data("seconds"), CultureInfo.InvariantCulture));
        await Expect(page.Locator("#timeline")).ToContainTextAsync("Wrap-up by agent-1");
    }

    [Fact]
    public async Task Declining_in_the_desk_sends_the_call_back_to_the_queue_and_the_page_shows_the_agent_away_and_stops_ringing()
    {
        var (context, page) = await OpenDeskAsync();
        await using var _ = context;
        var phone = Phone(page);
        await Expect(phone.Locator("[data-role=status]")).ToHaveTextAsync("Ready for calls");
        var (caller, conversation) = await fx.RingAsync(page, "+14155550194");
        var calls = new List<string>();
        await page.ExposeFunctionAsync("__told", (string state) => { lock (calls) calls.Add(state); });
        await page.EvaluateAsync("() => window.addEventListener('cc:call', e => window.__told(e.detail.state))");

        await phone.GetByRole(AriaRole.Button, new() { Name = "Decline" }).ClickAsync();
        Assert.True(await page.EvaluateAsync<bool>("() => window.__call.rejected"));
        Assert.False(await page.EvaluateAsync<bool>("() => window.__call.accepted"));
        await Expect(phone.Locator("[data-role=status]")).ToContainTextAsync("back to the queue");
        await Expect(phone.GetByRole(AriaRole.Button, new() { Name = "Answer" })).ToBeHiddenAsync();
        await Expect(page.Locator("#conversation")).ToBeHiddenAsync(); // a declined call does not open its conversation

        // Twilio ends the rejected client leg as busy and posts the Dial action: the real webhook requeues the call
        // and sets the agent away, as for a ring they let pass.
        await caller.PostAsync(caller.Verb("Dial")!.Attribute("action")!.Value, [new("DialCallStatus", "busy"), new("DialCallSid", "CA" + new string('8', 32))]);
        Assert.Equal("busy", (await fx.App.WaitForEventAsync(conversation, "call.agent_missed")).Data("dialStatus"));
        var back = await fx.App.WaitForAsync(conversation, c => c.Assignee() is null && c["status"]!.GetValue<string>() == "queued", "the call is queued again");
        Assert.Equal("support", back["queue"]!.GetValue<string>());

        // The page hears of it without a reload: the status picker says away, the phone unregisters and says why.
        await Expect(page.GetByLabel("My status")).ToHaveValueAsync("away");
        await page.WaitForFunctionAsync("() => window.__device.registered === false");
        await Expect(phone.Locator("[data-role=status]")).ToHaveTextAsync("Declined: the call went back to the queue. Not taking calls: you are away");
        lock (calls) Assert.Equal(new[] { "declined" }, calls);
        // The call waits in support again, in the agent's waiting list.
        await Expect(page.InboxItem("inbox-waiting", conversation)).ToBeVisibleAsync();

        // Available again from the desk: the phone registers again.
        await page.GetByLabel("My status").SelectOptionAsync("available");
        await page.WaitForFunctionAsync("() => window.__device.registered === true");
        await Expect(phone.Locator("[data-role=status]")).ToHaveTextAsync("Ready for calls");
    }

    [Fact]
    public async Task Call_the_customer_from_the_open_conversation_goes_through_the_twiml_app_onto_their_timeline()
    {
        const string number = "+14155550196";
        await fx.App.CreateAgentAsync(ContactCenterApp.AgentId, capacity: new { voice = 1, messaging = 2 }, status: "available");
        await fx.ReceiveAsync(TwilioRequests.Sms("Please call me back", from: number));
        var conversation = await fx.ConversationAsync("sms", number);
        await fx.App.WaitForAsync(conversation, c => c.Assignee() == ContactCenterApp.AgentId, "agent 1 has the conversation");
        var (context, page) = await OpenDeskAsync(path: $"/desk?conversation={conversation}", createAgent: false);
        await using var _ = context;
        var phone = Phone(page);

        // The open conversation's customer is the number the phone calls.
        await Expect(phone.GetByRole(AriaRole.Textbox, new() { Name = "Number to call" })).ToHaveValueAsync(number);
        await phone.GetByRole(AriaRole.Button, new() { Name = "Call", Exact = true }).ClickAsync();
        await Expect(phone.Locator("[data-role=status]")).ToHaveTextAsync("Calling");
        var placed = await page.EvaluateAsync<Dictionary<string, string>[]>("() => window.__device.placed");
        var to = Assert.Single(placed)["To"];
        Assert.Equal(number, to);

        // Twilio posts the TwiML App's voice URL with what the page asked for: the service dials the customer.
        var leg = new TwimlCaller(fx, "client:" + ContactCenterApp.AgentId);
        await leg.PostAsync("/webhooks/twilio/voice/outbound", [new("To", to)]);
        Assert.Equal(number, leg.Verb("Dial")!.Element("Number")!.Value);
        await page.EvaluateAsync("() => window.__call.accept()");
        await Expect(phone.Locator("[data-role=status]")).ToHaveTextAsync("On the call");
        await Expect(page.Locator("#timeline")).ToContainTextAsync("Call started");
        await page.EvaluateAsync("() => window.__call.disconnect()");
        await Expect(phone.Locator("[data-role=status]")).ToHaveTextAsync("Call ended");
        var started = await fx.App.WaitForEventAsync(conversation, "call.started");
        Assert.Equal(("outbound", ContactCenterApp.AgentId), (started.Data("direction"), started.Data("agentId")));
    }

    [Fact]
    public async Task A_voicemail_on_the_timeline_has_a_player_fed_by_the_authorized_recordings_proxy()
    {
        // After hours the caller leaves a voicemail (Twilio's Record action, then its recording status callback).
        fx.FlowClock.SetUtcNow(FlowTestSupport.SaturdayAfternoon);
        var caller = new TwimlCaller(fx, "+14155550195");
        await caller.DialAsync();
        await caller.PressAsync("1");
        var record = caller.Verb("Record")!;
        await caller.RecordAsync(AgentVoiceFixture.RecordingSid, 17);
        await caller.NotifyAsync(record.Attribute("recordingStatusCallback")!.Value,
        [
            new("RecordingSid", AgentVoiceFixture.RecordingSid), new("RecordingUrl", TwimlCaller.RecordingUrl(AgentVoiceFixture.RecordingSid)),
            new("RecordingStatus", "completed"), new("RecordingDuration", "17"),
        ]);
        await caller.NotifyStatusAsync("completed", 1, 48);
        var conversation = await fx.ConversationOfAsync(caller);
        await fx.App.WaitForEventAsync(conversation, "call.voicemail");

        var (context, page) = await OpenDeskAsync(status: "away", path: $"/desk?conversation={conversation}");
        await using var _ = context;
        var voicemail = page.Locator("#timeline li[data-type='call.voicemail']");
        await Expect(voicemail).ToContainTextAsync("Voicemail · 0:17");
        var audio = voicemail.Locator("audio");
        await Expect(audio).ToHaveCountAsync(1);
        await Expect(audio).ToHaveAttributeAsync("controls", "");
        var src = await audio.GetAttributeAsync("src");
        Assert.Equal($"/api/recordings/{AgentVoiceFixture.RecordingSid}", src);
        // Twilio's own URL (which needs the account's credentials) is nowhere in the page.
        Assert.DoesNotContain("api.twilio.com", await page.Locator("#timeline").InnerHTMLAsync(), StringComparison.Ordinal);
        await Browser.ScreenshotAsync(page, "desk-voicemail");

        // The player's source answers the audio for the signed-in agent (the page's own cookies)...
        var played = await page.APIRequest.GetAsync(src!);
        Assert.Equal(200, played.Status);
        Assert.StartsWith("audio/mpeg", played.Headers["content-type"], StringComparison.Ordinal);
        Assert.Equal(AgentVoiceFixture.RecordingAudio, await played.BodyAsync());
        // ...and the player itself loads it (as media, under the page's Content-Security-Policy) when asked to.
        var loaded = await page.RunAndWaitForResponseAsync(() => audio.EvaluateAsync("a => { a.preload = 'auto'; a.load(); }"),
            r => new Uri(r.Url).AbsolutePath == src);
        Assert.Equal(200, loaded.Status);
        // Without a sign-in: 401; a recording on no timeline: 404.
        Assert.Equal(HttpStatusCode.Unauthorized, (await fx.App.ClientWithKey(null).GetAsync(src)).StatusCode);
        await (await fx.App.Agent().GetAsync("/api/recordings/RE" + new string('7', 32))).ProblemAsync(HttpStatusCode.NotFound);
    }
}
