using ContactCenter.Core.Storage;
using Npgsql;

namespace ContactCenter.Core.Bot;

/// <param name="Conversations">Conversations the bot served that started in the period.</param>
/// <param name="Contained">Of those, resolved by the bot without a person.</param>
/// <param name="HandedOff">Of those, handed to a person at least once.</param>
/// <param name="ContainmentRate">Contained / conversations; null when there were none.</param>
public sealed record BotMetricsSnapshot(
    DateTimeOffset Since, int Conversations, int Contained, int HandedOff, int WithBot, double? ContainmentRate,
    int CsatResponses, double? CsatAverage, IReadOnlyDictionary<string, ChannelContainment> Channels);

public sealed record ChannelContainment(int Conversations, int Contained, int HandedOff);

/// <summary>Containment and satisfaction, read from the bot's rows and the timeline (GET /api/bot/metrics).</summary>
public sealed class BotMetrics(NpgsqlDataSource db)
{
    public async Task<BotMetricsSnapshot> SnapshotAsync(DateTimeOffset since, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var channels = new Dictionary<string, ChannelContainment>();
        await using (var command = connection.Sql("""
            select channel, count(*)::int, count(*) filter (where contained_at is not null)::int, count(*) filter (where handoffs > 0)::int
            from bot_conversations where started_at >= $1 group by channel order by channel
            """, since))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
                channels[reader.GetString(0)] = new ChannelContainment(reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3));
        }

        int withBot;
        await using (var command = connection.Sql("select count(*)::int from bot_conversations where owner = 'bot' and contained_at is null and started_at >= $1", since))
            withBot = (int)(await command.ExecuteScalarAsync(ct))!;
        int responses;
        double? average;
        await using (var command = connection.Sql("""
            select count(*)::int, avg((data->>'score')::int)::float8 from timeline_events where type = 'csat.response' and occurred_at >= $1
            """, since))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            responses = reader.GetInt32(0);
            average = reader.IsDBNull(1) ? null : Math.Round(reader.GetDouble(1), 2);
        }

        var total = channels.Values.Sum(c => c.Conversations);
        var contained = channels.Values.Sum(c => c.Contained);
        return new BotMetricsSnapshot(since, total, contained, channels.Values.Sum(c => c.HandedOff), withBot,
            total == 0 ? null : Math.Round((double)contained / total, 4), responses, average, channels);
    }
}
