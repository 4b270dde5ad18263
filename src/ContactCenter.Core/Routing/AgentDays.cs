using ContactCenter.Core.Storage;
using Npgsql;

namespace ContactCenter.Core.Routing;

/// <param name="Handled">Conversations the agent resolved since the day's start (the assignee when resolved).</param>
/// <param name="AverageHandleSeconds">Over those: from the conversation's first <c>conversation.assigned</c> to its resolve
/// (for a call, talk and wrap-up); null when none was handled.</param>
public sealed record AgentDay(string AgentId, int Handled, double? AverageHandleSeconds);

/// <summary>Each agent's day so far for the live console (GET /api/console/agents), in the supervisor's time zone.</summary>
public sealed class AgentDays(NpgsqlDataSource db, TimeProvider clock)
{
    public async Task<IReadOnlyList<AgentDay>> TodayAsync(TimeZoneInfo zone, CancellationToken ct)
    {
        var local = TimeZoneInfo.ConvertTime(clock.GetUtcNow(), zone).Date;
        var dayStart = new DateTimeOffset(local, zone.GetUtcOffset(local));
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql("""
            select a.id, count(c.id)::int,
                   avg(extract(epoch from c.closed_at - f.assigned_at)) filter (where f.assigned_at is not null)::float8
            from agents a
            left join conversations c on c.assignee = a.id and c.status = 'resolved' and c.closed_at >= $1
            left join lateral (select min(e.occurred_at) as assigned_at from timeline_events e
                               where e.conversation_id = c.id and e.type = 'conversation.assigned') f on true
            group by a.id
            order by a.id
            """, dayStart);
        var days = new List<AgentDay>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            days.Add(new AgentDay(reader.GetString(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : Math.Round(reader.GetDouble(2), 3)));
        return days;
    }
}
