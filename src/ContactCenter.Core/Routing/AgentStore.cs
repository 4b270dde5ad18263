using System.Text.Json;
using System.Text.Json.Nodes;
using ContactCenter.Core.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Core.Routing;

public enum AgentSaveResult { Created, Updated, Conflict, NotFound }

/// <summary>Agents (table <c>agents</c>): skills, capacity, status. Their load is counted from the conversations.</summary>
public sealed class AgentStore(NpgsqlDataSource db, IOptions<RoutingOptions> options, TimeProvider clock)
{
    private const string Columns = "id, name, status, skills, capacity, status_changed_at, idle_since";
    private readonly RoutingOptions _options = options.Value;

    /// <summary>The SQL bucket of a conversation's channel, matching <see cref="CapacityBuckets.For(string)"/>.</summary>
    internal const string BucketSql = "case when channel = 'voice' then 'voice' else 'messaging' end";

    public AgentDefinition Normalize(AgentDefinition definition)
    {
        definition.Skills = new Dictionary<string, int>(
            definition.Skills.Select(s => KeyValuePair.Create(s.Key.Trim().ToLowerInvariant(), s.Value)), StringComparer.OrdinalIgnoreCase);
        var capacity = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var bucket in CapacityBuckets.All) capacity[bucket] = _options.CapacityDefault(bucket);
        foreach (var (bucket, value) in definition.Capacity ?? []) capacity[bucket.Trim().ToLowerInvariant()] = value;
        definition.Capacity = capacity;
        return definition;
    }

    public async Task<IReadOnlyList<Agent>> ListAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await ReadAsync(connection, connection.Sql($"select {Columns} from agents order by id"), ct);
    }

    public async Task<Agent?> GetAsync(string id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await ReadAsync(connection, connection.Sql($"select {Columns} from agents where id = $1", id), ct)).FirstOrDefault();
    }

    /// <summary>Creates an agent, or (<paramref name="replace"/>) replaces name, skills and capacity of an existing one.</summary>
    public async Task<(AgentSaveResult Result, Agent? Agent)> SaveAsync(string id, AgentDefinition definition, bool create, bool replace, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        definition = Normalize(definition);
        await using var connection = await db.OpenConnectionAsync(ct);
        var created = create && await InsertAsync(connection, id, definition, now, ct);
        if (!created)
        {
            if (!replace) return (AgentSaveResult.Conflict, await GetAsync(id, ct));
            await using var update = connection.Sql("""
                update agents set name = coalesce($2, name), skills = $3, capacity = $4, updated_at = $5 where id = $1
                """, id, Db.Text(definition.Name), Db.Jsonb(Serialize(definition.Skills)), Db.Jsonb(Serialize(definition.Capacity!)), now);
            if (await update.ExecuteNonQueryAsync(ct) == 0) return (AgentSaveResult.NotFound, null);
            // More capacity or new skills may let waiting conversations through.
            await RoutingSignals.WakeRoutingAsync(connection, ct);
        }

        return (created ? AgentSaveResult.Created : AgentSaveResult.Updated, await GetAsync(id, ct));
    }

    /// <summary>Creates configured agents that do not exist yet.</summary>
    public async Task<int> SeedAsync(IEnumerable<(string Id, AgentDefinition Definition)> agents, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        var created = 0;
        foreach (var (id, definition) in agents)
            if (await InsertAsync(connection, id, Normalize(definition), now, ct)) created++;
        return created;
    }

    /// <summary>
    /// Sets the status. Returns the previous status (null: no such agent). Becoming available starts the idle
    /// time and wakes routing; the caller requeues an offline agent's conversations.
    /// </summary>
    public async Task<string?> SetStatusAsync(string id, string status, string by, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        string previous;
        await using (var current = connection.Sql("select status from agents where id = $1 for update", id))
        {
            if (await current.ExecuteScalarAsync(ct) is not string found) return null;
            previous = found;
        }

        if (previous != status)
        {
            await connection.Sql("""
                update agents set status = $2, status_changed_at = $3,
                                  idle_since = case when $2 = 'available' then $3 else idle_since end
                where id = $1
                """, id, status, now).ExecuteNonQueryAsync(ct);
            await RoutingSignals.WakeRoutingAsync(connection, ct);
            await RoutingSignals.LiveAsync(connection, new JsonObject
            {
                ["type"] = "agent.status", ["agentId"] = id, ["status"] = status, ["previous"] = previous, ["by"] = by,
            }, ct);
        }

        await tx.CommitAsync(ct);
        return previous;
    }

    private static async Task<bool> InsertAsync(NpgsqlConnection connection, string id, AgentDefinition d, DateTimeOffset now, CancellationToken ct)
    {
        await using var insert = connection.Sql("""
            insert into agents (id, name, status, skills, capacity, status_changed_at, idle_since, created_at, updated_at)
            values ($1, $2, $3, $4, $5, $6, $6, $6, $6)
            on conflict (id) do nothing
            """, id, d.Name ?? id, d.Status ?? AgentStatus.Offline, Db.Jsonb(Serialize(d.Skills)), Db.Jsonb(Serialize(d.Capacity!)), now);
        return await insert.ExecuteNonQueryAsync(ct) > 0;
    }

    private static string Serialize(Dictionary<string, int> map) => JsonSerializer.Serialize(map, RoutingValidation.Json);

    private static async Task<IReadOnlyList<Agent>> ReadAsync(NpgsqlConnection connection, NpgsqlCommand command, CancellationToken ct)
    {
        var rows = new List<(string Id, string Name, string Status, string Skills, string Capacity, DateTimeOffset Changed, DateTimeOffset Idle)>();
        await using (command)
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
                rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.Instant(5), reader.Instant(6)));
        }

        // Many agents (the list): one pass over every open assignment is cheaper than a probe per agent.
        var loads = await LoadsAsync(connection, rows.Count > 50 ? null : rows.Select(r => r.Id).ToArray(), ct);
        return rows.Select(r => new Agent(r.Id, r.Name, r.Status, ParseLevels(r.Skills), ParseLevels(r.Capacity),
            CapacityBuckets.All.ToDictionary(b => b, b => loads.GetValueOrDefault((r.Id, b))), r.Changed, r.Idle)).ToList();
    }

    /// <summary>Open conversations assigned to each agent (null: every agent), per bucket.</summary>
    internal static async Task<Dictionary<(string Agent, string Bucket), int>> LoadsAsync(NpgsqlConnection connection, string[]? agentIds, CancellationToken ct)
    {
        var loads = new Dictionary<(string, string), int>();
        if (agentIds is { Length: 0 }) return loads;
        // Every agent: one pass over the partial index, instead of one index descent per agent.
        await using var command = agentIds is null
            ? connection.Sql($"select assignee, {BucketSql}, count(*)::int from conversations where closed_at is null and assignee is not null group by 1, 2")
            : connection.Sql($"""
                select assignee, {BucketSql}, count(*)::int from conversations
                where closed_at is null and assignee = any($1)
                group by 1, 2
                """, (object)agentIds);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) loads[(reader.GetString(0), reader.GetString(1))] = reader.GetInt32(2);
        return loads;
    }

    internal static Dictionary<string, int> ParseLevels(string json) =>
        new(JsonSerializer.Deserialize<Dictionary<string, int>>(json, RoutingValidation.Json) ?? [], StringComparer.OrdinalIgnoreCase);
}
