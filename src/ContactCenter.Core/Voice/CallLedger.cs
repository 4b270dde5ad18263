using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Customers;
using ContactCenter.Core.Inbound;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Telemetry;
using ContactCenter.Core.Timeline;
using ContactCenter.Core.Work;
using Npgsql;

namespace ContactCenter.Core.Voice;

/// <summary>A phone call as the service tracks it: the conversation it belongs to and how far it got.</summary>
public sealed record VoiceCall(
    string CallSid, Guid ConversationId, Guid CustomerId, string Direction, string Caller, string? CompanyNumber, string? Language,
    DateTimeOffset StartedAt, string Status, string? Queue, DateTimeOffset? QueuedAt, string? VoicemailQueue, DateTimeOffset? VoicemailAt,
    string? AgentId, long? ConnectEventId, DateTimeOffset? ConnectedAt, DateTimeOffset? EndedAt, int? DurationSeconds)
{
    public const string Anonymous = "anonymous";
    public bool IsAnonymous => Caller == Anonymous;
}

/// <summary>A call's own event for the timeline; <see cref="DedupeKey"/> makes a provider's retry harmless.</summary>
public sealed record CallEvent(string Type, string DedupeKey, string Direction, JsonObject Data, string? Text = null, string? ProviderId = null);

/// <param name="Caller">The caller's E.164 number, or null when withheld or unparseable (a customer of its own).</param>
public sealed record IncomingCall(string CallSid, string? Caller, string? CompanyNumber, DateTimeOffset OccurredAt, JsonObject Data);

public sealed record CallStatusResult(VoiceCall Call, bool Advanced, bool Ended, string? Outcome = null);

/// <summary>
/// The calls table and the call events on the caller's voice conversation. Every write that lands on the
/// timeline goes through <see cref="TimelineStore"/> under the customer's lock, with a dedupe key, so a webhook
/// Twilio retries is stored once.
/// </summary>
public sealed class CallLedger(NpgsqlDataSource db, Inbox inbox, TimelineStore timeline, TimeProvider clock)
{
    public const string StartedDirectionCallback = "callback";
    public const string StartedDirectionOutbound = "outbound";
    // A customer merge may fold the call's conversation into the survivor's: reads follow it (one hop, the usual case;
    // timeline writes follow any chain through ConversationStore.LockForAppendAsync).
    private const string Columns = """
        call_sid, coalesce((select m.merged_into from conversations m where m.id = voice_calls.conversation_id), voice_calls.conversation_id), customer_id, direction, caller, company_number, language, started_at, status, queue, queued_at,
        voicemail_queue, voicemail_at, agent_id, connect_event_id, connected_at, ended_at, duration_seconds
        """;

    public static string StartedKey(string callSid) => $"twilio:{callSid}:call.started";

    /// <summary>
    /// The first webhook of a call: <c>call.started</c> on the caller's voice conversation (opened when there is
    /// none), once per CallSid. A withheld number gets a customer and conversation of its own, linked to nothing.
    /// </summary>
    public async Task<(VoiceCall Call, bool Duplicate)> StartInboundAsync(IncomingCall call, CancellationToken ct)
    {
        Guid customerId, conversationId;
        bool duplicate;
        if (call.Caller is { } caller)
        {
            var received = await inbox.ReceiveAsync(new InboundEvent
            {
                Channel = Channel.Voice,
                Address = caller,
                Provider = "twilio",
                ProviderEventId = call.CallSid,
                DedupeKey = StartedKey(call.CallSid),
                OccurredAt = call.OccurredAt,
                Type = TimelineEventTypes.CallStarted,
                Data = call.Data,
                CompanyAddress = call.CompanyNumber,
            }, ct);
            (customerId, conversationId, duplicate) = (received.CustomerId, received.ConversationId!.Value, received.Duplicate);
        }
        else
        {
            (customerId, conversationId, duplicate) = await StartAnonymousAsync(call, ct);
        }

        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql($"""
            with ins as (
                insert into voice_calls (call_sid, conversation_id, customer_id, direction, caller, company_number, started_at, status)
                values ($1, $2, $3, 'inbound', $4, $5, $6, 'ringing')
                on conflict (call_sid) do nothing
                returning {Columns})
            select * from ins
            union all
            select {Columns} from voice_calls where call_sid = $1 and not exists (select 1 from ins)
            """, call.CallSid, conversationId, customerId, call.Caller ?? VoiceCall.Anonymous, Db.Text(call.CompanyNumber), call.OccurredAt);
        return ((await ReadOneAsync(command, ct))!, duplicate);
    }

    private async Task<(Guid Customer, Guid Conversation, bool Duplicate)> StartAnonymousAsync(IncomingCall call, CancellationToken ct)
    {
        var key = StartedKey(call.CallSid);
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        if (await timeline.FindByDedupeKeyAsync(connection, key, ct) is { } seen) return (seen.CustomerId, seen.ConversationId!.Value, true);

        await using var tx = await connection.BeginTransactionAsync(ct);
        var customerId = Guid.CreateVersion7(now);
        var conversationId = Guid.CreateVersion7(now);
        await connection.Sql("insert into customers (id, created_at) values ($1, $2)", customerId, now).ExecuteNonQueryAsync(ct);
        await connection.Sql("""
            insert into conversations (id, customer_id, channel, customer_address, company_address, status, opened_at)
            values ($1, $2, 'voice', $3, $4, $5, $6)
            """, conversationId, customerId, VoiceCall.Anonymous, Db.Text(call.CompanyNumber), ConversationStatus.Open, now).ExecuteNonQueryAsync(ct);
        var id = await timeline.AppendAsync(connection, new NewTimelineEvent
        {
            CustomerId = customerId, ConversationId = conversationId, Channel = Channel.Voice, Type = TimelineEventTypes.CallStarted,
            Direction = Direction.Inbound, OccurredAt = call.OccurredAt, ProviderId = call.CallSid, DedupeKey = key, Data = call.Data,
        }, now, ct);
        if (id is null)
        {
            // The same webhook, delivered twice at once: the other delivery's customer stands.
            await tx.RollbackAsync(ct);
            var stored = await timeline.FindByDedupeKeyAsync(connection, key, ct) ?? throw new InvalidOperationException("A conflicting call vanished.");
            return (stored.CustomerId, stored.ConversationId!.Value, true);
        }

        await tx.CommitAsync(ct);
        return (customerId, conversationId, false);
    }

    /// <summary>A call the service placed (a callback): it belongs to the conversation that asked for it.</summary>
    public async Task<VoiceCall?> RegisterCallbackCallAsync(string callSid, Guid conversationId, string number, string? companyNumber, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.Sql("""
            insert into voice_calls (call_sid, conversation_id, customer_id, direction, caller, company_number, started_at, status)
            select $1, c.id, c.customer_id, 'callback', $3, $4, $5, 'queued' from conversations c where c.id = $2
            on conflict (call_sid) do nothing
            """, callSid, conversationId, number, Db.Text(companyNumber), clock.GetUtcNow()).ExecuteNonQueryAsync(ct);
        return await GetAsync(connection, callSid, ct);
    }

    /// <summary>
    /// A call an agent placed (the TwiML App's outbound URL): a call of the conversation that allowed it, with
    /// <c>call.started</c> (direction outbound) once per CallSid.
    /// </summary>
    public async Task<VoiceCall?> StartOutboundAsync(string callSid, Guid conversationId, string number, string companyNumber, string agentId, CancellationToken ct)
    {
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            await connection.Sql("""
                insert into voice_calls (call_sid, conversation_id, customer_id, direction, caller, company_number, started_at, status, agent_id)
                select $1, c.id, c.customer_id, 'outbound', $3, $4, $5, 'ringing', $6 from conversations c where c.id = $2
                on conflict (call_sid) do nothing
                """, callSid, conversationId, number, companyNumber, clock.GetUtcNow(), agentId).ExecuteNonQueryAsync(ct);
        }

        if (await GetAsync(callSid, ct) is not { } call) return null;
        await AppendAsync(call.ConversationId,
        [
            new CallEvent(TimelineEventTypes.CallStarted, StartedKey(callSid), Direction.Outbound,
                new JsonObject { ["callSid"] = callSid, ["direction"] = StartedDirectionOutbound, ["agentId"] = agentId }, ProviderId: callSid),
        ], ct);
        return call;
    }

    public async Task<VoiceCall?> GetAsync(string callSid, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await GetAsync(connection, callSid, ct);
    }

    /// <summary>The newest call of the conversation that is still on the line and waits in a queue.</summary>
    public async Task<VoiceCall?> LiveQueuedCallAsync(Guid conversationId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql($"""
            select {Columns} from voice_calls
            where conversation_id = $1 and ended_at is null and queued_at is not null
            order by started_at desc limit 1
            """, conversationId);
        return await ReadOneAsync(command, ct);
    }

    /// <summary>Appends the call's events to its conversation (following merges), each once.</summary>
    /// <returns>How many were new.</returns>
    public async Task<int> AppendAsync(Guid conversationId, IReadOnlyList<CallEvent> events, CancellationToken ct)
    {
        if (events.Count == 0) return 0;
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        return await TryAppendDirectAsync(connection, conversationId, events, now, ct) ?? await AppendLockedAsync(connection, conversationId, events, now, ct);
    }

    /// <summary>
    /// The common case in one statement (one transaction): the conversation was not merged, so its customer is
    /// share-locked (as every timeline write does) and the events inserted at once; reaction rows for the types
    /// some reaction wants. Null when the customer or conversation was merged away: the locked path follows it.
    /// </summary>
    private async Task<int?> TryAppendDirectAsync(
        NpgsqlConnection connection, Guid conversationId, IReadOnlyList<CallEvent> events, DateTimeOffset now, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { AppendDirectCommand(conversationId, events, now) } };
        await using var reader = await batch.ExecuteReaderAsync(ct);
        return await ReadAppendedAsync(reader, ct);
    }

    /// <summary>What <see cref="AppendDirectCommand"/> returned: null when the conversation or customer was merged away.</summary>
    internal static async Task<int?> ReadAppendedAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        await reader.ReadAsync(ct);
        return reader.GetInt32(0) == 0 ? null : reader.GetInt32(1);
    }

    /// <summary>The one statement of <see cref="TryAppendDirectAsync"/>, for a batch with the caller's other statements.</summary>
    internal NpgsqlBatchCommand AppendDirectCommand(Guid conversationId, IReadOnlyList<CallEvent> events, DateTimeOffset now)
    {
        var wanted = events.Select(e => e.Type).Distinct().Where(timeline.WantsReaction).ToArray();
        return Db.Batch($"""
            with conv as (select id, customer_id from conversations where id = $1 and merged_into is null),
            cust as (select id, merged_into from customers where id = (select customer_id from conv) for share),
            ins as (
                insert into timeline_events (customer_id, conversation_id, channel, type, direction, occurred_at, recorded_at,
                                             text, provider_id, dedupe_key, data)
                select cust.id, conv.id, 'voice', t.type, t.direction, $2, $2, t.text, t.provider_id, t.dedupe_key, t.data
                from cust, conv,
                     unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[])
                         with ordinality as t(type, direction, text, provider_id, dedupe_key, data, n)
                where cust.merged_into is null
                order by t.n
                on conflict (dedupe_key) do nothing
                returning id, customer_id, conversation_id, type, occurred_at),
            wanted as (select * from ins where type = any($9)),
            r as ({WorkStore.EventWorkSql("wanted", "$2", "$10")})
            select (select count(*) from cust where merged_into is null)::int, (select count(*) from ins)::int
            """, conversationId, now,
            events.Select(e => e.Type).ToArray(), events.Select(e => e.Direction).ToArray(), Texts(events.Select(e => e.Text)),
            Texts(events.Select(e => e.ProviderId)), events.Select(e => e.DedupeKey).ToArray(),
            new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Jsonb, Value = events.Select(e => e.Data.ToJsonString()).ToArray() },
            wanted, Db.Text(ContactCenterTelemetry.CurrentTraceParent()));
    }

    private static NpgsqlParameter Texts(IEnumerable<string?> values) =>
        new() { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text, Value = values.ToArray() };

    /// <summary><see cref="AppendAsync(Guid, IReadOnlyList{CallEvent}, CancellationToken)"/> in the caller's transaction.</summary>
    internal async Task<int> AppendInTxAsync(NpgsqlConnection connection, Guid conversationId, IReadOnlyList<CallEvent> events, CancellationToken ct)
    {
        if (events.Count == 0) return 0;
        var now = clock.GetUtcNow();
        return await TryAppendDirectAsync(connection, conversationId, events, now, ct) ?? await AppendFollowingMergesAsync(connection, conversationId, events, now, ct);
    }

    private async Task<int> AppendLockedAsync(
        NpgsqlConnection connection, Guid conversationId, IReadOnlyList<CallEvent> events, DateTimeOffset now, CancellationToken ct)
    {
        await using var tx = await connection.BeginTransactionAsync(ct);
        var added = await AppendFollowingMergesAsync(connection, conversationId, events, now, ct);
        await tx.CommitAsync(ct);
        return added;
    }

    /// <summary>The events on the conversation a merge folded this one into, under its lock (the caller's transaction).</summary>
    internal async Task<int> AppendFollowingMergesAsync(
        NpgsqlConnection connection, Guid conversationId, IReadOnlyList<CallEvent> events, DateTimeOffset now, CancellationToken ct)
    {
        if (await ConversationStore.LockForAppendAsync(connection, conversationId, ct) is not { } target) return 0;
        var added = 0;
        foreach (var e in events)
        {
            var id = await timeline.AppendAsync(connection, new NewTimelineEvent
            {
                CustomerId = target.CustomerId, ConversationId = target.ConversationId, Channel = Channel.Voice, Type = e.Type,
                Direction = e.Direction, OccurredAt = now, Text = e.Text, ProviderId = e.ProviderId, DedupeKey = e.DedupeKey, Data = e.Data,
            }, now, ct);
            if (id is not null) added++;
        }

        return added;
    }

    public async Task MarkQueuedAsync(string callSid, string queue, string? language, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await MarkQueuedAsync(connection, callSid, queue, language, ct);
    }

    internal async Task MarkQueuedAsync(NpgsqlConnection connection, string callSid, string queue, string? language, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { MarkQueuedCommand(callSid, queue, language) } };
        await batch.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The call marked as waiting in <paramref name="queue"/>, for a batch (it goes first in the queueing transaction).</summary>
    internal NpgsqlBatchCommand MarkQueuedCommand(string callSid, string queue, string? language) =>
        Db.Batch("""
            update voice_calls set queue = $2, queued_at = coalesce(queued_at, $3), language = coalesce($4, language) where call_sid = $1
            """, callSid, queue, clock.GetUtcNow(), Db.Text(language));

    /// <summary>The caller stops waiting on the line (they chose a callback): no redirect is tried for this call.</summary>
    public async Task LeftQueueAsync(string callSid, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.Sql("update voice_calls set queued_at = null where call_sid = $1", callSid).ExecuteNonQueryAsync(ct);
    }

    public async Task MarkVoicemailOfferedAsync(string callSid, string queue, string? language, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.Sql("update voice_calls set voicemail_queue = $2, language = coalesce($3, language) where call_sid = $1",
            callSid, queue, Db.Text(language)).ExecuteNonQueryAsync(ct);
    }

    /// <summary>Records that the live call was redirected to the agent for this assignment; false when it already was.</summary>
    public async Task<bool> MarkConnectingAsync(string callSid, string agentId, long assignedEvent, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.Sql("""
            update voice_calls set agent_id = $2, connect_event_id = $3
            where call_sid = $1 and connect_event_id is distinct from $3
            """, callSid, agentId, assignedEvent).ExecuteNonQueryAsync(ct) > 0;
    }

    /// <summary>The agent's leg answered: <c>call.connected</c> once per agent leg (it stops the voice response clock).</summary>
    public async Task<bool> ConnectedAsync(VoiceCall call, string agentId, string agentLegSid, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            await connection.Sql("update voice_calls set connected_at = coalesce(connected_at, $2), agent_id = $3 where call_sid = $1",
                call.CallSid, now, agentId).ExecuteNonQueryAsync(ct);
        }

        return await AppendAsync(call.ConversationId,
        [
            new CallEvent(TimelineEventTypes.CallConnected, $"twilio:{agentLegSid}:call.connected", Direction.Internal,
                new JsonObject { ["callSid"] = call.CallSid, ["agentId"] = agentId, ["agentCallSid"] = agentLegSid }, ProviderId: call.CallSid),
        ], ct) > 0;
    }

    /// <summary>
    /// A recording arrived (the Record action or the recording status callback, whichever comes first):
    /// <c>call.voicemail</c> once per recording.
    /// </summary>
    public async Task<bool> VoicemailAsync(VoiceCall call, string recordingSid, string? url, int? durationSeconds, CancellationToken ct)
    {
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            await connection.Sql("update voice_calls set voicemail_at = coalesce(voicemail_at, $2) where call_sid = $1",
                call.CallSid, clock.GetUtcNow()).ExecuteNonQueryAsync(ct);
        }

        return await AppendAsync(call.ConversationId,
        [
            new CallEvent(TimelineEventTypes.CallVoicemail, $"twilio:{recordingSid}:call.voicemail", Direction.Inbound,
                new JsonObject
                {
                    ["callSid"] = call.CallSid, ["recordingSid"] = recordingSid, ["recordingUrl"] = url, ["durationSeconds"] = durationSeconds,
                    ["queue"] = call.VoicemailQueue,
                }, "Voicemail", recordingSid),
        ], ct) > 0;
    }

    /// <summary>
    /// A status callback. Statuses apply in SequenceNumber order (a late, older one is ignored), and a call ends
    /// once: the first final status writes <c>call.ended</c> (status, duration) in the same transaction.
    /// </summary>
    public async Task<CallStatusResult?> RecordStatusAsync(
        string callSid, string status, int? sequence, int? durationSeconds, DateTimeOffset occurredAt, CancellationToken ct)
    {
        var final = CallStatuses.IsFinal(status);
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (await GetAsync(connection, callSid, ct) is not { } call) return null;
        if (await ConversationStore.LockForAppendAsync(connection, call.ConversationId, ct) is not { } target) return null;
        await using (var update = connection.Sql($"""
            update voice_calls set status = $2, status_sequence = coalesce($3, status_sequence),
                   ended_at = case when $4 then $5 else ended_at end,
                   duration_seconds = case when $4 then coalesce($6, greatest(0, extract(epoch from $5 - started_at))::int) else duration_seconds end
            where call_sid = $1 and ended_at is null and ($4 or $3::int is null or status_sequence < $3)
            returning {Columns}
            """, callSid, status, Int(sequence), final, now, Int(durationSeconds)))
        {
            if (await ReadOneAsync(update, ct) is not { } updated)
            {
                await tx.RollbackAsync(ct);
                return new CallStatusResult(call, false, false);
            }

            call = updated;
        }

        string? outcome = null;
        if (final)
        {
            outcome = await OutcomeAsync(connection, call, ct);
            await timeline.AppendAsync(connection, new NewTimelineEvent
            {
                CustomerId = target.CustomerId, ConversationId = target.ConversationId, Channel = Channel.Voice,
                Type = TimelineEventTypes.CallEnded, Direction = Direction.Internal, OccurredAt = occurredAt, ProviderId = callSid,
                DedupeKey = $"twilio:{callSid}:call.ended",
                Data = new JsonObject
                {
                    ["callSid"] = callSid, ["status"] = status, ["durationSeconds"] = call.DurationSeconds, ["direction"] = call.Direction,
                    ["queue"] = call.Queue, ["agentId"] = call.ConnectedAt is null ? null : call.AgentId,
                    ["outcome"] = outcome,
                },
            }, now, ct);
        }

        await tx.CommitAsync(ct);
        return new CallStatusResult(call, true, final, outcome);
    }

    /// <summary>
    /// Whether the call's end may close its conversation: nothing else on it still needs a person (another live
    /// call, a voicemail, a callback asked for, a call an agent already took).
    /// </summary>
    public async Task<bool> CanCloseAsync(VoiceCall ended, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql("""
            select not exists (select 1 from voice_calls
                               where conversation_id = $1
                                 and ((ended_at is null and call_sid <> $2) or voicemail_queue is not null or connected_at is not null))
               and not exists (select 1 from voice_callbacks where conversation_id = $1 and state in ('waiting', 'placing'))
            """, ended.ConversationId, ended.CallSid);
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>How the call ended for the contact center: what a supervisor reads on <c>call.ended</c>.</summary>
    private static async Task<string> OutcomeAsync(NpgsqlConnection connection, VoiceCall call, CancellationToken ct)
    {
        if (call.ConnectedAt is not null) return CallOutcomes.Connected;
        if (call.Direction == StartedDirectionCallback) return CallOutcomes.CallbackUnanswered;
        if (call.Direction == StartedDirectionOutbound) return CallOutcomes.OutboundUnanswered;
        if (call.VoicemailQueue is not null) return CallOutcomes.Voicemail;
        await using var callback = connection.Sql(
            "select 1 from voice_callbacks where conversation_id = $1 and state in ('waiting', 'placing')", call.ConversationId);
        if (await callback.ExecuteScalarAsync(ct) is not null) return CallOutcomes.CallbackRequested;
        return call.QueuedAt is not null ? CallOutcomes.Abandoned : CallOutcomes.EndedInIvr;
    }

    internal static NpgsqlParameter Int(int? value) =>
        new() { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer, Value = value is { } v ? v : DBNull.Value };

    internal static async Task<VoiceCall?> GetAsync(NpgsqlConnection connection, string callSid, CancellationToken ct)
    {
        await using var command = connection.Sql($"select {Columns} from voice_calls where call_sid = $1", callSid);
        return await ReadOneAsync(command, ct);
    }

    private static async Task<VoiceCall?> ReadOneAsync(NpgsqlCommand command, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new VoiceCall(reader.GetString(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetString(3), reader.GetString(4),
            reader.Nullable<string>(5), reader.Nullable<string>(6), reader.Instant(7), reader.GetString(8), reader.Nullable<string>(9),
            reader.NullableInstant(10), reader.Nullable<string>(11), reader.NullableInstant(12), reader.Nullable<string>(13),
            reader.Nullable<long?>(14), reader.NullableInstant(15), reader.NullableInstant(16), reader.Nullable<int?>(17));
    }
}
