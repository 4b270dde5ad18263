using ContactCenter.Tests.Routing;
using ContactCenter.Tests.Twilio;
using ContactCenter.Tests.Voice;
using Microsoft.Playwright;

namespace ContactCenter.Tests.AgentVoice;

/// <summary>
/// The Voice SDK cannot reach Twilio from here, so a page under test gets a stand-in Device (through
/// <c>ccVoice.createDevice</c>, the one place softphone.js makes one) that records what the page asks of it and
/// rings with the parameters Twilio would pass: those of the TwiML the service answered for the call.
/// Used by the softphone page's tests and the desk's.
/// </summary>
public static class SoftphoneStandIn
{
    public const string Script = """
        window.ccVoice = { createDevice: (token, options) => {
          const handlers = {};
          const device = {
            token, options, registered: false, tokens: [token], placed: [],
            on(name, fn) { (handlers[name] = handlers[name] || []).push(fn); },
            emit(name, ...args) { for (const fn of handlers[name] || []) fn(...args); },
            register() { this.registered = true; this.emit("registered"); return Promise.resolve(); },
            unregister() { this.registered = false; this.emit("unregistered"); return Promise.resolve(); },
            updateToken(t) { this.tokens.push(t); },
            // An outgoing call through the TwiML App: Twilio would post its params to the app's voice URL.
            connect(connectOptions) { this.placed.push(connectOptions.params); return Promise.resolve(window.__newCall(null, {})); },
          };
          window.__device = device;
          return device;
        } };
        window.__newCall = (from, params) => {
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
          return call;
        };
        window.__ring = (from, params) => window.__device.emit("incoming", window.__newCall(from, params));
        """;

    /// <summary>A customer texts first, then calls and asks for support; routing gives the call to agent 1 and it rings.
    /// (A texter has no name: a named customer would hear the IVR's "welcome back" menu instead of the main one.)</summary>
    public static async Task<(TwimlCaller Caller, Guid Conversation)> RingAsync(this AgentVoiceFixture fx, IPage page, string number)
    {
        await fx.ReceiveAsync(TwilioRequests.Sms("My router is broken", from: number));
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
}
