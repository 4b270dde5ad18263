using System.Text.Json;
using ContactCenter.Core.Scheduling;
using ContactCenter.Core.Storage;
using Npgsql;

namespace ContactCenter.Core.Routing;

public enum QueueSaveResult { Created, Updated, Conflict }

/// <summary>Queue definitions in PostgreSQL (table <c>routing_queues</c>), managed by admins.</summary>
public sealed class QueueStore(NpgsqlDataSource db, TimeProvider clock)
{
    private const string Columns = "name, priority, required_skills, business_hours, targets, steps, escalation, created_at, updated_at, agents_may_pick";

    public static QueueDefinition Normalize(QueueDefinition definition)
    {
        definition.RequiredSkills = new Dictionary<string, int>(
            definition.RequiredSkills.Select(s => KeyValuePair.Create(s.Key.Trim().ToLowerInvariant(), s.Value)), StringComparer.OrdinalIgnoreCase);
        definition.Steps ??= [];
        return definition;
    }

    public async Task<IReadOnlyList<RoutingQueue>> ListAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await ListAsync(connection, ct);
    }

    internal static async Task<IReadOnlyList<RoutingQueue>> ListAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = connection.Sql($"select {Columns} from routing_queues order by priority desc, name");
        var list = new List<RoutingQueue>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) list.Add(Read(reader));
        return list;
    }

    public async Task<RoutingQueue?> GetAsync(string name, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await GetAsync(connection, name, ct);
    }

    internal static async Task<RoutingQueue?> GetAsync(NpgsqlConnection connection, string name, CancellationToken ct)
    {
        await using var command = connection.Sql($"select {Columns} from routing_queues where name = $1", name);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    /// <summary>Creates the queue (<paramref name="replace"/> false: a conflict when it exists) or replaces its definition.</summary>
    public async Task<(QueueSaveResult Result, RoutingQueue Queue)> SaveAsync(string name, QueueDefinition definition, bool replace, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var created = await InsertAsync(connection, name, definition, now, ct);
        if (!created)
        {
            if (!replace) return (QueueSaveResult.Conflict, (await GetAsync(connection, name, ct))!);
            await connection.Sql("""
                update routing_queues set priority = $2, required_skills = $3, business_hours = $4, targets = $5, steps = $6,
                                          escalation = $7, agents_may_pick = $8, updated_at = $9
                where name = $1
                """, [name, .. Values(definition), now]).ExecuteNonQueryAsync(ct);
            // Waiting conversations are served in the new order at once.
            await connection.Sql("update queue_entries set rank = priority + $2 where queue = $1", name, definition.Priority).ExecuteNonQueryAsync(ct);
            await RoutingSignals.WakeRoutingAsync(connection, ct);
        }

        await tx.CommitAsync(ct);
        return (created ? QueueSaveResult.Created : QueueSaveResult.Updated, (await GetAsync(connection, name, ct))!);
    }

    /// <summary>Deletes an empty queue. False when conversations wait in it; null when there is no such queue.</summary>
    public async Task<bool?> DeleteAsync(string name, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var exists = connection.Sql("select 1 from routing_queues where name = $1 for update", name))
        {
            if (await exists.ExecuteScalarAsync(ct) is null) return null;
        }

        await using (var waiting = connection.Sql("select exists (select 1 from queue_entries where queue = $1)", name))
        {
            if (await waiting.ExecuteScalarAsync(ct) is true) return false;
        }

        await connection.Sql("delete from routing_queues where name = $1", name).ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>Makes sure a queue exists (defaults when it does not), inside the caller's transaction.</summary>
    internal static async Task<RoutingQueue> EnsureAsync(NpgsqlConnection connection, string name, DateTimeOffset now, CancellationToken ct)
    {
        if (await GetAsync(connection, name, ct) is { } queue) return queue;
        await InsertAsync(connection, name, new QueueDefinition(), now, ct);
        return (await GetAsync(connection, name, ct))!;
    }

    /// <summary>Creates configured queues that do not exist yet; existing ones are left as admins changed them.</summary>
    public async Task<int> SeedAsync(IEnumerable<(string Name, QueueDefinition Definition)> queues, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        var created = 0;
        foreach (var (name, definition) in queues)
            if (await InsertAsync(connection, name, definition, now, ct)) created++;
        return created;
    }

    private static async Task<bool> InsertAsync(NpgsqlConnection connection, string name, QueueDefinition definition, DateTimeOffset now, CancellationToken ct)
    {
        await using var insert = connection.Sql("""
            insert into routing_queues (name, priority, required_skills, business_hours, targets, steps, escalation, agents_may_pick, created_at, updated_at)
            values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
            on conflict (name) do nothing
            """, [name, .. Values(definition), now]);
        return await insert.ExecuteNonQueryAsync(ct) > 0;
    }

    private static object?[] Values(QueueDefinition d) =>
    [
        d.Priority,
        Db.Jsonb(JsonSerializer.Serialize(d.RequiredSkills, RoutingValidation.Json)),
        Db.Jsonb(d.BusinessHours is null ? null : JsonSerializer.Serialize(d.BusinessHours, RoutingValidation.Json)),
        Db.Jsonb(JsonSerializer.Serialize(d.Targets ?? new TargetOverrides(), RoutingValidation.Json)),
        Db.Jsonb(JsonSerializer.Serialize(d.Steps, RoutingValidation.Json)),
        Db.Jsonb(JsonSerializer.Serialize(d.Escalation ?? new EscalationDefinition(), RoutingValidation.Json)),
        d.AgentsMayPick,
    ];

    private static RoutingQueue Read(NpgsqlDataReader reader)
    {
        var definition = new QueueDefinition
        {
            Priority = reader.GetInt32(1),
            RequiredSkills = new Dictionary<string, int>(
                JsonSerializer.Deserialize<Dictionary<string, int>>(reader.GetString(2), RoutingValidation.Json) ?? [], StringComparer.OrdinalIgnoreCase),
            BusinessHours = reader.IsDBNull(3) ? null : JsonSerializer.Deserialize<BusinessHoursDefinition>(reader.GetString(3), RoutingValidation.Json),
            Targets = JsonSerializer.Deserialize<TargetOverrides>(reader.GetString(4), RoutingValidation.Json),
            Steps = JsonSerializer.Deserialize<List<QueueStep>>(reader.GetString(5), RoutingValidation.Json) ?? [],
            Escalation = JsonSerializer.Deserialize<EscalationDefinition>(reader.GetString(6), RoutingValidation.Json),
            AgentsMayPick = reader.GetBoolean(9),
        };
        return new RoutingQueue(reader.GetString(0), definition, reader.Instant(7), reader.Instant(8));
    }

    /// <summary>The queue's opening hours, parsed; always open when it has none.</summary>
    public static BusinessHours HoursOf(QueueDefinition definition) =>
        definition.BusinessHours is { } hours ? BusinessHoursCache.Get(hours) : BusinessHours.AlwaysOpen;
}

/// <summary>Parsed business hours by their JSON, so hot paths do not re-parse time zones and ranges.</summary>
internal static class BusinessHoursCache
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, BusinessHours> Parsed = new();

    public static BusinessHours Get(BusinessHoursDefinition definition)
    {
        var key = JsonSerializer.Serialize(definition, RoutingValidation.Json);
        if (Parsed.Count > 1000) Parsed.Clear();
        return Parsed.GetOrAdd(key, _ => BusinessHours.Parse(definition));
    }
}
