using System.Text.Json.Nodes;
using ContactCenter.Core.Storage;
using ContactCenter.Tests.Routing;
using ContactCenter.Tests.Twilio;

namespace ContactCenter.Tests.Voice;

public static class VoiceKit
{
    /// <summary>The voice conversation a call belongs to (withheld callers have no address to look up).</summary>
    public static async Task<Guid> ConversationOfAsync(this VoiceFixture fx, TwimlCaller caller)
    {
        await using var connection = await fx.Db.OpenConnectionAsync();
        return (Guid)(await connection.Sql("select conversation_id from voice_calls where call_sid = $1", caller.CallSid).ExecuteScalarAsync())!;
    }

    public static async Task<List<string>> EventTypesAsync(this VoiceFixture fx, Guid conversationId) =>
        (await fx.App.EventsAsync(conversationId)).Select(e => e["type"]!.GetValue<string>()).ToList();

    /// <summary>Waits until the fake Twilio API received a request to the Calls resource matching the condition.</summary>
    public static async Task<TwilioCall> CallRequestAsync(this VoiceFixture fx, Func<TwilioCall, bool> match, string what)
    {
        TwilioCall? found = null;
        await TestSupport.EventuallyAsync(() => Task.FromResult((found = fx.CallRequests.FirstOrDefault(match)) is not null), what,
            TimeSpan.FromSeconds(30));
        return found!;
    }

    public static string RedirectPath(string callSid) => $"{VoiceFixture.CallsPrefix}/{callSid}.json";

    /// <summary>Twilio answers the agent's client leg: the "answered" status callback the Client noun asked for.</summary>
    public static async Task AgentAnswersAsync(this TwimlCaller caller, string agentLegSid)
    {
        var client = caller.Verb("Client") ?? throw new Xunit.Sdk.XunitException($"No Client in:\n{caller.Twiml}");
        Assert.Equal("answered", client.Attribute("statusCallbackEvent")?.Value);
        await caller.NotifyAsync(client.Attribute("statusCallback")!.Value,
            [new("CallStatus", "in-progress"), new("ParentCallSid", caller.CallSid), new("Direction", "outbound-dial")], agentLegSid);
    }

    public static string Data(this JsonNode e, string name) => e["data"]![name]!.ToString();
}

public static class VoiceDb
{
    public static async Task<object?> CountScalarAsync(this VoiceFixture fx, string sql, params object[] args)
    {
        await using var connection = await fx.Db.OpenConnectionAsync();
        return await ContactCenter.Core.Storage.Db.Sql(connection, sql, args).ExecuteScalarAsync();
    }
}

