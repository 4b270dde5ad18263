using System.Text.Json.Nodes;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Timeline;
using Npgsql;

namespace ContactCenter.Core.Voice;

/// <summary>
/// Wrap-up time: after an agent's call the conversation stays open for notes, and when it is resolved the time from
/// hang-up to resolve goes on the timeline as <c>call.wrap_up</c> (<c>seconds</c>, <c>agentId</c>, <c>callSid</c>),
/// once per call: the first resolve after the call ends it. Reports read it from there.
/// </summary>
public sealed class CallWrapUps(NpgsqlDataSource db, CallLedger ledger)
{
    public async Task RecordAsync(Guid conversationId, DateTimeOffset resolvedAt, CancellationToken ct)
    {
        string callSid, agentId;
        DateTimeOffset endedAt;
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            await using var command = connection.Sql("""
                select call_sid, agent_id, ended_at from voice_calls
                where conversation_id = $1 and connected_at is not null and agent_id is not null and ended_at is not null and ended_at <= $2
                order by ended_at desc limit 1
                """, conversationId, resolvedAt);
            await using var reader = await command.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return;
            (callSid, agentId, endedAt) = (reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2));
        }

        await ledger.AppendAsync(conversationId,
        [
            new CallEvent(CallEventTypes.WrapUp, $"twilio:{callSid}:call.wrap_up", Direction.Internal, new JsonObject
            {
                ["callSid"] = callSid, ["agentId"] = agentId, ["endedAt"] = endedAt, ["resolvedAt"] = resolvedAt,
                ["seconds"] = Math.Max(0, (int)Math.Round((resolvedAt - endedAt).TotalSeconds)),
            }, ProviderId: callSid),
        ], ct);
    }
}
