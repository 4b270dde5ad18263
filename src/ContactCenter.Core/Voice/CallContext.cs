using System.Text.Json.Nodes;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Timeline;
using Npgsql;

namespace ContactCenter.Core.Voice;

/// <summary>
/// The handoff context of a call entering a queue, so the agent who answers does not ask again: what the caller
/// chose in the IVR and the customer's other open conversations, the one in the same queue first as the one the
/// call <c>continues</c>, each with the context it was handed over with (e.g. what the customer told the bot on
/// WhatsApp). Stored on the call's conversation like a bot's handoff context and returned the same way.
/// </summary>
public sealed class CallContext(NpgsqlDataSource db, TimeProvider clock)
{
    private const int MaxChoices = 20;

    public async Task AttachAsync(Guid conversationId, string queue, string reason, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await AttachAsync(connection, conversationId, queue, reason, ct);
    }

    /// <summary>In the caller's transaction, which holds the conversation's routing lock (it writes the conversation row).</summary>
    internal async Task AttachAsync(NpgsqlConnection connection, Guid conversationId, string queue, string reason, CancellationToken ct)
    {
        var choices = new JsonArray();
        var related = new JsonArray();
        // Both reads in one round trip.
        await using (var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                Db.Batch("select text, data from timeline_events where conversation_id = $1 and type = $2 order by id desc limit $3",
                    conversationId, TimelineEventTypes.CallIvr, MaxChoices),
                Db.Batch("""
                    select c.id, c.channel, c.status, c.queue, c.assignee, c.opened_at, c.handoff
                    from conversations me
                    join conversations c on c.customer_id = me.customer_id and c.id <> me.id
                    where me.id = $1 and c.closed_at is null and c.merged_into is null
                    order by (c.queue is not distinct from $2) desc, c.opened_at desc
                    limit 5
                    """, conversationId, queue),
            },
        })
        await using (var reader = await batch.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var data = JsonNode.Parse(reader.GetString(1))!.AsObject();
                choices.Insert(0, new JsonObject
                {
                    ["node"] = data["node"]?.DeepClone(), ["kind"] = data["kind"]?.DeepClone(), ["option"] = data["option"]?.DeepClone(),
                    ["input"] = data["input"]?.DeepClone(),
                });
            }

            await reader.NextResultAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                related.Add(new JsonObject
                {
                    ["conversationId"] = reader.GetGuid(0).ToString(),
                    ["channel"] = reader.GetString(1),
                    ["status"] = reader.GetString(2),
                    ["queue"] = reader.IsDBNull(3) ? null : reader.GetString(3),
                    ["assignee"] = reader.IsDBNull(4) ? null : reader.GetString(4),
                    ["openedAt"] = reader.Instant(5),
                    ["handoff"] = reader.IsDBNull(6) ? null : JsonNode.Parse(reader.GetString(6)),
                });
            }
        }

        var context = new JsonObject
        {
            ["trigger"] = "ivr",
            ["queue"] = queue,
            ["reason"] = reason,
            ["choices"] = choices,
            ["continues"] = related.FirstOrDefault(r => r!["queue"]?.GetValue<string>() == queue)?.DeepClone(),
            ["otherOpenConversations"] = related,
            ["at"] = clock.GetUtcNow(),
        };
        await connection.Sql("update conversations set handoff = $2 where id = $1", conversationId, Db.Jsonb(context.ToJsonString()))
            .ExecuteNonQueryAsync(ct);
    }
}
