using System.Globalization;
using ContactCenter.Core.Flows;
using ContactCenter.Core.Voice;
using Microsoft.Extensions.Options;
using Twilio.TwiML;
using Twilio.TwiML.Voice;
using Twilio.Types;
using HttpMethod = Twilio.Http.HttpMethod;
using Client = Twilio.TwiML.Voice.Client;
using GatherVerb = Twilio.TwiML.Voice.Gather;
using RecordVerb = Twilio.TwiML.Voice.Record;
using SayVerb = Twilio.TwiML.Voice.Say;

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

/// <summary>Renders flow turns and the service's own call steps (waiting, connecting) as TwiML (the SDK's verbs).</summary>
internal sealed class VoiceTwiml(VoiceUrls urls, IOptionsMonitor<VoiceOptions> options)
{
    private const int MaxHintsLength = 900;
    private static readonly HttpMethod Post = HttpMethod.Post;

    public SayVerb Say(string text, string locale) =>
        // A null enum, not an enum of null: the SDK writes every non-null attribute.
        new(text, voice: options.CurrentValue.TextToSpeechVoice is { Length: > 0 } voice ? (SayVerb.VoiceEnum)voice : null, language: locale);

    public TwiML Prompt(FlowPrompt prompt) =>
        prompt.AudioUrl is { } audio ? new Play(Url(audio)) : Say(prompt.Text, prompt.Locale);

    public void Prompts(VoiceResponse response, IEnumerable<FlowPrompt> prompts)
    {
        foreach (var prompt in prompts) response.Append(Prompt(prompt));
    }

    /// <summary>A question: keys and/or speech, posted back with the session version it answers.</summary>
    public void Gather(VoiceResponse response, FlowExpectation expect, int version)
    {
        List<GatherVerb.InputEnum> input = (expect.Keypad, expect.Speech) switch
        {
            (true, true) => [GatherVerb.InputEnum.Dtmf, GatherVerb.InputEnum.Speech],
            (false, true) => [GatherVerb.InputEnum.Speech],
            _ => [GatherVerb.InputEnum.Dtmf],
        };
        string? hints = null;
        if (expect.Speech)
        {
            hints = string.Join(", ", expect.SpeechHints);
            if (hints.Length == 0) hints = null;
            else if (hints.Length > MaxHintsLength) hints = hints[..hints.LastIndexOf(',', MaxHintsLength)];
        }

        var gather = new GatherVerb(
            input: input,
            action: Url(urls.For("/gather", ("v", Num(version)))),
            method: Post,
            actionOnEmptyResult: true,
            timeout: Seconds(expect.Timeout),
            numDigits: expect.Keypad ? expect.NumDigits : null,
            finishOnKey: expect.Keypad ? expect.FinishOnKey : null,
            language: expect.Locale,
            speechTimeout: expect.Speech ? "auto" : null,
            hints: hints);
        foreach (var prompt in expect.Prompts) gather.Append(Prompt(prompt));
        response.Append(gather);
    }

    /// <summary>
    /// One round of waiting: place in line and expected wait, hold music, the callback offer (a key press during
    /// any of it posts to the wait-key URL), then back to the wait URL for the next round.
    /// </summary>
    public void WaitLoop(VoiceResponse response, QueueWait? wait, VoicePhrases phrases, bool offerCallback)
    {
        var settings = options.CurrentValue;
        var gather = new GatherVerb(input: [GatherVerb.InputEnum.Dtmf], numDigits: 1, timeout: 1, action: Url(urls.For("/wait/key")), method: Post);
        if (wait is not null)
        {
            var text = phrases.Position(wait.Position);
            if (wait.ExpectedWait is { } expected) text += " " + phrases.ExpectedMinutes(VoicePhrases.Minutes(expected));
            gather.Append(Say(text, phrases.Locale));
        }

        gather.Append(settings.HoldMusicUrl is { Length: > 0 } music ? new Play(Url(music)) : new Pause(length: Seconds(settings.HoldPause)));
        if (offerCallback) gather.Append(Say(phrases.PressOneForCallback, phrases.Locale));
        response.Append(gather);
        response.Append(new Redirect(Url(urls.For("/wait")), Post));
    }

    /// <summary>
    /// The caller to the agent's Twilio Client: the client leg's "answered" callback writes <c>call.connected</c>,
    /// and the Dial action says how it went (an agent who does not answer sends the caller back to the queue).
    /// With <c>Twilio:Voice:Record</c> the call is recorded from the answer, caller and agent on channels of their own.
    /// The conversation rides along as a custom parameter: the softphone shows who calls and why before answering.
    /// </summary>
    public void DialAgent(VoiceResponse response, VoiceCall call, string agentId, string greeting, string locale)
    {
        var callSid = call.CallSid;
        response.Append(Say(greeting, locale));
        var client = new Client(
            identity: agentId,
            statusCallbackEvent: [Client.EventEnum.Answered],
            statusCallback: Url(urls.For("/agent-leg", ("call", callSid), ("agent", agentId))),
            statusCallbackMethod: Post);
        client.Parameter(name: "conversationId", value: call.ConversationId.ToString());
        client.Parameter(name: "direction", value: call.Direction);
        var dial = Recorded(new Dial(
            action: Url(urls.For("/dialed", ("agent", agentId))),
            method: Post,
            timeout: Seconds(options.CurrentValue.AgentRingTimeout),
            answerOnBridge: true), callSid, agentId);
        response.Append(dial.Append(client));
    }

    /// <summary>An agent's own call to a customer (the TwiML App's outbound URL), from the company's number.</summary>
    public void DialCustomer(VoiceResponse response, string callSid, string agentId, string number, string callerId)
    {
        var dial = Recorded(new Dial(
            action: Url(urls.For("/outbound/dialed", ("agent", agentId))),
            method: Post,
            callerId: callerId,
            answerOnBridge: true), callSid, agentId);
        response.Append(dial.Append(new Number(new PhoneNumber(number))));
    }

    private Dial Recorded(Dial dial, string callSid, string agentId)
    {
        if (!options.CurrentValue.Record) return dial;
        dial.Record = Dial.RecordEnum.RecordFromAnswerDual;
        dial.RecordingStatusCallback = Url(urls.For("/agent-recording", ("call", callSid), ("agent", agentId)));
        dial.RecordingStatusCallbackMethod = Post;
        dial.RecordingStatusCallbackEvent = [Dial.RecordingEventEnum.Completed];
        return dial;
    }

    public void Record(VoiceResponse response, VoicemailAction action, int version)
    {
        response.Append(new RecordVerb(
            action: Url(urls.For("/recorded", ("v", Num(version)))),
            method: Post,
            maxLength: Seconds(action.MaxLength),
            playBeep: true,
            finishOnKey: "#",
            recordingStatusCallback: Url(urls.For("/recording")),
            recordingStatusCallbackMethod: Post,
            recordingStatusCallbackEvent: [RecordVerb.RecordingEventEnum.Completed]));
    }

    public void Transfer(VoiceResponse response, TransferAction action, int version)
    {
        var dial = new Dial(
            action: Url(urls.For("/transferred", ("v", Num(version)))),
            method: Post,
            timeout: Seconds(action.Timeout),
            callerId: action.CallerId);
        dial.Append(action.To switch
        {
            TransferKind.Sip => new Sip(Url(action.Address)),
            TransferKind.Client => new Client(identity: action.Address),
            _ => new Number(new PhoneNumber(action.Address)),
        });
        response.Append(dial);
    }

    public static VoiceResponse Hangup(VoiceResponse response) => response.Append(new Hangup());

    /// <summary>Our URLs are absolute or path-absolute; the SDK writes a Uri's original string as it was given.</summary>
    internal static Uri Url(string url) => new(url, UriKind.RelativeOrAbsolute);

    /// <summary>TwiML durations are whole seconds, rounded up so a limit is never shortened.</summary>
    private static int Seconds(TimeSpan value) => (int)Math.Ceiling(value.TotalSeconds);

    private static string Num(int value) => value.ToString(CultureInfo.InvariantCulture);
}
