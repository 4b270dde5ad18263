using System.Globalization;
using ContactCenter.Core.Flows;
using ContactCenter.Core.Voice;
using Microsoft.Extensions.Options;

namespace ContactCenter.Channels.Twilio.Voice;

/// <summary>
/// The service's own voice URLs: every action, wait and recording URL it writes points under
/// <c>/webhooks/twilio/voice</c>, inside the signed route group. Absolute on <c>Twilio:PublicBaseUrl</c> when set;
/// otherwise path-absolute, which Twilio resolves against the URL it just requested.
/// </summary>
public sealed class VoiceUrls(IOptionsMonitor<TwilioOptions> twilio)
{
    public const string Root = TwilioWebhook.Prefix + "/voice";

    public string For(string path, params (string Name, string? Value)[] query) => (twilio.CurrentValue.PublicBase ?? "") + Relative(path, query);

    /// <summary>For the REST API, which has no document to resolve against: null when no public URL is configured.</summary>
    public string? Absolute(string path, params (string Name, string? Value)[] query) =>
        twilio.CurrentValue.PublicBase is { } publicBase ? publicBase + Relative(path, query) : null;

    private static string Relative(string path, (string Name, string? Value)[] query)
    {
        var parts = query.Where(q => q.Value is not null).Select(q => $"{q.Name}={Uri.EscapeDataString(q.Value!)}").ToList();
        return Root + path + (parts.Count == 0 ? "" : "?" + string.Join("&", parts));
    }
}

/// <summary>Renders flow turns and the service's own call steps (waiting, connecting) as TwiML.</summary>
internal sealed class VoiceTwiml(VoiceUrls urls, IOptionsMonitor<VoiceOptions> options)
{
    private const int MaxHintsLength = 900;

    public TwimlElement Say(string text, string locale) =>
        Text(new TwimlElement("Say").Attribute("voice", options.CurrentValue.TextToSpeechVoice).Attribute("language", locale), text);

    public TwimlElement Prompt(FlowPrompt prompt) =>
        prompt.AudioUrl is { } audio ? Text(new TwimlElement("Play"), audio) : Say(prompt.Text, prompt.Locale);

    public void Prompts(TwimlResponse response, IEnumerable<FlowPrompt> prompts)
    {
        foreach (var prompt in prompts) response.Add(Prompt(prompt));
    }

    /// <summary>A question: keys and/or speech, posted back with the session version it answers.</summary>
    public void Gather(TwimlResponse response, FlowExpectation expect, int version)
    {
        var input = (expect.Keypad, expect.Speech) switch { (true, true) => "dtmf speech", (false, true) => "speech", _ => "dtmf" };
        var gather = new TwimlElement("Gather")
            .Attribute("input", input)
            .Attribute("action", urls.For("/gather", ("v", Num(version))))
            .Attribute("method", "POST")
            .Attribute("actionOnEmptyResult", true)
            .Attribute("timeout", expect.Timeout)
            .Attribute("numDigits", expect.Keypad ? expect.NumDigits : null)
            .Attribute("finishOnKey", expect.Keypad ? expect.FinishOnKey : null)
            .Attribute("language", expect.Locale);
        if (expect.Speech)
        {
            gather.Attribute("speechTimeout", "auto");
            var hints = string.Join(", ", expect.SpeechHints);
            if (hints.Length > 0) gather.Attribute("hints", hints.Length > MaxHintsLength ? hints[..hints.LastIndexOf(',', MaxHintsLength)] : hints);
        }

        foreach (var prompt in expect.Prompts) gather.Add(Prompt(prompt));
        response.Add(gather);
    }

    /// <summary>
    /// One round of waiting: place in line and expected wait, hold music, the callback offer (a key press during
    /// any of it posts to the wait-key URL), then back to the wait URL for the next round.
    /// </summary>
    public void WaitLoop(TwimlResponse response, QueueWait? wait, VoicePhrases phrases, bool offerCallback)
    {
        var settings = options.CurrentValue;
        var gather = new TwimlElement("Gather").Attribute("input", "dtmf").Attribute("numDigits", 1).Attribute("timeout", 1)
            .Attribute("action", urls.For("/wait/key")).Attribute("method", "POST");
        if (wait is not null)
        {
            var text = phrases.Position(wait.Position);
            if (wait.ExpectedWait is { } expected) text += " " + phrases.ExpectedMinutes(VoicePhrases.Minutes(expected));
            gather.Add(Say(text, phrases.Locale));
        }

        gather.Add(settings.HoldMusicUrl is { Length: > 0 } music
            ? Text(new TwimlElement("Play"), music)
            : new TwimlElement("Pause").Attribute("length", settings.HoldPause));
        if (offerCallback) gather.Add(Say(phrases.PressOneForCallback, phrases.Locale));
        response.Add(gather);
        response.Add(Text(new TwimlElement("Redirect").Attribute("method", "POST"), urls.For("/wait")));
    }

    /// <summary>
    /// The caller to the agent's Twilio Client: the client leg's "answered" callback writes <c>call.connected</c>,
    /// and the Dial action says how it went (an agent who does not answer sends the caller back to the queue).
    /// </summary>
    public void DialAgent(TwimlResponse response, string callSid, string agentId, string greeting, string locale)
    {
        response.Add(Say(greeting, locale));
        var client = Text(new TwimlElement("Client")
            .Attribute("statusCallbackEvent", "answered")
            .Attribute("statusCallback", urls.For("/agent-leg", ("call", callSid), ("agent", agentId)))
            .Attribute("statusCallbackMethod", "POST"), agentId);
        response.Add(new TwimlElement("Dial")
            .Attribute("action", urls.For("/dialed", ("agent", agentId)))
            .Attribute("method", "POST")
            .Attribute("timeout", options.CurrentValue.AgentRingTimeout)
            .Attribute("answerOnBridge", true)
            .Add(client));
    }

    public void Record(TwimlResponse response, VoicemailAction action, int version)
    {
        response.Add(new TwimlElement("Record")
            .Attribute("action", urls.For("/recorded", ("v", Num(version))))
            .Attribute("method", "POST")
            .Attribute("maxLength", action.MaxLength)
            .Attribute("playBeep", true)
            .Attribute("finishOnKey", "#")
            .Attribute("recordingStatusCallback", urls.For("/recording"))
            .Attribute("recordingStatusCallbackMethod", "POST")
            .Attribute("recordingStatusCallbackEvent", "completed"));
    }

    public void Transfer(TwimlResponse response, TransferAction action, int version)
    {
        var noun = action.To switch { TransferKind.Sip => "Sip", TransferKind.Client => "Client", _ => "Number" };
        response.Add(new TwimlElement("Dial")
            .Attribute("action", urls.For("/transferred", ("v", Num(version))))
            .Attribute("method", "POST")
            .Attribute("timeout", action.Timeout)
            .Attribute("callerId", action.CallerId)
            .Add(Text(new TwimlElement(noun), action.Address)));
    }

    public static TwimlResponse Hangup(TwimlResponse response) => response.Add(new TwimlElement("Hangup"));

    private static TwimlElement Text(TwimlElement element, string text)
    {
        element.Text = text;
        return element;
    }

    private static string Num(int value) => value.ToString(CultureInfo.InvariantCulture);
}
