using System.Globalization;
using System.Xml.Linq;
using ContactCenter.Channels.Twilio;

namespace ContactCenter.Server.Commands;

/// <summary>
/// <c>flows simulate --webhooks &lt;url&gt;</c>: rehearses a call through a running service's voice webhooks, as
/// Twilio makes them (form posts signed with <c>Twilio:AuthToken</c> for <c>Twilio:PublicBaseUrl</c> or the URL
/// given), following the TwiML that comes back: prints what the caller hears, answers a Gather with the keys or
/// words typed (an empty line is silence), follows Redirects, records a voicemail, says how a Dial ended. The
/// call lands on the service's timeline and queues like a real one.
/// </summary>
internal sealed class WebhookRehearsal(HttpClient http, string signingBase, string authToken, string caller, TextReader input, TextWriter output, bool echo)
{
    private const string VoicePath = "/webhooks/twilio/voice";
    private readonly string _callSid = "CA" + Guid.NewGuid().ToString("N");
    private int _sequence;

    public async Task<int> RunAsync(CancellationToken ct)
    {
        await output.WriteLineAsync($"Calling {http.BaseAddress}{VoicePath[1..]} as {caller} (CallSid {_callSid}). " +
                                    "Type keys (digits, * #) or words, an empty line for silence, Ctrl-D to hang up.");
        var twiml = await PostAsync(VoicePath, [], ct);
        while (twiml is not null)
        {
            foreach (var line in Describe(twiml)) await output.WriteLineAsync(line);
            twiml = await NextAsync(twiml, ct);
        }

        await PostAsync(VoicePath + "/status", [new("CallStatus", "completed"), new("SequenceNumber", (++_sequence).ToString(CultureInfo.InvariantCulture))], ct);
        await output.WriteLineAsync("(the call has ended)");
        return 0;
    }

    /// <summary>What Twilio would do next with this TwiML; null when the call is over.</summary>
    private async Task<XElement?> NextAsync(XElement twiml, CancellationToken ct)
    {
        if (twiml.Element("Hangup") is not null) return null;
        if (twiml.Element("Gather") is { } gather)
        {
            var typed = await ReadAsync(ct);
            if (typed is null) return null;
            var text = typed.Trim();
            if (text.Length == 0 && twiml.Element("Redirect") is { } onward) return await PostAsync(onward.Value, [], ct);
            List<KeyValuePair<string, string>> answer = text.Length == 0 ? []
                : text.All(c => char.IsAsciiDigit(c) || c is '*' or '#') ? [new("Digits", text.TrimEnd('#'))]
                : [new("SpeechResult", text), new("Confidence", "0.9")];
            return await PostAsync(gather.Attribute("action")!.Value, answer, ct);
        }

        if (twiml.Element("Record") is { } record)
        {
            await output.WriteLineAsync("  ? seconds recorded (Enter for 10, 0 for nothing)");
            if (await ReadAsync(ct) is not { } typed) return null;
            var seconds = int.TryParse(typed.Trim(), out var s) ? s : 10;
            var recordingSid = "RE" + Guid.NewGuid().ToString("N");
            List<KeyValuePair<string, string>> recorded = seconds == 0 ? [new("RecordingDuration", "0")] :
            [
                new("RecordingSid", recordingSid), new("RecordingDuration", seconds.ToString(CultureInfo.InvariantCulture)),
                new("RecordingUrl", $"https://api.twilio.com/2010-04-01/Accounts/rehearsal/Recordings/{recordingSid}"),
            ];
            return await PostAsync(record.Attribute("action")!.Value, recorded, ct);
        }

        if (twiml.Element("Dial") is { } dial)
        {
            await output.WriteLineAsync("  ? how the dialed call ended (Enter for completed; busy, no-answer, failed)");
            if (await ReadAsync(ct) is not { } typed) return null;
            var status = typed.Trim().Length == 0 ? "completed" : typed.Trim();
            var legSid = "CA" + Guid.NewGuid().ToString("N");
            if (status == "completed" && dial.Element("Client")?.Attribute("statusCallback")?.Value is { } answered)
                await PostAsync(answered, [new("CallStatus", "in-progress"), new("ParentCallSid", _callSid)], ct, legSid);
            return await PostAsync(dial.Attribute("action")!.Value, [new("DialCallStatus", status), new("DialCallSid", legSid)], ct);
        }

        return twiml.Element("Redirect") is { } redirect ? await PostAsync(redirect.Value, [], ct) : null;
    }

    private static IEnumerable<string> Describe(XElement twiml)
    {
        foreach (var verb in twiml.Elements())
        {
            switch (verb.Name.LocalName)
            {
                case "Say": yield return $"  \"{verb.Value}\"  [{verb.Attribute("language")?.Value}]"; break;
                case "Play": yield return $"  ♪ {verb.Value}"; break;
                case "Pause": yield return $"  (silence, {verb.Attribute("length")?.Value} s)"; break;
                case "Gather":
                    foreach (var line in Describe(verb)) yield return line;
                    yield return $"  ? {verb.Attribute("input")?.Value} ({verb.Attribute("timeout")?.Value} s)" +
                                 (verb.Attribute("hints")?.Value is { } hints ? $"  [{hints}]" : "");
                    break;
                case "Record": yield return $"  ● recording (up to {verb.Attribute("maxLength")?.Value} s)"; break;
                case "Dial": yield return $"  ☎ dial {string.Join(", ", verb.Elements().Select(n => $"{n.Name.LocalName.ToLowerInvariant()} {n.Value}"))}"; break;
                case "Redirect": yield return "  (on hold…)"; break;
                case "Hangup": yield return "  (the service hangs up)"; break;
            }
        }
    }

    private async Task<string?> ReadAsync(CancellationToken ct)
    {
        await output.WriteAsync("> ");
        await output.FlushAsync(ct);
        var typed = await input.ReadLineAsync(ct);
        if (echo && typed is not null) await output.WriteLineAsync(typed.Length == 0 ? "(silence)" : typed);
        return typed;
    }

    private async Task<XElement?> PostAsync(string url, List<KeyValuePair<string, string>> extra, CancellationToken ct, string? callSid = null)
    {
        var pathAndQuery = url.StartsWith("http", StringComparison.OrdinalIgnoreCase) ? new Uri(url).PathAndQuery : url;
        List<KeyValuePair<string, string>> form =
        [
            new("CallSid", callSid ?? _callSid), new("AccountSid", "ACrehearsal"), new("From", caller), new("To", "+15550100000"),
            new("CallStatus", "in-progress"), new("Direction", "inbound"), new("ApiVersion", "2010-04-01"),
        ];
        form.RemoveAll(p => extra.Any(e => e.Key == p.Key));
        form.AddRange(extra);
        using var request = new HttpRequestMessage(HttpMethod.Post, pathAndQuery) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add(TwilioSignature.Header, TwilioSignature.Compute(authToken, signingBase.TrimEnd('/') + pathAndQuery, form));
        using var response = await http.SendAsync(request, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            await output.WriteLineAsync($"  (the service answered {(int)response.StatusCode}: {body})");
            return null;
        }

        return body.Length == 0 ? null : XElement.Parse(body);
    }
}
