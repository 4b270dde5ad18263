using ContactCenter.Core.Storage;
using Npgsql;

namespace ContactCenter.Core.Desk;

/// <summary>How far each agent has read each conversation (table <c>desk_reads</c>): newer messages count as unread.</summary>
public sealed class DeskReads(NpgsqlDataSource db)
{
    /// <summary>Marks everything up to <paramref name="lastEventId"/> read; a mark never moves back.</summary>
    public async Task MarkReadAsync(string agentId, Guid conversationId, long lastEventId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.Sql("""
            insert into desk_reads (agent_id, conversation_id, last_event_id) values ($1, $2, $3)
            on conflict (agent_id, conversation_id) do update set last_event_id = greatest(desk_reads.last_event_id, excluded.last_event_id)
            """, agentId, conversationId, lastEventId).ExecuteNonQueryAsync(ct);
    }
}
