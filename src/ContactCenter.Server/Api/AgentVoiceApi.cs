using System.Security.Claims;
using ContactCenter.Channels.Twilio;
using ContactCenter.Channels.Twilio.Voice;
using ContactCenter.Core.Accounts;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Voice;
using ContactCenter.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ContactCenter.Server.Api;

/// <summary>An agent's softphone: the Twilio access token it registers with (docs/voice-agents.md).</summary>
public static class AgentVoiceApi
{
    public static IEndpointRouteBuilder MapAgentVoiceApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/agents/me/voice-token", Token).WithTags("Agents").RequireAuthorization(Policies.Agent)
            .WithSummary("A Twilio access token with a voice grant for the signed-in agent's softphone: { token, identity, expiresAt }");
        app.MapGet("/api/recordings/{sid}", PlayAsync).WithTags("Conversations").RequireAuthorization(Policies.Agent)
            .WithSummary("Plays a call recording on a timeline (call.recording): the service fetches it from Twilio with its own credentials");
        var log = app.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AgentVoiceApi));
        app.ServiceProvider.GetRequiredService<AgentVoiceTokens>().LogReadiness(log);
        return app;
    }

    private static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> PlayAsync(
        string sid, CallRecordings recordings, TwilioRestClient twilio, HttpContext http, AuditTrail audit, ConversationVisibility visibility,
        CancellationToken ct)
    {
        if (!sid.StartsWith("RE", StringComparison.Ordinal) || sid.Length > 64 || !sid.All(char.IsAsciiLetterOrDigit)
            || await recordings.FindAsync(sid, ct) is not { } recording
            || (http.User.ScopeOf() is { } scope && !await visibility.ConversationAsync(scope, recording.ConversationId, ct)))
            return Problems.NotFound($"No recording '{sid}' on any timeline.");
        HttpResponseMessage? answer;
        try
        {
            answer = await twilio.FetchRecordingAsync(sid, ct);
        }
        catch (HttpRequestException)
        {
            return TypedResults.Problem("Twilio could not be reached for the recording.", statusCode: 502, title: "Recording unavailable");
        }

        if (answer is null) return TypedResults.Problem("Twilio is not configured.", statusCode: 503, title: "Recording unavailable");
        http.Response.RegisterForDispose(answer);
        if (!answer.IsSuccessStatusCode)
            return TypedResults.Problem($"Twilio answered {(int)answer.StatusCode} for the recording.", statusCode: 502, title: "Recording unavailable");
        await audit.RecordAsync(http, AuditActions.RecordingRead, "recording", sid);
        return TypedResults.Stream(await answer.Content.ReadAsStreamAsync(ct), answer.Content.Headers.ContentType?.ToString() ?? "audio/mpeg");
    }

    private static Results<Ok<AgentVoiceToken>, ProblemHttpResult> Token(ClaimsPrincipal user, AgentVoiceTokens tokens)
    {
        if (user.FindFirstValue(Roles.AgentIdClaim) is not { Length: > 0 } agentId)
            return TypedResults.Problem("This key or sign-in has no agent id: only agents take calls.", statusCode: 403, title: "Not an agent");
        if (tokens.Issue(agentId) is { } token) return TypedResults.Ok(token);
        var missing = tokens.MissingSettings();
        return TypedResults.Problem($"Agents' voice is not configured: set {string.Join(", ", missing)}.", statusCode: 503,
            title: "Voice not configured", extensions: new Dictionary<string, object?> { ["missing"] = missing });
    }
}
