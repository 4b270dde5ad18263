using System.IdentityModel.Tokens.Jwt;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ContactCenter.Tests.Twilio;
using ContactCenter.Tests.Voice;
using Microsoft.IdentityModel.Tokens;

namespace ContactCenter.Tests.AgentVoice;

/// <summary>GET /api/agents/me/voice-token: a Twilio access token the Voice JavaScript SDK registers with.</summary>
public class VoiceTokenTests(AgentVoiceFixture fx) : IClassFixture<AgentVoiceFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetCallAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task AnAgentGetsASignedTokenWithAVoiceGrantForTheirIdentity()
    {
        var before = DateTimeOffset.UtcNow;
        var answer = await fx.App.Agent().GetJsonAsync("/api/agents/me/voice-token");
        var after = DateTimeOffset.UtcNow;
        Assert.Equal(ContactCenterApp.AgentId, answer["identity"]!.GetValue<string>());
        var jwt = answer["token"]!.GetValue<string>();

        var validation = new TokenValidationParameters
        {
            ValidIssuer = AgentVoiceFixture.ApiKeySid,
            ValidateAudience = false,
            IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(AgentVoiceFixture.ApiKeySecret)),
            ClockSkew = TimeSpan.Zero,
        };
        var handler = new JwtSecurityTokenHandler { MapInboundClaims = false };
        handler.ValidateToken(jwt, validation, out var validated);
        var token = Assert.IsType<JwtSecurityToken>(validated);
        Assert.Equal("HS256", token.Header.Alg);
        Assert.Equal("twilio-fpa;v=1", token.Header.Cty);
        Assert.Equal(AgentVoiceFixture.ApiKeySid, token.Issuer);
        Assert.Equal(TwilioFake.AccountSid, token.Subject);

        var payload = JsonNode.Parse(Base64UrlEncoder.Decode(token.RawPayload))!;
        var grants = payload["grants"]!;
        Assert.Equal(ContactCenterApp.AgentId, grants["identity"]!.GetValue<string>());
        Assert.True(grants["voice"]!["incoming"]!["allow"]!.GetValue<bool>());
        Assert.Equal(AgentVoiceFixture.TwimlAppSid, grants["voice"]!["outgoing"]!["application_sid"]!.GetValue<string>());

        var expires = DateTimeOffset.FromUnixTimeSeconds(payload["exp"]!.GetValue<long>());
        Assert.InRange(expires, before + AgentVoiceFixture.TokenLifetime - TimeSpan.FromSeconds(2), after + AgentVoiceFixture.TokenLifetime + TimeSpan.FromSeconds(1));
        Assert.Equal(expires, DateTimeOffset.Parse(answer["expiresAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));

        // Signed with the configured secret, and with nothing else.
        validation.IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes("another-secret-of-32-characters!"));
        Assert.ThrowsAny<SecurityTokenInvalidSignatureException>(() => handler.ValidateToken(jwt, validation, out _));
    }

    [Fact]
    public async Task EachAgentIsTheirOwnIdentity()
    {
        var answer = await fx.App.ClientWithKey(ContactCenterApp.Agent2Key).GetJsonAsync("/api/agents/me/voice-token");
        Assert.Equal(ContactCenterApp.Agent2Id, answer["identity"]!.GetValue<string>());
        var token = new JwtSecurityTokenHandler().ReadJwtToken(answer["token"]!.GetValue<string>());
        Assert.Equal(ContactCenterApp.Agent2Id, JsonNode.Parse(Base64UrlEncoder.Decode(token.RawPayload))!["grants"]!["identity"]!.GetValue<string>());
    }

    [Fact]
    public async Task WithoutAKeyIs401AndWithoutAnAgentIdIs403()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await fx.App.ClientWithKey(null).GetAsync("/api/agents/me/voice-token")).StatusCode);
        await (await fx.App.Supervisor().GetAsync("/api/agents/me/voice-token")).ProblemAsync(HttpStatusCode.Forbidden);
    }
}

/// <summary>The same service without an API key or TwiML App: the token endpoint says which keys are missing.</summary>
public class VoiceTokenNotConfiguredTests(VoiceFixture fx) : IClassFixture<VoiceFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetCallAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task MissingSettingsAre503NamingTheKeys()
    {
        var problem = await (await fx.App.Agent().GetAsync("/api/agents/me/voice-token")).ProblemAsync(HttpStatusCode.ServiceUnavailable);
        var missing = problem["missing"]!.AsArray().Select(k => k!.GetValue<string>()).ToList();
        Assert.Equal(["Twilio:ApiKeySid", "Twilio:ApiKeySecret", "Twilio:Voice:TwimlAppSid"], missing);
        foreach (var key in missing) Assert.Contains(key, problem["detail"]!.GetValue<string>());
    }
}
