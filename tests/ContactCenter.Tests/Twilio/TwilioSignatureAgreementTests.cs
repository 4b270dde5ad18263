using System.Text;
using ContactCenter.Channels.Twilio;
using Microsoft.Extensions.Primitives;
using Twilio.Security;

namespace ContactCenter.Tests.Twilio;

/// <summary>
/// The hand-written signature check stays the endpoint filter (it also takes repeated parameters and both port
/// forms either way round); wherever the SDK's <see cref="RequestValidator"/> accepts a request, it accepts it too,
/// and a signature both compute for the URL as given is the same.
/// </summary>
public class TwilioSignatureAgreementTests
{
    private const string Token = "12345";

    private static readonly string[] Urls =
    [
        "https://mycompany.com/myapp.php?foo=1&bar=2",
        "https://mycompany.com:443/myapp.php?foo=1&bar=2",
        "http://mycompany.com/myapp.php",
        "http://mycompany.com:80/myapp.php?x=%20y",
        "http://mycompany.com:1234/myapp.php?foo=1&bar=2",
        "https://MyCompany.com/webhooks/twilio/voice/gather?v=3",
        "https://contact.example.test/webhooks/twilio/voice/agent-leg?call=CA1&agent=agent-1",
    ];

    private static readonly Dictionary<string, string>[] ParameterSets =
    [
        new() { ["CallSid"] = "CA1234567890ABCDE", ["Caller"] = "+14158675309", ["Digits"] = "1234", ["From"] = "+14158675309", ["To"] = "+18005551212" },
        new(),
        new() { ["Body"] = "Grüße & <tags> \"quoted\" 😀", ["From"] = "whatsapp:+14155550100", ["NewParameterTwilioAdded"] = "" },
        new() { ["a"] = "1", ["B"] = "2", ["_"] = "3", ["aa"] = "4" },
    ];

    public static IEnumerable<object[]> Cases() =>
        from url in Urls from p in Enumerable.Range(0, ParameterSets.Length) select new object[] { url, p };

    [Theory]
    [MemberData(nameof(Cases))]
    public void WhereTheSdkAcceptsTheFilterAcceptsToo(string url, int set)
    {
        var parameters = ParameterSets[set];
        var sdk = new RequestValidator(Token);
        var ours = new TwilioSignature(Token);
        var asStringValues = parameters.ToDictionary(p => p.Key, p => new StringValues(p.Value));

        // No signature: the SDK throws, the filter says no (403).
        Assert.ThrowsAny<ArgumentException>(() => sdk.Validate(url, parameters, ""));
        Assert.False(ours.IsValid(url, asStringValues, ""));

        // The filter accepts the signature for the URL as given.
        Assert.True(ours.IsValid(url, asStringValues, TwilioSignature.Compute(Token, url, asStringValues)));

        // Signatures over every form of every URL (as given, ports toggled, as System.Uri writes it), right and wrong
        // token: whatever the SDK accepts, so does the filter.
        var uri = new Uri(url);
        var candidates = Urls.Append(uri.AbsoluteUri).Append(uri.ToString()).SelectMany(TwilioSignature.UrlForms).Distinct()
            .SelectMany(u => new[] { TwilioSignature.Compute(Token, u, asStringValues), TwilioSignature.Compute("54321", u, asStringValues) })
            .Append("not-base64!").ToList();
        var acceptedBySdk = candidates.Where(c => sdk.Validate(url, parameters, c)).ToList();
        Assert.NotEmpty(acceptedBySdk); // the comparison is not empty: the SDK accepts some form of this URL
        foreach (var candidate in acceptedBySdk)
            Assert.True(ours.IsValid(url, asStringValues, candidate), $"the SDK accepts {candidate} for {url}, the filter does not");
        foreach (var candidate in candidates.Except(acceptedBySdk).Where(c => ours.IsValid(url, asStringValues, c)))
            // Wider only where it means to be: the URL with its default port written or not, either way round.
            Assert.Contains(TwilioSignature.UrlForms(url), u => TwilioSignature.Compute(Token, u, asStringValues) == candidate);
    }

    [Fact]
    public void JsonBodiesAgree()
    {
        var body = """{"property": "value", "boolean": true}""";
        const string url = "https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
        var sdk = new RequestValidator(Token);
        var ours = new TwilioSignature(Token);
        Assert.True(sdk.Validate(url, body, "a9nBmqA0ju/hNViExpshrM61xv4="));
        Assert.True(ours.IsValidWithBody(url, Encoding.UTF8.GetBytes(body), "a9nBmqA0ju/hNViExpshrM61xv4="));
        const string tampered = """{"property": "other", "boolean": true}""";
        Assert.False(sdk.Validate(url, tampered, "a9nBmqA0ju/hNViExpshrM61xv4="));
        Assert.False(ours.IsValidWithBody(url, Encoding.UTF8.GetBytes(tampered), "a9nBmqA0ju/hNViExpshrM61xv4="));
    }
}
