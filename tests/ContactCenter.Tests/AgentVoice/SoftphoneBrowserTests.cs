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
/// The softphone on its own page in a real browser, with the stand-in Device of <see cref="SoftphoneStandIn"/>
/// (the desk's softphone: <c>Desk/DeskPhoneBrowserTests</c>).
/// </summary>
public sealed class SoftphoneBrowserTests(AgentVoiceBrowserFixture fx) : IClassFixture<AgentVoiceBrowserFixture>, IAsyncLifetime
{
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
        await context.AddInitScriptAsync(SoftphoneStandIn.Script);
        var page = await context.NewPageAsync();
        await Browser.LoginWithKeyAsync(page, ContactCenterApp.AgentKey, "/softphone");
        await Expect(page.Locator("[data-role=status]")).ToHaveTextAsync("Not taking calls");
        Assert.False(await page.EvaluateAsync<bool>("() => window.__device.registered"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Available" }).ClickAsync();
        await Expect(page.Locator("[data-role=status]")).ToHaveTextAsync("Ready for calls");
        return (context, page);
    }

    [Fact]
    public async Task AnIncomingCallShowsTheCallerAndContextAndAnsweringAcceptsIt()
    {
        var (context, page) = await OpenSoftphoneAsync();
        await using var _ = context;
        const string number = "+14155550190";
        var (caller, conversation) = await fx.RingAsync(page, number);

        // Before answering: who calls, the IVR path they took, what else they have open.
        await Expect(page.Locator("[data-role=caller]")).ToHaveTextAsync(number);
        var handoff = (await fx.App.ConversationAsync(conversation))["handoff"]!;
        var choices = handoff["choices"]!.AsArray().Select(c => (c!["option"] ?? c["input"])?.ToString()).Where(c => c is not null).ToList();
        Assert.NotEmpty(choices);
        await Expect(page.Locator("[data-role=ivr]")).ToHaveTextAsync("IVR: " + string.Join(" › ", choices));
        await Expect(page.Locator("[data-role=context]")).ToContainTextAsync("sms");
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
        var (caller, conversation) = await fx.RingAsync(page, "+14155550191");

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
