using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContactCenter.Core.Storage;
using ContactCenter.Tests.Infrastructure;
using Npgsql;

namespace ContactCenter.Tests.Reports;

/// <summary>
/// Writes a hand-built day (Monday 2 March 2026, UTC) straight into the tables the service writes: conversations,
/// timeline events with explicit times, response clocks, calls and the bot's rows. No reactions run on them, so
/// every number a report gives comes from these rows alone. ReportDayTests works out each metric by hand.
/// </summary>
internal sealed class ReportDay(NpgsqlDataSource db)
{
    public static readonly DateTimeOffset Day = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);

    public static DateTimeOffset At(string hhmmss, int dayOffset = 0) =>
        Day.AddDays(dayOffset) + TimeSpan.Parse(hhmmss, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Queue 'support' open Monday to Friday 09:00–17:00 UTC (through the admin API, as an admin would).</summary>
    public static async Task CreateQueueAsync(ContactCenterApp app)
    {
        var weekdays = new[] { "monday", "tuesday", "wednesday", "thursday", "friday" }.ToDictionary(d => d, _ => new[] { "09:00-17:00" });
        using var response = await app.Admin().PutAsJsonAsync("/api/queues/support",
            new { businessHours = new { timeZone = "UTC", weekly = weekdays } });
        response.EnsureSuccessStatusCode();
    }

    public async Task<Guid> ConversationAsync(string channel, string? queue, string? assignee, DateTimeOffset opened, DateTimeOffset? resolved,
        Guid? customer = null)
    {
        await using var connection = await db.OpenConnectionAsync();
        var customerId = customer ?? Guid.NewGuid();
        if (customer is null)
            await connection.Sql("insert into customers (id, name, created_at) values ($1, 'Customer', $2)", customerId, opened).ExecuteNonQueryAsync();
        var id = Guid.NewGuid();
        await connection.Sql("""
            insert into conversations (id, customer_id, channel, customer_address, status, queue, assignee, opened_at, closed_at)
            values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            """, id, customerId, channel, $"addr-{id:N}", resolved is null ? (assignee is null ? "queued" : "assigned") : "resolved",
            Db.Text(queue), Db.Text(assignee), opened, Db.Timestamp(resolved)).ExecuteNonQueryAsync();
        if (resolved is { } at) await EventAsync(id, "conversation.resolved", at, new JsonObject { ["by"] = assignee ?? "bot" });
        return id;
    }

    public async Task<Guid> CustomerOfAsync(Guid conversation)
    {
        await using var connection = await db.OpenConnectionAsync();
        return (Guid)(await connection.Sql("select customer_id from conversations where id = $1", conversation).ExecuteScalarAsync())!;
    }

    public async Task<long> EventAsync(Guid conversation, string type, DateTimeOffset at, JsonObject? data = null, string? dedupe = null)
    {
        await using var connection = await db.OpenConnectionAsync();
        var direction = type switch { "message.received" => "inbound", "message.sent" or "bot.reply" => "outbound", _ => "internal" };
        await using var command = connection.Sql("""
            insert into timeline_events (customer_id, conversation_id, channel, type, direction, occurred_at, recorded_at, dedupe_key, data)
            select customer_id, id, channel, $2, $3, $4, $4, $5, $6 from conversations where id = $1
            returning id
            """, conversation, type, direction, at, Db.Text(dedupe), Db.Jsonb((data ?? new JsonObject()).ToJsonString()));
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>A response clock as ResponseClocks leaves it (reason 'answered', 'resolved' or 'closed'; breached when set).</summary>
    public async Task ClockAsync(Guid conversation, string kind, long startedBy, DateTimeOffset started, TimeSpan target, DateTimeOffset due,
        DateTimeOffset? stopped, string? reason, DateTimeOffset? breached)
    {
        await using var connection = await db.OpenConnectionAsync();
        await connection.Sql("""
            insert into response_clocks (conversation_id, kind, channel, queue, started_by, started_at, target, due_at, stopped_at, stop_reason, breached_at)
            select id, $2, channel, queue, $3, $4, $5, $6, $7, $8, $9 from conversations where id = $1
            """, conversation, kind, startedBy, started, target, due, Db.Timestamp(stopped), Db.Text(reason), Db.Timestamp(breached)).ExecuteNonQueryAsync();
    }

    public async Task CallAsync(Guid conversation, DateTimeOffset started)
    {
        await using var connection = await db.OpenConnectionAsync();
        await connection.Sql("""
            insert into voice_calls (call_sid, conversation_id, customer_id, direction, caller, started_at, status, queue)
            select $2, id, customer_id, 'inbound', '+15550100000', $3, 'completed', queue from conversations where id = $1
            """, conversation, $"CA{Guid.NewGuid():N}", started).ExecuteNonQueryAsync();
    }

    public async Task BotAsync(Guid conversation, DateTimeOffset started, int handoffs, DateTimeOffset? contained, DateTimeOffset? surveySent)
    {
        await using var connection = await db.OpenConnectionAsync();
        await connection.Sql("""
            insert into bot_conversations (conversation_id, customer_id, channel, owner, handoffs, contained_at, survey_sent_at, started_at, updated_at)
            select id, customer_id, channel, case when $2 > 0 then 'agent' else 'bot' end, $2, $3, $4, $5, $5 from conversations where id = $1
            """, conversation, handoffs, Db.Timestamp(contained), Db.Timestamp(surveySent), started).ExecuteNonQueryAsync();
    }

    public Task<long> SurveyAnswerAsync(Guid conversation, DateTimeOffset at, int score, int scale, string? dedupe = null) =>
        EventAsync(conversation, "csat.response", at, new JsonObject { ["score"] = score, ["scale"] = scale }, dedupe);
}
