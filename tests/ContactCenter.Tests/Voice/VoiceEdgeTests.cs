using System.Net;
using System.Text;
using ContactCenter.Tests.Routing;
using ContactCenter.Tests.Twilio;

namespace ContactCenter.Tests.Voice;

/// <summary>Callbacks, callers on other channels, withheld numbers, forged and malformed requests.</summary>
public class VoiceEdgeTests(VoiceFixture fx) : IClassFixture<VoiceFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetCallAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>Menu → billing → "call me back" (the caller hangs up, the conversation keeps its place).</summary>
    private async Task<(TwimlCaller Caller, Guid Conversation)> AskForCallbackAsync(string number)
    {
        var caller = new TwimlCaller(fx, number);
        await caller.DialAsync();
        await caller.PressAsync("1");
        await caller.PressAsync("1");
        await caller.PressAsync("1");
        Assert.Contains("We'll call you back", caller.Says);
        Assert.NotNull(caller.Verb("Hangup"));
        await caller.NotifyStatusAsync("completed", 1, 30);
        var conversation = await fx.ConversationOfAsync(caller);
        Assert.Equal("callback-requested", (await fx.App.WaitForEventAsync(conversation, "call.ended")).Data("outcome"));
        var state = await fx.App.ConversationAsync(conversation);
        Assert.Equal(("queued", "billing"), (state["status"]!.GetValue<string>(), state["queue"]!.GetValue<string>()));
        return (caller, conversation);
    }

    [Fact]
    public async Task ACallbackIsPlacedWhenAnAgentFreesUpRetryingThrottlingAndConnectsTheAgent()
    {
        await fx.App.CreateAgentAsync(ContactCenterApp.AgentId, capacity: new { voice = 1, messaging = 0 });
        var (caller, conversation) = await AskForCallbackAsync("+14155550140");
        Assert.Empty(fx.CallRequests);

        fx.CallScript.Enqueue(TwilioFake.Error(429, 20429, "Too Many Requests"));
        fx.CallScript.Enqueue(TwilioFake.Error(503, 20500, "Service unavailable"));
        await fx.App.SetStatusAsync(ContactCenterApp.AgentId, "available");
        var placed = await fx.App.WaitForEventAsync(conversation, "call.callback_placed");
        var creates = fx.CallRequests.Where(r => r.Path == VoiceFixture.CallsPrefix + ".json").ToList();
        Assert.Equal(3, creates.Count);
        var create = creates[^1];
        Assert.Equal(("+14155550140", TwilioFixture.CompanyNumber), (create["To"], create["From"]));
        Assert.StartsWith($"{TwilioFixture.PublicBase}/webhooks/twilio/voice/callback?conversation={conversation}&agent=agent-1", create["Url"]);
        Assert.StartsWith($"{TwilioFixture.PublicBase}/webhooks/twilio/voice/status", create["StatusCallback"]);
        Assert.Equal(["initiated", "ringing", "answered", "completed"], create.Form["StatusCallbackEvent"].Select(v => v ?? "").ToList());
        Assert.Equal("3", placed.Data("attempt"));

        // The customer answers the callback: the agent's client is dialed; the agent answers.
        var callback = new TwimlCaller(fx, TwilioFixture.CompanyNumber, placed.Data("callSid"));
        await callback.PostAsync(create["Url"]!, [new("To", "+14155550140"), new("Direction", "outbound-api")]);
        Assert.Contains("you asked us to call you back", callback.Says);
        Assert.Equal(ContactCenterApp.AgentId, callback.Verb("Client")!.Value);
        await callback.AgentAnswersAsync("CA" + new string('b', 32));
        var connected = await fx.App.WaitForEventAsync(conversation, "call.connected");
        Assert.Equal((callback.CallSid, ContactCenterApp.AgentId), (connected.Data("callSid"), connected.Data("agentId")));
        var started = (await fx.App.EventsAsync(conversation, "call.started")).Select(e => (e.Data("callSid"), e["direction"]!.GetValue<string>())).ToList();
        Assert.Equal([(caller.CallSid, "inbound"), (callback.CallSid, "outbound")], started);
    }

    [Fact]
    public async Task ACallbackThatKeepsFailingShowsOnTheTimeline()
    {
        await fx.App.CreateAgentAsync(ContactCenterApp.AgentId, capacity: new { voice = 1, messaging = 0 });
        var (_, conversation) = await AskForCallbackAsync("+14155550141");
        for (var i = 0; i < 3; i++) fx.CallScript.Enqueue(TwilioFake.Error(500, 20500, "Internal error"));
        await fx.App.SetStatusAsync(ContactCenterApp.AgentId, "available");
        var failed = await fx.App.WaitForEventAsync(conversation, "call.callback_failed");
        Assert.Equal(("3", "20500"), (failed.Data("attempts"), failed.Data("errorCode")));
        Assert.Equal(3, fx.CallRequests.Count(r => r.Path == VoiceFixture.CallsPrefix + ".json"));
        Assert.Empty(await fx.App.EventsAsync(conversation, "call.callback_placed"));
    }

    [Fact]
    public async Task PressingOneWhileWaitingKeepsThePlaceAndTheAgentGetsACallbackNotARedirect()
    {
        await fx.App.CreateAgentAsync(ContactCenterApp.AgentId, capacity: new { voice = 1, messaging = 0 });
        var first = new TwimlCaller(fx, "+14155550142");
        var second = new TwimlCaller(fx, "+14155550143");
        foreach (var caller in new[] { first, second })
        {
            await caller.DialAsync();
            await caller.PressAsync("1");
            await caller.PressAsync("2");
            await caller.PressAsync("2");
        }

        Assert.Contains("You are number 2 in line.", second.Says);
        Assert.Contains("To be called back instead of waiting, press 1.", second.Says);
        await first.PressAsync("1");
        Assert.Contains("You keep your place in line", first.Says);
        var conversation = await fx.ConversationOfAsync(first);
        Assert.Single(await fx.App.EventsAsync(conversation, "call.callback_requested"));
        await second.FollowRedirectAsync();
        Assert.Contains("You are number 2 in line.", second.Says);

        // The first caller is first in line: the free agent gets them, by callback (they hung up), before
        // Twilio's status callback for their call even arrived.
        await fx.App.SetStatusAsync(ContactCenterApp.AgentId, "available");
        var create = await fx.CallRequestAsync(r => r.Path == VoiceFixture.CallsPrefix + ".json", "the callback is placed");
        Assert.Equal("+14155550142", create["To"]);
        Assert.DoesNotContain(fx.CallRequests, r => r.Path == VoiceKit.RedirectPath(first.CallSid));
        Assert.Equal("queued", (await fx.App.ConversationAsync(await fx.ConversationOfAsync(second)))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task ACustomerWithAnOpenWhatsAppConversationInBillingIsGreetedByNameAndRoutedToBilling()
    {
        const string number = "+14155550150";
        await fx.ReceiveAsync(TwilioRequests.WhatsApp("My bill looks wrong", number, profileName: "Ana Lopez"));
        var whatsapp = await fx.ConversationAsync("whatsapp", number);
        await fx.App.PutQueueAsync("billing", new { requiredSkills = new { } });
        await fx.App.Agent().PostJsonAsync($"/api/conversations/{whatsapp}/enqueue", new { queue = "billing" }, HttpStatusCode.OK);
        Assert.Equal("billing", (await fx.App.ConversationAsync(whatsapp))["queue"]!.GetValue<string>());

        var caller = new TwimlCaller(fx, number);
        await caller.DialAsync();
        await caller.PressAsync("1");
        Assert.Contains("Hello Ana, welcome back to Northwind.", caller.Says);
        Assert.Contains("already in touch with us by whatsapp", caller.Says);
        await caller.PressAsync("1");
        Assert.Contains("Connecting you with the team that's helping you.", caller.Says);

        var voice = await fx.ConversationOfAsync(caller);
        Assert.NotEqual(whatsapp, voice);
        var state = await fx.App.ConversationAsync(voice);
        Assert.Equal(("queued", "billing"), (state["status"]!.GetValue<string>(), state["queue"]!.GetValue<string>()));
        Assert.Equal(state["customerId"]!.GetValue<string>(), (await fx.App.ConversationAsync(whatsapp))["customerId"]!.GetValue<string>());
        Assert.Equal("continues an open conversation", (await fx.App.EventsAsync(voice, "call.queued")).Single().Data("reason"));
    }

    [Theory]
    [InlineData("anonymous")]
    [InlineData("+266696687")]
    [InlineData("")]
    [InlineData("client:kiosk-7")]
    public async Task AWithheldCallerGetsACustomerOfTheirOwnAndCannotAskForACallback(string from)
    {
        var callers = new[] { new TwimlCaller(fx, from), new TwimlCaller(fx, from) };
        foreach (var caller in callers)
        {
            await caller.DialAsync();
            await caller.PressAsync("1");
            Assert.Contains("Welcome to Northwind.", caller.Says);
        }

        var conversations = new List<Guid>();
        foreach (var caller in callers) conversations.Add(await fx.ConversationOfAsync(caller));
        var customers = new List<string>();
        foreach (var id in conversations) customers.Add((await fx.App.ConversationAsync(id))["customerId"]!.GetValue<string>());
        Assert.NotEqual(customers[0], customers[1]);
        Assert.Equal(0L, await fx.CountAsync("select count(*) from customer_identities"));

        // "Call me back" cannot be kept for a hidden number: the caller is told and holds instead.
        await callers[0].PressAsync("1");
        await callers[0].PressAsync("1");
        Assert.Contains("can't call back a hidden number", callers[0].Says);
        Assert.DoesNotContain("press 1", callers[0].Says, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("queued", (await fx.App.ConversationAsync(conversations[0]))["status"]!.GetValue<string>());
        Assert.Equal(0L, await fx.CountAsync("select count(*) from voice_callbacks"));
    }

    [Fact]
    public async Task AForgedSignatureIs403AndChangesNothing()
    {
        var caller = new TwimlCaller(fx, "+14155550160");
        var forged = await caller.SendAsync("/webhooks/twilio/voice", [], token: "not-the-auth-token");
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.Equal(0L, await fx.CountAsync("select count(*) from timeline_events"));
        Assert.Equal(0L, await fx.CountAsync("select count(*) from voice_calls"));

        // Mid-flow: a forged key press does not move the call.
        await caller.DialAsync();
        var action = caller.Verb("Gather")!.Attribute("action")!.Value;
        var before = await fx.CountAsync("select count(*) from timeline_events");
        Assert.Equal(HttpStatusCode.Forbidden, (await caller.SendAsync(action, [new("Digits", "1")], token: "not-the-auth-token")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await caller.SendAsync("/webhooks/twilio/voice/status", [new("CallStatus", "completed")], token: "x")).StatusCode);
        Assert.Equal(before, await fx.CountAsync("select count(*) from timeline_events"));
        Assert.Equal("choose-language", (string)(await fx.CountScalarAsync("select node from flow_sessions where session_key = $1", caller.CallSid))!);
    }

    [Theory]
    [InlineData("/webhooks/twilio/voice", "CallSid", "")]
    [InlineData("/webhooks/twilio/voice", "CallSid", "SM123; drop table")]
    [InlineData("/webhooks/twilio/voice/status", "SequenceNumber", "three")]
    [InlineData("/webhooks/twilio/voice/status", "CallStatus", "exploded")]
    [InlineData("/webhooks/twilio/voice/status", "CallDuration", "-5")]
    [InlineData("/webhooks/twilio/voice/gather?v=abc", "Digits", "1")]
    [InlineData("/webhooks/twilio/voice/recording", "RecordingDuration", "long")]
    [InlineData("/webhooks/twilio/voice/connect", "Digits", "1")]
    public async Task MalformedRequestsAre400WithProblemDetails(string path, string field, string value)
    {
        var caller = new TwimlCaller(fx, "+14155550161");
        await caller.DialAsync();
        List<KeyValuePair<string, string>> extra = [new("CallStatus", "completed"), new(field, value)];
        var response = await caller.SendAsync(path, extra);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task ANonFormBodyIs400()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/twilio/voice")
        {
            Content = new StringContent("{\"CallSid\":\"CA1\"}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Twilio-Signature", ContactCenter.Channels.Twilio.TwilioSignature.Compute(TwilioFake.AuthToken, fx.SigningBase + "/webhooks/twilio/voice"));
        var response = await fx.App.CreateClient().SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
