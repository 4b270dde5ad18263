using System.Text.Json;
using ContactCenter.Tests.Routing;
using ContactCenter.Tests.Twilio;
using ContactCenter.Tests.Voice;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ContactCenter.Tests.AgentVoice;

public sealed class AgentVoiceBrowserFixture : AgentVoiceFixture
{
    protected override bool OnRealPort => true;
}

/// <summary>
/// The softphone in a real browser. The Voice SDK cannot reach Twilio from here, so the page gets a stand-in
/// Device (through <c>ccVoice.createDevice</c>, the one place it makes one) that records what the page asks of it
/// and rings with the parameters Twilio would pass: those of the TwiML the service answered for the call.
/// </summary>
public sealed class SoftphoneBrowserTests(AgentVoiceBrowserFixture fx) : IClassFixture<AgentVoiceBrowserFixture>, IAsyncLifetime
{
    private const string StandInDevice = """
        window.ccVoice = { createDevice: (token, options) => {
          const handlers = {};
          const device = {
            token, options, registered: false, tokens: [token],
            on(name, fn) { (handlers[name] = handlers[name] || []).push(fn); },
            emit(name, ...args) { for (const fn of handlers[name] || []) fn(...args); },
            register() { this.registered = true; this.emit("registered"); return Promise.resolve(); },
            unregister() { this.registered = false; this.emit("unregistered"); return Promise.resolve(); },
            updateToken(t) { this.tokens.push(t); },
          };
          window.__device = device;
          return device;
        } };
        window.__ring = (from, params) => {
          const handlers = {};
          const call = {
            parameters: { From: from }, customParameters: new Map(Object.entries(params)),
            accepted: false, rejected: false, muted: false, digits: "",
            on(name, fn) { (handlers[name] = handlers[name] || []).push(fn); },
            emit(name) { for (const fn of handlers[name] || []) fn(); },
            accept() { this.accepted = true; this.emit("accept"); },
            reject() { this.rejected = true; this.emit("reject"); },
            disconnect() { this.emit("disconnect"); },
            mute(on) { this.muted = on; }, isMuted() { return this.muted; },
            sendDigits(d) { this.digits += d; },
          };
          window.__call = call;
          window.__device.emit("incoming", call);
        };
        """;

    public Task InitializeAsync() => fx.ResetCallAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>Agent 1 on the softphone page, registered once they say they are available.</summary>
    private async Task<(IBrowserContext Context, IPage Page)> OpenSoftphoneAsync()
    {
        await fx.App.CreateAgentAsync(ContactCenterApp.AgentId, capacity: new { voice = 1, messaging = 0 });
        var context = await Browser.NewContextAsync(fx.BaseAddress);
        // The first page of a run also starts the browser and compiles the service's pages: on a loaded machine
        // that can take longer than the usual 15 s.
        context.SetDefaultNavigationTimeout(60_000);
        await context.AddInitScriptAsync(StandInDevice);
        var page = await context.NewPageAsync();
        await Browser.LoginWithKeyAsync(page, ContactCenterApp.AgentKey, "/softphone");
        await Expect(page.Locator("[data-role=status]")).ToHaveTextAsync("Not taking calls");
        Assert.False(await page.EvaluateAsync<bool>("() => window.__device.registered"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Available" }).ClickAsync();
        await Expect(page.Locator("[data-role=status]")).ToHaveTextAsync("Ready for calls");
        return (context, page);
    }

    private const string CustomerName = "Ada Lovelace";

    /// <summary>A customer writes on WhatsApp first (their profile name), then calls and asks for support; routing gives
    /// the call to agent 1 and it rings.</summary>
    private async Task<(TwimlCaller Caller, Guid Conversation)> RingAsync(IPage page, string number)
    {
        await fx.ReceiveAsync(TwilioRequests.WhatsApp("My router is broken", from: number, profileName: CustomerName));
        var caller = new TwimlCaller(fx, number);
        await caller.DialAsync();
        await caller.PressAsync("1");
        await caller.PressAsync("2");
        await caller.PressAsync("2");
        var conversation = await fx.ConversationOfAsync(caller);
        var redirect = await fx.CallRequestAsync(r => r.Path == VoiceKit.RedirectPath(caller.CallSid), "the call is redirected to agent 1");
        await caller.PostAsync(redirect["Url"]!, []);
        var client = caller.Verb("Client")!;
        Assert.Equal(ContactCenterApp.AgentId, client.Value.Trim());
        // What Twilio hands the agent's Device: the caller and the Client noun's custom parameters.
        var parameters = client.Elements("Parameter").ToDictionary(p => p.Attribute("name")!.Value, p => p.Attribute("value")!.Value);
        Assert.Equal(conversation.ToString(), parameters["conversationId"]);
        await page.EvaluateAsync("([from, params]) => window.__ring(from, params)", new object[] { number, parameters });
        return (caller, conversation);
    }

    [Fact]
    public async Task AnIncomingCallShowsTheCallerAndContextAndAnsweringAcceptsIt()
    {
        var (context, page) = await OpenSoftphoneAsync();
        await using var _ = context;
        const string number = "+14155550190";
        var (caller, conversation) = await RingAsync(page, number);

        // Before answering: who calls, the IVR path they took, what else they have open.
        await Expect(page.Locator("[data-role=caller]")).ToHaveTextAsync($"{CustomerName} ({number})");
        var handoff = (await fx.App.ConversationAsync(conversation))["handoff"]!;
        var choices = handoff["choices"]!.AsArray().Select(c => (c!["option"] ?? c["input"])?.ToString()).Where(c => c is not null).ToList();
        Assert.NotEmpty(choices);
        await Expect(page.Locator("[data-role=ivr]")).ToHaveTextAsync("IVR: " + string.Join(" › ", choices));
        await Expect(page.Locator("[data-role=context]")).ToContainTextAsync("whatsapp");
        await Browser.ScreenshotAsync(page, "softphone-ringing");

        await page.GetByRole(AriaRole.Button, new() { Name = "Answer" }).ClickAsync();
        Assert.True(await page.EvaluateAsync<bool>("() => window.__call.accepted"));
        await Expect(page.Locator("[data-role=status]")).ToHaveTextAsync("On the call");
        await caller.AgentAnswersAsync("CA" + new string('f', 32));
        await fx.App.WaitForEventAsync(conversation, "call.connected");

        await page.GetByRole(AriaRole.Button, new() { Name = "Mute" }).ClickAsync();
        Assert.True(await page.EvaluateAsync<bool>("() => window.__call.muted"));
        await page.Locator("[data-role=keys]").FillAsync("12#");
        await page.Locator("[data-role=keys]").PressAsync("Enter");
        Assert.Equal("12#", await page.EvaluateAsync<string>("() => window.__call.digits"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Hang up" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Resolve" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task DecliningSendsTheCallBackToTheQueue()
    {
        var (context, page) = await OpenSoftphoneAsync();
        await using var _ = context;
        var (caller, conversation) = await RingAsync(page, "+14155550191");

        await page.GetByRole(AriaRole.Button, new() { Name = "Decline" }).ClickAsync();
        Assert.True(await page.EvaluateAsync<bool>("() => window.__call.rejected"));
        await Expect(page.Locator("[data-role=status]")).ToContainTextAsync("back to the queue");

        // Twilio ends the rejected client leg as busy and posts the Dial action: the real webhook requeues the call.
        await caller.PostAsync(caller.Verb("Dial")!.Attribute("action")!.Value, [new("DialCallStatus", "busy"), new("DialCallSid", "CA" + new string('9', 32))]);
        var missed = await fx.App.WaitForEventAsync(conversation, "call.agent_missed");
        Assert.Equal("busy", missed.Data("dialStatus"));
        var back = await fx.App.WaitForAsync(conversation, c => c.Assignee() is null && c["status"]!.GetValue<string>() == "queued", "the call is queued again");
        Assert.Equal("support", back["queue"]!.GetValue<string>());
        Assert.NotNull(caller.Verb("Redirect")); // the caller holds on in the wait loop
    }

    [Fact]
    public async Task TheTokenIsRenewedBeforeItRunsOut()
    {
        var (context, page) = await OpenSoftphoneAsync();
        await using var _ = context;
        // The SDK warns before expiry (tokenWillExpire): the page fetches a new token and hands it to the Device.
        await page.EvaluateAsync("() => window.__device.emit('tokenWillExpire')");
        await page.WaitForFunctionAsync("() => window.__device.tokens.length === 2");
        var tokens = await page.EvaluateAsync<JsonElement>("() => window.__device.tokens");
        Assert.All(tokens.EnumerateArray(), t => Assert.StartsWith("eyJ", t.GetString()));
    }

    [Fact]
    public async Task ACallbackRoutingAssignsRingsTheSameWay()
    {
        var (context, page) = await OpenSoftphoneAsync();
        await using var _ = context;
        const string number = "+14155550192";
        // Menu → billing → "call me back": the caller hangs up; routing gives the callback to agent 1, who is available.
        var caller = new TwimlCaller(fx, number);
        await caller.DialAsync();
        await caller.PressAsync("1");
        await caller.PressAsync("1");
        await caller.PressAsync("1");
        Assert.NotNull(caller.Verb("Hangup"));
        await caller.NotifyStatusAsync("completed", 1, 30);
        var conversation = await fx.ConversationOfAsync(caller);
        var placed = await fx.App.WaitForEventAsync(conversation, "call.callback_placed");
        var create = fx.CallRequests.Last(r => r.Path == VoiceFixture.CallsPrefix + ".json");

        // The customer answers the service's call: the agent's client is dialed, with the same parameters.
        var callback = new TwimlCaller(fx, TwilioFixture.CompanyNumber, placed.Data("callSid"));
        await callback.PostAsync(create["Url"]!, [new("To", number), new("Direction", "outbound-api")]);
        var parameters = callback.Verb("Client")!.Elements("Parameter").ToDictionary(p => p.Attribute("name")!.Value, p => p.Attribute("value")!.Value);
        Assert.Equal((conversation.ToString(), "callback"), (parameters["conversationId"], parameters["direction"]));
        await page.EvaluateAsync("([from, params]) => window.__ring(from, params)", new object[] { number, parameters });

        await Expect(page.Locator("[data-role=status]")).ToHaveTextAsync("Callback ringing");
        await Expect(page.Locator("[data-role=caller]")).ToContainTextAsync(number);
        await Expect(page.Locator("[data-role=ivr]")).ToContainTextAsync("IVR:");
        await page.GetByRole(AriaRole.Button, new() { Name = "Answer" }).ClickAsync();
        Assert.True(await page.EvaluateAsync<bool>("() => window.__call.accepted"));
    }
}
