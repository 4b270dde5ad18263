using System.Text.Json.Nodes;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Timeline;
using Npgsql;

namespace ContactCenter.Core.Voice;

/// <summary>A recording the service may play to agents: the conversation it is on.</summary>
public sealed record CallRecording(string RecordingSid, Guid ConversationId, string CallSid);

/// <summary>
/// Recordings of agents' calls (<c>Twilio:Voice:Record</c>): <c>call.recording</c> on the call's conversation, once
/// per recording, with the service's own URL to play it (<c>/api/recordings/{sid}</c>); the media stays at Twilio
/// and is fetched with the service's credentials when an agent plays it.
/// </summary>
public sealed class CallRecordings(NpgsqlDataSource db, CallLedger ledger)
{
    public static string PlayUrl(string recordingSid) => $"/api/recordings/{Uri.EscapeDataString(recordingSid)}";

    private static string Key(string recordingSid) => $"twilio:{recordingSid}:call.recording";

    /// <returns>True when the recording was new.</returns>
    public async Task<bool> RecordedAsync(VoiceCall call, string agentId, string recordingSid, int? durationSeconds, int? channels, CancellationToken ct) =>
        await ledger.AppendAsync(call.ConversationId,
        [
            new CallEvent(CallEventTypes.Recording, Key(recordingSid), Direction.Internal, new JsonObject
            {
                ["callSid"] = call.CallSid, ["agentId"] = agentId, ["recordingSid"] = recordingSid,
                ["durationSeconds"] = durationSeconds, ["channels"] = channels, ["url"] = PlayUrl(recordingSid),
            }, ProviderId: recordingSid),
        ], ct) > 0;

    /// <summary>
    /// Only recordings on a timeline can be played, an agent's call (<c>call.recording</c>) or a caller's voicemail
    /// (<c>call.voicemail</c>): the service is no open proxy to the Twilio account.
    /// </summary>
    public async Task<CallRecording?> FindAsync(string recordingSid, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql(
            "select conversation_id, data->>'callSid' from timeline_events where dedupe_key in ($1, $2) limit 1",
            Key(recordingSid), $"twilio:{recordingSid}:call.voicemail");
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) && !reader.IsDBNull(0) ? new CallRecording(recordingSid, reader.GetGuid(0), reader.GetString(1)) : null;
    }
}
