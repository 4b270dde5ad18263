using System.Collections.Immutable;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Telemetry;
using Npgsql;

namespace ContactCenter.Core.Flows;

/// <summary>A call's or conversation's place in its flow, as stored, with the output of its last turn.</summary>
public sealed record FlowSession(
    string Key, FlowState State, FlowStep LastStep, int Version, DateTimeOffset StartedAt, DateTimeOffset UpdatedAt, DateTimeOffset? EndedAt)
{
    public string Flow => State.Flow;
    public bool Ended => State.Wait == FlowWait.Ended;
}

/// <summary>What became of a start or a step.</summary>
public abstract record FlowTurnResult
{
    /// <summary>This request moved the session; <c>Session.LastStep</c> is its turn, to be rendered.</summary>
    public sealed record Advanced(FlowSession Session) : FlowTurnResult;
    /// <summary>A start for a session that is already running (a retried first webhook): nothing changed.</summary>
    public sealed record Existing(FlowSession Session) : FlowTurnResult;
    /// <summary>Another request advanced the session first, or <c>expectedVersion</c> was stale: this input was not applied.</summary>
    public sealed record Conflict(FlowSession Current) : FlowTurnResult;
    /// <summary>The input does not fit where the session stands (it ended; a key while a lookup runs).</summary>
    public sealed record Rejected(FlowSession Current, string Reason) : FlowTurnResult;
    public sealed record NotFound(string Key) : FlowTurnResult;
}

/// <summary>
/// Flow sessions in PostgreSQL, for the voice webhooks (keyed by CallSid) and the bot (keyed by conversation id).
/// A turn reads the session, runs the engine (and any lookups) outside a transaction, then writes only if the
/// version is still the one it read. Two webhooks for one call therefore never both advance it: the loser gets
/// <see cref="FlowTurnResult.Conflict"/> with the current session, and may render its last step again.
/// </summary>
public sealed class FlowSessionStore(NpgsqlDataSource db, FlowCatalog catalog, FlowDriver driver, TimeProvider clock)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // jsonb keeps keys in its own order, so the "type" discriminator may not come first.
        AllowOutOfOrderMetadataProperties = true,
    };

    /// <summary>What a write returns: only what the database decided; the rest is the step just written.</summary>
    private const string Written = "version, started_at, updated_at, ended_at";

    /// <summary>A new session, left alone when one exists; <paramref name="version"/> counts the turns already taken.</summary>
    private static string InsertSql(int version) => $"""
        insert into flow_sessions (session_key, flow, node, language, waiting, attempts, variables, last_step, version, started_at, updated_at, ended_at)
        values ($1, $2, $3, $4, $5, $6, $7, $8, {version}, $9, $9, $10)
        on conflict (session_key) do nothing
        returning {Written}
        """;

    private const string Columns = "session_key, flow, node, language, waiting, attempts, variables::text, last_step::text, version, started_at, updated_at, ended_at";

    /// <summary>Starts <paramref name="flowName"/> for a session key; a running session is left alone (Existing),
    /// an ended one is started afresh.</summary>
    public async Task<FlowTurnResult> StartAsync(string key, string flowName, FlowStart start, CancellationToken ct)
    {
        using var activity = StartTurn("start", flowName);
        // New sessions are the common case: one round trip. The first turn is computed before knowing; for the
        // rare retried start it is thrown away.
        var step = await driver.StartAsync(catalog.Get(flowName), start, ct);
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using (var insert = connection.Sql(InsertSql(version: 1), Values(key, step, now)))
        {
            if (await ReadWrittenAsync(insert, key, step, ct) is { } started) return new FlowTurnResult.Advanced(started);
        }

        if (await GetAsync(connection, key, ct) is not { } existing) return new FlowTurnResult.NotFound(key);
        if (!existing.Ended) return new FlowTurnResult.Existing(existing);
        await using var restart = connection.Sql($"""
            update flow_sessions set flow = $2, node = $3, language = $4, waiting = $5, attempts = $6, variables = $7, last_step = $8,
                version = version + 1, started_at = $9, updated_at = $9, ended_at = $10
            where session_key = $1 and version = $11
            returning {Written}
            """, [.. Values(key, step, now), existing.Version]);
        if (await ReadWrittenAsync(restart, key, step, ct) is { } restarted) return new FlowTurnResult.Advanced(restarted);
        return await GetAsync(connection, key, ct) is { } current ? new FlowTurnResult.Existing(current) : new FlowTurnResult.NotFound(key);
    }

    /// <summary>
    /// Starts a session and feeds the first step the input <paramref name="then"/> gives for it (the bot: a first message
    /// that already says what the customer wants answers the greeting's question), written once. Null from
    /// <paramref name="then"/>: only started. A session that exists, or an input the step refuses, goes the long way:
    /// <see cref="StartAsync"/>, then <see cref="StepAsync"/>. Returns the started step too (its prompts come first).
    /// </summary>
    public async Task<(FlowTurnResult Result, FlowStep? Started)> StartThenStepAsync(
        string key, string flowName, FlowStart start, Func<FlowStep, FlowInput?> then, CancellationToken ct)
    {
        var flow = catalog.Get(flowName);
        var started = await driver.StartAsync(flow, start, ct);
        if (then(started) is not { } input) return (await StartAsync(key, flowName, start, ct), null);
        FlowStep stepped;
        try
        {
            stepped = await driver.StepAsync(flow, started.State, input, ct);
        }
        catch (FlowInputException)
        {
            return await LongWayAsync();
        }

        using (StartTurn("start", flowName))
        {
            var now = clock.GetUtcNow();
            await using var connection = await db.OpenConnectionAsync(ct);
            // Version 2: two turns, as if started and stepped one after the other.
            await using var insert = connection.Sql(InsertSql(version: 2), Values(key, stepped, now));
            if (await ReadWrittenAsync(insert, key, stepped, ct) is { } written) return (new FlowTurnResult.Advanced(written), started);
        }

        return await LongWayAsync();

        async Task<(FlowTurnResult, FlowStep?)> LongWayAsync()
        {
            var result = await StartAsync(key, flowName, start, ct);
            if (result is not FlowTurnResult.Advanced { Session: var session }) return (result, null);
            return then(session.LastStep) is { } again
                ? (await StepAsync(key, again, session.Version, ct), session.LastStep)
                : (result, null);
        }
    }

    /// <summary>Feeds the caller's input (or an action's result) to the session.</summary>
    /// <param name="expectedVersion">The version the input answers (e.g. carried in the webhook's action URL);
    /// null: whatever version is read now.</param>
    public async Task<FlowTurnResult> StepAsync(string key, FlowInput input, int? expectedVersion, CancellationToken ct)
    {
        using var activity = StartTurn("step", null);
        return Outcome(activity, await AdvanceAsync(key, expectedVersion, (flow, state) => driver.StepAsync(flow, state, input, ct), ct));
    }

    /// <summary>Continues a session at a named node (the bot taking a conversation back from an agent).</summary>
    public async Task<FlowTurnResult> ResumeAtAsync(string key, string node, int? expectedVersion, CancellationToken ct)
    {
        using var activity = StartTurn("resume", null);
        return Outcome(activity, await AdvanceAsync(key, expectedVersion, (flow, state) => driver.ResumeAtAsync(flow, state, node, ct), ct));
    }

    /// <summary>One span per turn (lookups it makes are its children); tags carry flow and node names, never input.</summary>
    private static Activity? StartTurn(string kind, string? flow)
    {
        var activity = ContactCenterTelemetry.Source.StartActivity("flow.turn");
        activity?.SetTag("contactcenter.flow.turn", kind);
        if (flow is not null) activity?.SetTag("contactcenter.flow", flow);
        return activity;
    }

    private static FlowTurnResult Outcome(Activity? activity, FlowTurnResult result)
    {
        if (activity is null) return result;
        activity.SetTag("contactcenter.flow.result", result.GetType().Name.ToLowerInvariant());
        if (result is FlowTurnResult.Advanced advanced)
        {
            activity.SetTag("contactcenter.flow", advanced.Session.Flow);
            activity.SetTag("contactcenter.flow.node", advanced.Session.State.Node);
        }

        return result;
    }

    public async Task<FlowSession?> GetAsync(string key, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await GetAsync(connection, key, ct);
    }

    private static async Task<FlowSession?> GetAsync(NpgsqlConnection connection, string key, CancellationToken ct)
    {
        await using var command = connection.Sql($"select {Columns} from flow_sessions where session_key = $1", key);
        return await ReadOneAsync(command, ct);
    }

    private async Task<FlowTurnResult> AdvanceAsync(string key, int? expectedVersion, Func<Flow, FlowState, Task<FlowStep>> turn, CancellationToken ct)
    {
        // Only the state is read here; the last step (for re-rendering) is read when a refusal returns the session.
        // No connection is held while the turn runs: its lookups may take seconds.
        (FlowState State, int Version)? read;
        await using (var connection = await db.OpenConnectionAsync(ct))
        await using (var select = connection.Sql("select flow, node, language, waiting, attempts, variables::text, version from flow_sessions where session_key = $1", key))
        await using (var reader = await select.ExecuteReaderAsync(ct))
        {
            read = await reader.ReadAsync(ct) ? (ReadState(reader, 0), reader.GetInt32(6)) : null;
        }

        if (read is not { } found) return new FlowTurnResult.NotFound(key);
        var (state, version) = found;
        if (expectedVersion is { } expected && expected != version) return await RefusedAsync(key, null, ct);
        if (catalog.Find(state.Flow) is not { } flow) return await RefusedAsync(key, $"The flow '{state.Flow}' is no longer loaded.", ct);

        FlowStep step;
        try
        {
            step = await turn(flow, state);
        }
        catch (FlowInputException e)
        {
            return await RefusedAsync(key, e.Message, ct);
        }

        await using (var connection = await db.OpenConnectionAsync(ct))
        await using (var command = connection.Sql($"""
            update flow_sessions set flow = $2, node = $3, language = $4, waiting = $5, attempts = $6, variables = $7, last_step = $8,
                version = version + 1, updated_at = $9, ended_at = $10
            where session_key = $1 and version = $11
            returning {Written}
            """, [.. Values(key, step, clock.GetUtcNow()), version]))
        {
            if (await ReadWrittenAsync(command, key, step, ct) is { } advanced) return new FlowTurnResult.Advanced(advanced);
        }

        return await RefusedAsync(key, null, ct);
    }

    /// <summary>A conflict (no reason) or a rejection, carrying the session as it stands now.</summary>
    private async Task<FlowTurnResult> RefusedAsync(string key, string? reason, CancellationToken ct)
    {
        if (await GetAsync(key, ct) is not { } current) return new FlowTurnResult.NotFound(key);
        return reason is null ? new FlowTurnResult.Conflict(current) : new FlowTurnResult.Rejected(current, reason);
    }

    private static object?[] Values(string key, FlowStep step, DateTimeOffset now)
    {
        var state = step.State;
        return
        [
            key, state.Flow, state.Node, state.Language, WaitName(state.Wait), state.Attempts,
            Db.Jsonb(JsonSerializer.Serialize(state.Variables, Json)),
            Db.Jsonb(JsonSerializer.Serialize(new StoredStep(step.Prompts, step.Expect, step.Actions, step.Events), Json)),
            now, Db.Timestamp(state.Wait == FlowWait.Ended ? now : null),
        ];
    }

    private static async Task<FlowSession?> ReadOneAsync(NpgsqlCommand command, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        var state = ReadState(reader, 1);
        var stored = JsonSerializer.Deserialize<StoredStep>(reader.GetString(7), Json)
                     ?? throw new InvalidOperationException($"Flow session {reader.GetString(0)} has no last step.");
        var step = new FlowStep(state, stored.Prompts, stored.Expect, stored.Actions, stored.Events);
        return new FlowSession(reader.GetString(0), state, step, reader.GetInt32(8), reader.Instant(9), reader.Instant(10), reader.NullableInstant(11));
    }

    /// <summary>flow, node, language, waiting, attempts, variables from column <paramref name="first"/> on.</summary>
    private static FlowState ReadState(NpgsqlDataReader reader, int first)
    {
        var variables = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(reader.GetString(first + 5), Json) ?? [];
        return new FlowState
        {
            Flow = reader.GetString(first),
            Node = reader.GetString(first + 1),
            Language = reader.GetString(first + 2),
            Wait = reader.GetString(first + 3) switch { "input" => FlowWait.Input, "action" => FlowWait.Action, _ => FlowWait.Ended },
            Attempts = reader.GetInt32(first + 4),
            Variables = variables.ToImmutableDictionary(StringComparer.Ordinal),
        };
    }

    private static async Task<FlowSession?> ReadWrittenAsync(NpgsqlCommand command, string key, FlowStep step, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new FlowSession(key, step.State, step, reader.GetInt32(0), reader.Instant(1), reader.Instant(2), reader.NullableInstant(3));
    }

    private static string WaitName(FlowWait wait) => wait switch
    {
        FlowWait.Input => "input",
        FlowWait.Action => "action",
        _ => "ended",
    };

    private sealed record StoredStep(
        IReadOnlyList<FlowPrompt> Prompts, FlowExpectation? Expect, IReadOnlyList<FlowAction> Actions, IReadOnlyList<FlowEvent> Events);
}
