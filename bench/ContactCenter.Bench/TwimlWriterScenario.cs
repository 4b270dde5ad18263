using System.Diagnostics;
using System.Xml.Linq;
using ContactCenter.Channels.Twilio;
using Twilio.TwiML;
using Twilio.TwiML.Voice;

namespace ContactCenter.Bench;

/// <summary>
/// Issue 14: what writing a turn's TwiML costs with the Twilio SDK (<see cref="TwimlWriter"/>: the SDK's verbs,
/// XDocument, the control-character clean-up) against the hand-written XmlWriter it replaced (<see cref="LegacyTwimlResponse"/>),
/// same run, same document: the wait loop's turn (place in line, hold music, callback offer, redirect) and a menu.
/// </summary>
public static class TwimlWriterScenario
{
    private const string Action = "https://contact.example.test/webhooks/twilio/voice/gather?v=3";

    public static void Run(int turns)
    {
        Console.WriteLine($"TwiML writers, {turns} turns each (one thread; µs per turn, bytes allocated per turn)");
        // Warm-up, and the check that both write the same document.
        var sdk = Sdk();
        var legacy = Legacy();
        Console.WriteLine($"  same document from both (attribute order aside): {Canonical(XElement.Parse(sdk)) == Canonical(XElement.Parse(legacy))}");
        for (var round = 0; round < 3; round++)
        {
            Report("hand-written XmlWriter", turns, () => Legacy());
            Report("Twilio SDK + TwimlWriter", turns, () => Sdk());
        }
    }

    private static void Report(string name, int turns, Func<string> write)
    {
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        var length = 0;
        for (var i = 0; i < turns; i++) length += write().Length;
        clock.Stop();
        var bytes = (GC.GetAllocatedBytesForCurrentThread() - allocated) / turns;
        Console.WriteLine($"  {name,-26} {clock.Elapsed.TotalMicroseconds / turns,8:N1} µs/turn {bytes,8:N0} B/turn   ({length / turns} chars)");
    }

    private static string Canonical(XElement e) =>
        $"<{e.Name}{string.Concat(e.Attributes().OrderBy(a => a.Name.LocalName, StringComparer.Ordinal).Select(a => $" {a.Name}={a.Value}"))}>"
        + (e.HasElements ? string.Concat(e.Elements().Select(Canonical)) : e.Value) + $"</{e.Name}>";

    private static string Sdk()
    {
        var response = new VoiceResponse();
        var gather = new Gather(input: [Gather.InputEnum.Dtmf], numDigits: 1, timeout: 1, action: new Uri(Action), method: Twilio.Http.HttpMethod.Post);
        gather.Append(new Say("You are number 3 in line. Your expected wait is about 4 minutes.", language: "en-US"));
        gather.Append(new Play(new Uri("https://cdn.example.test/hold/cool-jazz.mp3")));
        gather.Append(new Say("To be called back instead of waiting, press 1.", language: "en-US"));
        response.Append(gather);
        response.Append(new Redirect(new Uri("https://contact.example.test/webhooks/twilio/voice/wait"), Twilio.Http.HttpMethod.Post));
        return TwimlWriter.Write(response);
    }

    private static string Legacy()
    {
        var response = new LegacyTwimlResponse();
        var gather = new LegacyTwimlElement("Gather").Attribute("input", "dtmf").Attribute("action", Action).Attribute("method", "POST")
            .Attribute("timeout", 1).Attribute("numDigits", 1);
        gather.Add(new LegacyTwimlElement("Say") { Text = "You are number 3 in line. Your expected wait is about 4 minutes." }.Attribute("language", "en-US"));
        gather.Add(new LegacyTwimlElement("Play") { Text = "https://cdn.example.test/hold/cool-jazz.mp3" });
        gather.Add(new LegacyTwimlElement("Say") { Text = "To be called back instead of waiting, press 1." }.Attribute("language", "en-US"));
        response.Add(gather);
        response.Add(new LegacyTwimlElement("Redirect") { Text = "https://contact.example.test/webhooks/twilio/voice/wait" }.Attribute("method", "POST"));
        return response.ToString();
    }
}
