using System.Text.Json.Nodes;
using ContactCenter.Core.Storage;
using Npgsql;

namespace ContactCenter.Core.Routing;

public sealed record BreachAcknowledgement(Guid ConversationId, string Kind, DateTimeOffset BreachedAt, string AcknowledgedBy, DateTimeOffset AcknowledgedAt);

/// <summary>
/// Writes <c>breach_acknowledgements</c>: a supervisor saw a breach alert. Stored, and announced on <c>cc_live</c> in
/// the same transaction, so the alert stops standing out on every console of every instance.
/// </summary>
public sealed class BreachAcknowledgements(NpgsqlDataSource db, TimeProvider clock)
{
    /// <summary>Acknowledges the conversation's running breached response target of that kind (a second
    /// acknowledgement keeps the first one's author and time); null when no such breach stands.</summary>
    public async Task<BreachAcknowledgement?> AcknowledgeAsync(Guid conversationId, string kind, string by, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using var command = connection.SqlNamed("""
            with clock as (
                select id, breached_at from response_clocks
                where conversation_id = @conversation and kind = @kind and breached_at is not null and stopped_at is null
                order by breached_at desc limit 1),
            added as (
                insert into breach_acknowledgements (clock_id, acknowledged_by, acknowledged_at)
                select id, @by, @now from clock
                on conflict (clock_id) do nothing
                returning clock_id, acknowledged_by, acknowledged_at)
            select c.breached_at, coalesce(a.acknowledged_by, b.acknowledged_by), coalesce(a.acknowledged_at, b.acknowledged_at), a.clock_id is not null
            from clock c left join added a on a.clock_id = c.id left join breach_acknowledgements b on b.clock_id = c.id
            """, ("conversation", conversationId), ("kind", kind), ("by", by), ("now", clock.GetUtcNow()));
        BreachAcknowledgement? acknowledged = null;
        var added = false;
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct))
            {
                acknowledged = new BreachAcknowledgement(conversationId, kind, reader.Instant(0), reader.GetString(1), reader.Instant(2));
                added = reader.GetBoolean(3);
            }
        }

        if (added)
        {
            await RoutingSignals.LiveAsync(connection, new JsonObject
            {
                ["type"] = "alert.acknowledged", ["conversationId"] = conversationId, ["kind"] = kind, ["by"] = by,
            }, ct);
        }

        await tx.CommitAsync(ct);
        return acknowledged;
    }
}
