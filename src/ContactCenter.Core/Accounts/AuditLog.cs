using System.Text.Json;
using System.Text.Json.Nodes;
using ContactCenter.Core.Storage;
using Npgsql;

namespace ContactCenter.Core.Accounts;

public sealed record AuditEntry(
    long Id, DateTimeOffset OccurredAt, string ActorKind, string ActorId, string ActorName, string? Ip, string Action,
    string? TargetType, string? TargetId, JsonObject Data);

public sealed record AuditFilter(DateTimeOffset? From, DateTimeOffset? To, string? Actor, string? Action, int Limit);

/// <summary>The names of audited actions: one place, so the API's filter and the docs agree.</summary>
public static class AuditActions
{
    public const string SignIn = "user.signed-in";
    public const string UserCreated = "user.created";
    public const string UserChanged = "user.changed";
    public const string PasswordLinkIssued = "user.password-link-issued";
    public const string PasswordSet = "user.password-set";
    public const string KeyCreated = "key.created";
    public const string KeyRevoked = "key.revoked";
    public const string CustomerMerged = "customer.merged";
    public const string QueueChanged = "queue.changed";
    public const string AgentChanged = "agent.changed";
    public const string StatusForced = "agent.status-forced";
    public const string HandedBack = "conversation.handed-back";
    public const string TakenOver = "conversation.taken-over";
    public const string ReportExported = "report.exported";
    public const string RecordingRead = "recording.read";
}

/// <summary>
/// The append-only audit trail (table <c>audit_events</c>; a trigger refuses updates and deletes). Entries carry
/// ids and small facts (a role, a queue name), never message bodies, passwords or keys.
/// </summary>
public sealed class AuditLog(NpgsqlDataSource db, TimeProvider clock)
{
    private const string Columns = "id, occurred_at, actor_kind, actor_id, actor_name, ip, action, target_type, target_id, data::text";

    public async Task RecordAsync(AuditActor actor, string action, string? targetType, string? targetId, object? data, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.SqlNamed("""
            insert into audit_events (occurred_at, actor_kind, actor_id, actor_name, ip, action, target_type, target_id, data)
            values (@at, @kind, @id, @name, @ip, @action, @type, @target, @data)
            """, ("at", clock.GetUtcNow()), ("kind", actor.Kind), ("id", actor.Id), ("name", actor.Name), ("ip", Db.Text(actor.Ip)),
            ("action", action), ("type", Db.Text(targetType)), ("target", Db.Text(targetId)),
            ("data", Db.Jsonb(data is null ? "{}" : JsonSerializer.Serialize(data, JsonSerializerOptions.Web)))).ExecuteNonQueryAsync(ct);
    }

    /// <summary>Newest first. <c>Actor</c> matches the actor's id or name; <c>Action</c> an action or a prefix ending in '.'.</summary>
    public async Task<IReadOnlyList<AuditEntry>> ListAsync(AuditFilter filter, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.SqlNamed($"""
            select {Columns} from audit_events
            where (@from::timestamptz is null or occurred_at >= @from) and (@to::timestamptz is null or occurred_at < @to)
              and (@actor::text is null or actor_id = @actor or lower(actor_name) = lower(@actor))
              and (@action::text is null or action = @action or (right(@action, 1) = '.' and starts_with(action, @action)))
            order by occurred_at desc, id desc limit @limit
            """, ("from", Db.Timestamp(filter.From)), ("to", Db.Timestamp(filter.To)), ("actor", Db.Text(filter.Actor)),
            ("action", Db.Text(filter.Action)), ("limit", filter.Limit));
        var list = new List<AuditEntry>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            list.Add(new AuditEntry(reader.GetInt64(0), reader.Instant(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.Nullable<string>(5), reader.GetString(6), reader.Nullable<string>(7), reader.Nullable<string>(8),
                JsonNode.Parse(reader.GetString(9))!.AsObject()));
        return list;
    }
}
