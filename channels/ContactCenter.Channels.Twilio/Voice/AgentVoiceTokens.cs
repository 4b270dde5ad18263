using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Twilio.Jwt.AccessToken;

namespace ContactCenter.Channels.Twilio.Voice;

/// <summary>An agent's Twilio access token: <paramref name="Identity"/> is what <c>&lt;Dial&gt;&lt;Client&gt;</c> dials.</summary>
public sealed record AgentVoiceToken(string Token, string Identity, DateTimeOffset ExpiresAt);

/// <summary>
/// Access tokens for agents' softphones (Twilio Voice JavaScript SDK): a <see cref="VoiceGrant"/> that lets the
/// agent's client take calls (incoming) and place them through the TwiML App (outgoing), signed with an API key.
/// The identity is the agent id, the one the routing engine's <c>&lt;Dial&gt;&lt;Client&gt;</c> rings.
/// </summary>
public sealed partial class AgentVoiceTokens(IOptionsMonitor<TwilioOptions> twilio, IOptionsMonitor<VoiceOptions> voice, TimeProvider clock)
{
    /// <summary>Every setting a token needs, by its configuration key.</summary>
    public IReadOnlyList<string> MissingSettings()
    {
        var t = twilio.CurrentValue;
        var missing = new List<string>();
        if (string.IsNullOrWhiteSpace(t.AccountSid)) missing.Add("Twilio:AccountSid");
        if (string.IsNullOrWhiteSpace(t.ApiKeySid)) missing.Add("Twilio:ApiKeySid");
        if (string.IsNullOrWhiteSpace(t.ApiKeySecret)) missing.Add("Twilio:ApiKeySecret");
        if (string.IsNullOrWhiteSpace(voice.CurrentValue.TwimlAppSid)) missing.Add("Twilio:Voice:TwimlAppSid");
        return missing;
    }

    /// <returns>Null when a setting is missing (<see cref="MissingSettings"/> names it).</returns>
    public AgentVoiceToken? Issue(string agentId)
    {
        if (MissingSettings().Count > 0) return null;
        var t = twilio.CurrentValue;
        var v = voice.CurrentValue;
        var lifetime = v.TokenLifetime > TimeSpan.Zero ? v.TokenLifetime : TimeSpan.FromHours(1);
        var now = clock.GetUtcNow();
        // Whole seconds: the JWT's exp is, and the answer's expiresAt must be the same instant.
        var expires = DateTimeOffset.FromUnixTimeSeconds((now + lifetime).ToUnixTimeSeconds());
        var grant = new VoiceGrant { IncomingAllow = true, OutgoingApplicationSid = v.TwimlAppSid };
        var token = new Token(t.AccountSid, t.ApiKeySid, t.ApiKeySecret, agentId, expires.UtcDateTime, grants: [grant]);
        return new AgentVoiceToken(token.ToJwt(), agentId, expires);
    }

    /// <summary>Says at start-up what agents' voice still lacks, so an operator need not wait for the first 503.</summary>
    public void LogReadiness(ILogger log)
    {
        if (MissingSettings() is { Count: > 0 } missing) LogNotReady(log, string.Join(", ", missing));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Agents' softphones are off until these are configured: {Keys} (GET /api/agents/me/voice-token answers 503)")]
    private static partial void LogNotReady(ILogger log, string keys);
}
