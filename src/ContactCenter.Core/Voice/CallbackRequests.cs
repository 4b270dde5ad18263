using ContactCenter.Core.Storage;
using Npgsql;

namespace ContactCenter.Core.Voice;

public sealed record CallbackRequest(
    Guid ConversationId, string RequestedBy, string Number, string? CompanyNumber, string Queue, string State, string? AgentId,
    long? AssignedEvent, int Attempts, string? CallSid, string? LastError);

/// <summary>The claim a callback job holds while it calls Twilio: which attempt this is.</summary>
public sealed record CallbackClaim(CallbackRequest Request, int Attempt);

/// <summary>
/// "Call me back" requests, one per conversation: waiting (the conversation keeps its place in the queue),
/// placing (an agent got it; a job calls Twilio, retrying what is temporary), placed, or failed.
/// </summary>
public sealed class CallbackRequests(NpgsqlDataSource db, TimeProvider clock)
{
    private const string Columns = "conversation_id, requested_by, number, company_number, queue, state, agent_id, assigned_event, attempts, call_sid, last_error";

    /// <returns>False when the conversation already had a waiting request (a retried webhook).</returns>
    public async Task<bool> RequestAsync(Guid conversationId, string callSid, string number, string? companyNumber, string queue, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.Sql("""
            insert into voice_callbacks (conversation_id, requested_by, number, company_number, queue, requested_at, state, updated_at)
            values ($1, $2, $3, $4, $5, $6, 'waiting', $6)
            on conflict (conversation_id) do update set requested_by = excluded.requested_by, number = excluded.number,
                company_number = excluded.company_number, queue = excluded.queue, requested_at = excluded.requested_at, state = 'waiting',
                agent_id = null, assigned_event = null, attempts = 0, lease_until = null, call_sid = null, last_error = null,
                updated_at = excluded.updated_at
            where voice_callbacks.state in ('placed', 'failed')
            """, conversationId, callSid, number, Db.Text(companyNumber), queue, now).ExecuteNonQueryAsync(ct) > 0;
    }

    public async Task<CallbackRequest?> GetAsync(Guid conversationId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql($"select {Columns} from voice_callbacks where conversation_id = $1", conversationId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    /// <summary>
    /// An agent got the conversation: the waiting request moves to placing for that assignment. True also when it
    /// already did for the same assignment (a reaction that runs again must still make sure the job exists).
    /// </summary>
    public async Task<bool> AssignAsync(Guid conversationId, string agentId, long assignedEvent, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql("""
            update voice_callbacks set state = 'placing', agent_id = $2, assigned_event = $3, attempts = 0, updated_at = $4
            where conversation_id = $1 and state = 'waiting'
            returning 1
            """, conversationId, agentId, assignedEvent, clock.GetUtcNow());
        if (await command.ExecuteScalarAsync(ct) is not null) return true;
        await using var again = connection.Sql(
            "select 1 from voice_callbacks where conversation_id = $1 and state = 'placing' and assigned_event = $2 and attempts = 0",
            conversationId, assignedEvent);
        return await again.ExecuteScalarAsync(ct) is not null;
    }

    /// <summary>Takes the request for one attempt (a lease, so a duplicate job waits its turn or does nothing).</summary>
    public async Task<CallbackClaim?> ClaimAsync(Guid conversationId, long assignedEvent, TimeSpan lease, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql($"""
            update voice_callbacks set attempts = attempts + 1, lease_until = $3, updated_at = $4
            where conversation_id = $1 and assigned_event = $2 and state = 'placing' and (lease_until is null or lease_until < $4)
            returning {Columns}
            """, conversationId, assignedEvent, now + lease, now);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        var request = Read(reader);
        return new CallbackClaim(request, request.Attempts);
    }

    public Task PlacedAsync(Guid conversationId, string callSid, CancellationToken ct) =>
        SetAsync(conversationId, "placed", callSid, null, ct);

    public Task FailedAsync(Guid conversationId, string error, CancellationToken ct) => SetAsync(conversationId, "failed", null, error, ct);

    /// <summary>A temporary failure: the lease is given back so the scheduled retry can claim it.</summary>
    public async Task RetryLaterAsync(Guid conversationId, string error, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.Sql("update voice_callbacks set lease_until = null, last_error = $2, updated_at = $3 where conversation_id = $1",
            conversationId, error, clock.GetUtcNow()).ExecuteNonQueryAsync(ct);
    }

    private async Task SetAsync(Guid conversationId, string state, string? callSid, string? error, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.Sql("""
            update voice_callbacks set state = $2, call_sid = coalesce($3, call_sid), last_error = $4, lease_until = null, updated_at = $5
            where conversation_id = $1
            """, conversationId, state, Db.Text(callSid), Db.Text(error), clock.GetUtcNow()).ExecuteNonQueryAsync(ct);
    }

    private static CallbackRequest Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.Nullable<string>(3), reader.GetString(4), reader.GetString(5),
        reader.Nullable<string>(6), reader.Nullable<long?>(7), reader.GetInt32(8), reader.Nullable<string>(9), reader.Nullable<string>(10));
}

/// <summary>Call events beyond the contract's list (dotted, like the rest).</summary>
public static class CallEventTypes
{
    public const string CallbackRequested = "call.callback_requested";
    public const string CallbackPlaced = "call.callback_placed";
    public const string CallbackFailed = "call.callback_failed";
    /// <summary>The agent's client did not answer: the caller went back to the queue.</summary>
    public const string AgentMissed = "call.agent_missed";
    /// <summary>Redirecting the live call to the agent failed for good (the caller had hung up, a bad request).</summary>
    public const string ConnectFailed = "call.connect_failed";
    /// <summary>An agent's call was recorded (both parties, two channels): the desk plays it through the service.</summary>
    public const string Recording = "call.recording";
    /// <summary>After an agent's call, the time from hang-up to resolve (<c>seconds</c>): reports read it from here.</summary>
    public const string WrapUp = "call.wrap_up";
}
