using System.Net;
using System.Xml.Linq;
using ContactCenter.Tests.Twilio;

namespace ContactCenter.Tests.Voice;

/// <summary>
/// Plays Twilio's part in a call: posts the webhooks a call makes (signed with the test auth token), reads the
/// TwiML answers and follows them: answers a Gather with keys, speech or silence, follows Redirect, Record,
/// Dial and status callback URLs.
/// </summary>
public sealed class TwimlCaller(VoiceFixture fx, string? from, string? callSid = null)
{
    public string CallSid { get; } = callSid ?? NewSid();
    public string? From { get; } = from;
    public XElement Twiml { get; private set; } = new("Response");
    /// <summary>Everything the caller heard (Say texts and Play URLs), across the call.</summary>
    public List<string> Heard { get; } = [];

    public static string NewSid() => "CA" + Guid.NewGuid().ToString("N");

    /// <summary>What the current TwiML says, in order.</summary>
    public string Says => string.Join(" | ", Twiml.Descendants("Say").Select(s => s.Value));

    public XElement? Verb(string name) => Twiml.Descendants(name).FirstOrDefault();

    public Task<XElement> DialAsync() => PostAsync("/webhooks/twilio/voice", []);

    public Task<XElement> PressAsync(string digits) => GatherAsync([new("Digits", digits)]);

    public Task<XElement> SpeakAsync(string words, double confidence = 0.87) =>
        GatherAsync([new("SpeechResult", words), new("Confidence", confidence.ToString(System.Globalization.CultureInfo.InvariantCulture))]);

    public Task<XElement> SilenceAsync() => GatherAsync([]);

    private Task<XElement> GatherAsync(List<KeyValuePair<string, string>> input)
    {
        var gather = Verb("Gather") ?? throw new Xunit.Sdk.XunitException($"The call does not ask anything now:\n{Twiml}");
        return PostAsync(gather.Attribute("action")!.Value, input);
    }

    public Task<XElement> FollowRedirectAsync()
    {
        var redirect = Verb("Redirect") ?? throw new Xunit.Sdk.XunitException($"No Redirect in:\n{Twiml}");
        return PostAsync(redirect.Value, []);
    }

    /// <summary>The caller records a message: the Record action (what Twilio posts when recording stops).</summary>
    public Task<XElement> RecordAsync(string recordingSid, int seconds)
    {
        var record = Verb("Record") ?? throw new Xunit.Sdk.XunitException($"No Record in:\n{Twiml}");
        return PostAsync(record.Attribute("action")!.Value,
            [new("RecordingUrl", RecordingUrl(recordingSid)), new("RecordingDuration", seconds.ToString()), new("Digits", "hangup")]);
    }

    public static string RecordingUrl(string recordingSid) =>
        $"https://api.twilio.com/2010-04-01/Accounts/{TwilioFake.AccountSid}/Recordings/{recordingSid}";

    /// <summary>Twilio fetches a URL for this call (a redirect, a callback answer) and the call follows it.</summary>
    public async Task<XElement> PostAsync(string url, List<KeyValuePair<string, string>> extra)
    {
        var response = await SendAsync(url, extra);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"POST {url}: {(int)response.StatusCode} {body}");
        Assert.Equal("text/xml", response.Content.Headers.ContentType?.MediaType);
        Twiml = XElement.Parse(body);
        Assert.Equal("Response", Twiml.Name.LocalName);
        Heard.AddRange(Twiml.Descendants().Where(e => e.Name == "Say" || e.Name == "Play").Select(e => e.Value));
        return Twiml;
    }

    /// <summary>A callback that returns no TwiML (status, recording status, agent leg): 204 expected.</summary>
    public async Task NotifyAsync(string url, List<KeyValuePair<string, string>> extra, string? callSid = null)
    {
        var response = await SendAsync(url, extra, callSid);
        Assert.True(response.StatusCode == HttpStatusCode.NoContent, $"POST {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public Task NotifyStatusAsync(string status, int sequence, int? duration = null)
    {
        List<KeyValuePair<string, string>> extra = [new("SequenceNumber", sequence.ToString()), new("CallbackSource", "call-progress-events")];
        if (duration is { } d) extra.Add(new("CallDuration", d.ToString()));
        return NotifyAsync("/webhooks/twilio/voice/status", extra.Prepend(new("CallStatus", status)).ToList());
    }

    public Task<HttpResponseMessage> SendAsync(string url, List<KeyValuePair<string, string>> extra, string? callSid = null, string? token = null)
    {
        // "/path" alone is an absolute file URI on Unix: only http(s) URLs are cut to their path.
        var pathAndQuery = url.StartsWith("http", StringComparison.OrdinalIgnoreCase) ? new Uri(url).PathAndQuery : url;
        var form = Form(callSid ?? CallSid);
        foreach (var pair in extra)
        {
            form.RemoveAll(p => p.Key == pair.Key);
            form.Add(pair);
        }

        return fx.App.CreateClient().SendAsync(token is null
            ? TwilioRequests.Signed(fx.SigningBase, pathAndQuery, form)
            : TwilioRequests.Signed(fx.SigningBase, pathAndQuery, form, token));
    }

    private List<KeyValuePair<string, string>> Form(string callSid) =>
    [
        new("CallSid", callSid), new("AccountSid", TwilioFake.AccountSid), new("From", From ?? ""), new("Caller", From ?? ""),
        new("To", TwilioFixture.CompanyNumber), new("Called", TwilioFixture.CompanyNumber), new("CallStatus", "in-progress"),
        new("Direction", "inbound"), new("ApiVersion", "2010-04-01"),
    ];
}
