using System.Text;
using ContactCenter.Channels.Twilio;
using Microsoft.Extensions.Primitives;

namespace ContactCenter.Tests.Twilio;

/// <summary>Every vector of shared/reference/PROVIDERS.md, plus the ways a forged request differs from them.</summary>
public class TwilioSignatureTests
{
    private const string Token = "12345";
    private const string Url = "https://mycompany.com/myapp.php?foo=1&bar=2";
    private static readonly TwilioSignature Validator = new(Token);

    private static readonly Dictionary<string, StringValues> CallParameters = new()
    {
        ["CallSid"] = "CA1234567890ABCDE",
        ["Caller"] = "+14158675309",
        ["Digits"] = "1234",
        ["From"] = "+14158675309",
        ["To"] = "+18005551212",
    };

    [Theory]
    [InlineData(Url, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")]
    [InlineData("https://mycompany.com:443/myapp.php?foo=1&bar=2", "kvajT1Ptam85bY51eRf/AJRuM3w=")]
    [InlineData("http://mycompany.com:80/myapp.php?foo=1&bar=2", "0ZXoZLH/DfblKGATFgpif+LLRf4=")]
    [InlineData("http://mycompany.com:1234/myapp.php?foo=1&bar=2", "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=")]
    [InlineData("https://MyCompany.com/myapp.php?foo=1&bar=2", "g9IN/x4Cft2g517EjYvEvM/W7LU=")]
    public void ComputesEachVector(string url, string expected)
    {
        Assert.Equal(expected, TwilioSignature.Compute(Token, url, CallParameters));
        Assert.True(Validator.IsValid(url, CallParameters, expected));
    }

    [Fact]
    public void AcceptsTheSignatureComputedWithTheDefaultPortOnTheUrlWithout()
    {
        // Twilio may sign https://host:443/… while the service knows https://host/…, and the other way round.
        Assert.True(Validator.IsValid(Url, CallParameters, "kvajT1Ptam85bY51eRf/AJRuM3w="));
        Assert.True(Validator.IsValid("https://mycompany.com:443/myapp.php?foo=1&bar=2", CallParameters, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
        Assert.True(Validator.IsValid("http://mycompany.com/myapp.php?foo=1&bar=2", CallParameters, "0ZXoZLH/DfblKGATFgpif+LLRf4="));
    }

    [Fact]
    public void ANonDefaultPortIsNeverDropped()
    {
        Assert.False(Validator.IsValid("http://mycompany.com/myapp.php?foo=1&bar=2", CallParameters, "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="));
        Assert.False(Validator.IsValid("http://mycompany.com:80/myapp.php?foo=1&bar=2", CallParameters, "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="));
    }

    [Fact]
    public void HostCaseIsPartOfTheSignedUrl()
    {
        Assert.False(Validator.IsValid(Url, CallParameters, "g9IN/x4Cft2g517EjYvEvM/W7LU="));
        Assert.False(Validator.IsValid("https://MyCompany.com/myapp.php?foo=1&bar=2", CallParameters, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
    }

    [Fact]
    public void RepeatedKeysContributeEveryValueSorted()
    {
        var parameters = new Dictionary<string, StringValues>
        {
            ["Sid"] = "CA123",
            ["SidAccount"] = "AC123",
            ["Digits"] = new(["5678", "1234"]),
        };
        Assert.Equal("IK+Dwps556ElfBT0I3Rgjkr1wJU=", TwilioSignature.Compute(Token, Url, parameters));
        Assert.True(Validator.IsValid(Url, parameters, "IK+Dwps556ElfBT0I3Rgjkr1wJU="));
        // The same pairs as a flat list, in the order a form carries them.
        Assert.Equal("IK+Dwps556ElfBT0I3Rgjkr1wJU=", TwilioSignature.Compute(Token, Url,
            [new KeyValuePair<string, string>("Digits", "5678"), new("Sid", "CA123"), new("Digits", "1234"), new("SidAccount", "AC123")]));
        // Only one of the repeated values: not the request that was signed.
        Assert.False(Validator.IsValid(Url, new Dictionary<string, StringValues> { ["Sid"] = "CA123", ["SidAccount"] = "AC123", ["Digits"] = "1234" },
            "IK+Dwps556ElfBT0I3Rgjkr1wJU="));
    }

    [Fact]
    public void AJsonBodyIsSignedOnTheUrlAndHashed()
    {
        var body = Encoding.UTF8.GetBytes("""{"property": "value", "boolean": true}""");
        const string url = Url + "&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
        Assert.Equal("a9nBmqA0ju/hNViExpshrM61xv4=", TwilioSignature.Compute(Token, url));
        Assert.True(Validator.IsValidWithBody(url, body, "a9nBmqA0ju/hNViExpshrM61xv4="));

        Assert.False(Validator.IsValidWithBody(url, Encoding.UTF8.GetBytes("""{"property": "other", "boolean": true}"""), "a9nBmqA0ju/hNViExpshrM61xv4="));
        Assert.False(Validator.IsValidWithBody(Url, body, TwilioSignature.Compute(Token, Url)));
    }

    [Fact]
    public void EveryParameterCountsAlsoUnknownOnes()
    {
        var extended = new Dictionary<string, StringValues>(CallParameters) { ["SomethingTwilioAddsLater"] = "x" };
        Assert.False(Validator.IsValid(Url, extended, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
        Assert.True(Validator.IsValid(Url, extended, TwilioSignature.Compute(Token, Url, extended)));

        var changed = new Dictionary<string, StringValues>(CallParameters) { ["Digits"] = "9999" };
        Assert.False(Validator.IsValid(Url, changed, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not base64 at all!")]
    [InlineData("RSOYDt4T1cUTdK1PDd93/VVr8B9=")] // the same bytes, not the canonical text
    [InlineData("RSOYDt4T1cUTdK1PDd93/VVr8B4=")]
    [InlineData("RSOYDt4T1cUTdK1PDd93/VVr8B8= trailing")]
    [InlineData("RSOYDt4T1cUTdK1PDd93")]
    public void MissingOrWrongSignaturesFail(string? signature) =>
        Assert.False(Validator.IsValid(Url, CallParameters, signature));

    [Fact]
    public void AnotherTokenOrUrlFails()
    {
        Assert.False(new TwilioSignature("54321").IsValid(Url, CallParameters, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
        Assert.False(Validator.IsValid("https://mycompany.com/myapp.php?foo=1&bar=3", CallParameters, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
        Assert.False(Validator.IsValid("https://mycompany.com/myapp.php?bar=2&foo=1", CallParameters, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
    }

    [Fact]
    public void AFragmentIsNotPartOfTheSignedUrl() =>
        Assert.True(Validator.IsValid(Url + "#rc=2&rp=all", CallParameters, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));

    [Theory]
    [InlineData("https://h.example/x", "https://h.example:443/x")]
    [InlineData("https://h.example:443/x?y=1", "https://h.example/x?y=1")]
    [InlineData("http://h.example?y=1", "http://h.example:80?y=1")]
    [InlineData("https://user:pw@h.example/x", "https://user:pw@h.example:443/x")]
    [InlineData("https://[::1]/x", "https://[::1]:443/x")]
    [InlineData("https://[::1]:443/x", "https://[::1]/x")]
    public void UrlFormsToggleTheDefaultPort(string url, string other) =>
        Assert.Equal([url, other], TwilioSignature.UrlForms(url));

    [Theory]
    [InlineData("https://h.example:8443/x")]
    [InlineData("ftp://h.example/x")]
    [InlineData("not a url")]
    public void UrlFormsKeepOtherUrlsAsTheyAre(string url) => Assert.Equal([url], TwilioSignature.UrlForms(url));
}
