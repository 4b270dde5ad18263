using ContactCenter.Tests.Twilio;
using ContactCenter.Tests.Voice;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace ContactCenter.Tests.AgentVoice;

/// <summary>The voice service with agents' softphones configured: an API key, a TwiML App, recording on.</summary>
public class AgentVoiceFixture : VoiceFixture
{
    public const string ApiKeySid = "SK0123456789abcdef0123456789abcdef";
    /// <summary>32 characters, as Twilio's are (HS256 needs at least 256 bits).</summary>
    public const string ApiKeySecret = "s3cr3t-api-key-secret-0123456789";
    public const string TwimlAppSid = "AP0123456789abcdef0123456789abcdef";
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromMinutes(30);

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["Twilio:ApiKeySid"] = ApiKeySid,
        ["Twilio:ApiKeySecret"] = ApiKeySecret,
        ["Twilio:Voice:TwimlAppSid"] = TwimlAppSid,
        ["Twilio:Voice:TokenLifetime"] = TokenLifetime.ToString(),
        ["Twilio:Voice:Record"] = "true",
    };

    public const string RecordingSid = "RE0123456789abcdef0123456789abcdef";
    public static readonly byte[] RecordingAudio = [0x49, 0x44, 0x33, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x21, 0xff, 0xfb];

    /// <summary>Twilio's recording media, served only with the account's credentials.</summary>
    public override async Task InitializeAsync()
    {
        Twilio.Server.Given(Request.Create().WithPath($"/2010-04-01/Accounts/{TwilioFake.AccountSid}/Recordings/{RecordingSid}.mp3").UsingGet()
                .WithHeader("Authorization", TwilioFake.ExpectedAuthorization))
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "audio/mpeg").WithBody(RecordingAudio));
        await base.InitializeAsync();
    }
}
