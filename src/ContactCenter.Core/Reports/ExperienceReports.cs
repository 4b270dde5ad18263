using ContactCenter.Core.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Core.Reports;

/// <summary>Satisfaction (CSAT, NPS), the bot's containment and escalation, abandoned calls (definitions: docs/metrics.md).</summary>
public sealed class ExperienceReports(NpgsqlDataSource db, IOptions<ReportOptions> options)
{
    private sealed record SurveyFact(bool Sent, bool Responded, int? Score, int Scale);

    public static readonly string[] SatisfactionColumns =
        ["surveysSent", "surveysAnswered", "responseRate", "csatResponses", "csatSatisfied", "csat", "npsResponses", "promoters", "detractors", "nps"];

    /// <summary>Surveys by the period they were sent in (response rate); answers by the period they were given in.</summary>
    public async Task<ReportTable> SatisfactionAsync(ReportQuery query, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var filter = ReportSql.Filter(await ReportSql.TagsExistAsync(connection, ct));
        var builder = new ReportBuilder<SurveyFact>(query, SatisfactionColumns, facts =>
        {
            var sent = facts.Where(f => f.Sent).ToList();
            var csat = facts.Where(f => f.Score is not null && f.Scale == 5).ToList();
            var nps = facts.Where(f => f.Score is not null && f.Scale == 10).ToList();
            var promoters = nps.Count(f => f.Score >= 9);
            var detractors = nps.Count(f => f.Score <= 6);
            return
            [
                sent.Count, sent.Count(f => f.Responded), Stats.Share(sent.Count(f => f.Responded), sent.Count),
                csat.Count, csat.Count(f => f.Score >= 4), Stats.Share(csat.Count(f => f.Score >= 4), csat.Count),
                nps.Count, promoters, detractors, nps.Count == 0 ? null : Stats.Round(100.0 * (promoters - detractors) / nps.Count),
            ];
        });
        await using (var command = ReportSql.Command(connection, $"""
            select b.survey_sent_at, exists (select 1 from timeline_events e where e.conversation_id = c.id and e.type = 'csat.response')
            from bot_conversations b join conversations c on c.id = b.conversation_id
            where b.survey_sent_at >= @start and b.survey_sent_at < @end and {filter}
            """, query))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) builder.Add(reader.Instant(0), new SurveyFact(true, reader.GetBoolean(1), null, 0));
        }

        await using (var command = ReportSql.Command(connection, $"""
            select e.occurred_at, (e.data->>'score')::int, coalesce((e.data->>'scale')::int, 5)
            from timeline_events e join conversations c on c.id = e.conversation_id
            where e.type = 'csat.response' and e.occurred_at >= @start and e.occurred_at < @end and e.data ? 'score' and {filter}
            """, query))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) builder.Add(reader.Instant(0), new SurveyFact(false, false, reader.GetInt32(1), reader.GetInt32(2)));
        }

        return builder.Build();
    }

    public static readonly string[] BotColumns = ["botConversations", "contained", "containment", "escalated", "escalationRate"];

    /// <summary>Conversations the bot started with, by the period they started in.</summary>
    public async Task<ReportTable> BotAsync(ReportQuery query, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var filter = ReportSql.Filter(await ReportSql.TagsExistAsync(connection, ct));
        var builder = new ReportBuilder<(bool Contained, bool Escalated)>(query, BotColumns, facts =>
        [
            facts.Count, facts.Count(f => f.Contained), Stats.Share(facts.Count(f => f.Contained), facts.Count),
            facts.Count(f => f.Escalated), Stats.Share(facts.Count(f => f.Escalated), facts.Count),
        ]);
        await using var command = ReportSql.Command(connection, $"""
            with {ReportSql.SurveyAnswers}
            select b.started_at, b.contained_at is not null, b.handoffs > 0
            from bot_conversations b join conversations c on c.id = b.conversation_id
            where b.started_at >= @start and b.started_at < @end and {ReportSql.NotSurveyAnswer("c")} and {filter}
            """, query);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) builder.Add(reader.Instant(0), (reader.GetBoolean(1), reader.GetBoolean(2)));
        return builder.Build();
    }

    private sealed record QueuedCall(string? Outcome, double? WaitSeconds);

    public static readonly string[] AbandonmentColumns =
        ["queuedCalls", "answered", "abandoned", "shortAbandons", "abandonmentRate", "averageAbandonWaitSeconds"];

    /// <summary>Calls by the period they entered a queue in, with how each wait ended (the next <c>call.ended</c>).</summary>
    public async Task<ReportTable> AbandonmentAsync(ReportQuery query, CancellationToken ct)
    {
        var shortAbandon = options.Value.ShortAbandon.TotalSeconds;
        await using var connection = await db.OpenConnectionAsync(ct);
        var filter = ReportSql.Filter(await ReportSql.TagsExistAsync(connection, ct));
        var builder = new ReportBuilder<QueuedCall>(query, AbandonmentColumns, facts =>
        {
            var abandoned = facts.Where(f => f.Outcome == "abandoned" && f.WaitSeconds > shortAbandon).ToList();
            var shortOnes = facts.Count(f => f.Outcome == "abandoned" && f.WaitSeconds <= shortAbandon);
            return
            [
                facts.Count, facts.Count(f => f.Outcome == "connected"), abandoned.Count, shortOnes,
                Stats.Share(abandoned.Count, facts.Count - shortOnes), Stats.Average(abandoned.Select(f => f.WaitSeconds!.Value)),
            ];
        });
        await using var command = ReportSql.Command(connection, $"""
            select q.occurred_at, x.outcome, extract(epoch from x.occurred_at - q.occurred_at)::float8
            from timeline_events q join conversations c on c.id = q.conversation_id
            left join lateral (select e.occurred_at, e.data->>'outcome' as outcome from timeline_events e
                               where e.conversation_id = q.conversation_id and e.type = 'call.ended' and e.id > q.id
                               order by e.id limit 1) x on true
            where q.type = 'call.queued' and q.occurred_at >= @start and q.occurred_at < @end and {filter}
            """, query);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            builder.Add(reader.Instant(0), new QueuedCall(reader.Nullable<string>(1), reader.IsDBNull(2) ? null : Stats.Round(reader.GetDouble(2))));
        return builder.Build();
    }
}
