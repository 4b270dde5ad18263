using ContactCenter.Core.Routing;
using ContactCenter.Core.Scheduling;
using ContactCenter.Core.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Core.Reports;

/// <summary>Volume, response times, handle times and first contact resolution (definitions: docs/metrics.md).</summary>
public sealed class ConversationReports(NpgsqlDataSource db, IOptions<ReportOptions> options)
{
    public static readonly string[] VolumeColumns =
        ["conversations", "messagesIn", "messagesOut", "botMessages", "callsInbound", "callsOutbound", "callbacks", "voicemails"];

    public async Task<ReportTable> VolumeAsync(ReportQuery query, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var filter = ReportSql.Filter(await ReportSql.TagsExistAsync(connection, ct));
        // Counted in the database, grouped by the zone's local day or hour: the timeline is the biggest table. Events and
        // calls are joined to their conversation only when a filter needs it.
        var join = ReportSql.FiltersConversation(query);
        var sql = $"""
            with {ReportSql.SurveyAnswers}
            select date_trunc(@grain, c.opened_at at time zone @tz), 0, count(*)::int from conversations c
            where c.opened_at >= @start and c.opened_at < @end and c.status <> 'merged' and {ReportSql.NotSurveyAnswer("c")} and {filter}
            group by 1
            union all
            select date_trunc(@grain, e.occurred_at at time zone @tz),
                   case e.type when 'message.received' then 1 when 'message.sent' then 2 when 'bot.reply' then 3 else 7 end, count(*)::int
            from timeline_events e {(join ? "join conversations c on c.id = e.conversation_id" : "")}
            where e.type in ('message.received', 'message.sent', 'bot.reply', 'call.voicemail')
              and e.occurred_at >= @start and e.occurred_at < @end and {(join ? filter : "true")}
            group by 1, 2
            union all
            select date_trunc(@grain, v.started_at at time zone @tz),
                   case v.direction when 'inbound' then 4 when 'callback' then 6 else 5 end, count(*)::int
            from voice_calls v {(join ? "join conversations c on c.id = v.conversation_id" : "")}
            where v.started_at >= @start and v.started_at < @end and {(join ? filter : "true")}
            group by 1, 2
            """;
        var sums = new Dictionary<DateTime, double[]>();
        await using (var command = ReportSql.Command(connection, sql, query))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var period = DateTime.SpecifyKind(reader.GetDateTime(0), DateTimeKind.Unspecified);
                if (!sums.TryGetValue(period, out var row)) sums[period] = row = new double[VolumeColumns.Length];
                row[reader.GetInt32(1)] += reader.GetInt32(2);
            }
        }

        var total = new double[VolumeColumns.Length];
        foreach (var row in sums.Values)
            for (var i = 0; i < total.Length; i++) total[i] += row[i];
        return new ReportTable(query.Report, VolumeColumns,
            query.Periods().Select(p => new ReportRow(query.Label(p), (sums.GetValueOrDefault(p) ?? new double[VolumeColumns.Length]).Select(v => (double?)v).ToList())).ToList(),
            new ReportRow("total", total.Select(v => (double?)v).ToList()));
    }

    private sealed record ClockFact(string Kind, double? Seconds, bool Met, bool Decided, bool Breached);

    private static readonly string[] ClockKindNames = ["firstResponse", "nextResponse", "resolution"];
    public static readonly string[] ResponseColumns = ClockKindNames
        .SelectMany(k => new[] { $"{k}Count", $"{k}Median", $"{k}P90", $"{k}ServiceLevel", $"{k}Breaches" }).ToArray();

    /// <summary>Response clocks by the period they started in; times in open time of the queue's hours when asked.</summary>
    public async Task<ReportTable> ResponseTimesAsync(ReportQuery query, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var filter = ReportSql.Filter(await ReportSql.TagsExistAsync(connection, ct));
        var hours = query.BusinessHours
            ? (await QueueStore.ListAsync(connection, ct)).ToDictionary(q => q.Name, q => QueueStore.HoursOf(q.Definition))
            : [];
        var builder = new ReportBuilder<ClockFact>(query, ResponseColumns, SummariseClocks);
        await using var command = ReportSql.Command(connection, $"""
            select r.kind, r.started_at, r.stopped_at, r.stop_reason, r.due_at, r.breached_at, coalesce(r.queue, c.queue)
            from response_clocks r join conversations c on c.id = r.conversation_id
            where r.started_at >= @start and r.started_at < @end and {filter}
            """, query);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var kind = reader.GetString(0);
            var started = reader.Instant(1);
            var stopped = reader.NullableInstant(2);
            var reason = reader.Nullable<string>(3);
            var due = reader.NullableInstant(4);
            var breached = !reader.IsDBNull(5);
            var reached = reason == "answered" || kind == "resolution" && reason == "resolved";
            var open = hours.GetValueOrDefault(reader.Nullable<string>(6) ?? "") ?? BusinessHours.AlwaysOpen;
            double? seconds = reached && stopped is { } end
                ? Stats.Round((query.BusinessHours ? open.OpenTimeBetween(started, end) : end - started).TotalSeconds)
                : null;
            var met = reached && !breached && (due is null || stopped <= due);
            builder.Add(started, new ClockFact(kind, seconds, met, reached || breached, breached));
        }

        return builder.Build();
    }

    private static double?[] SummariseClocks(IReadOnlyList<ClockFact> facts) =>
        new[] { "first_response", "next_response", "resolution" }.SelectMany(kind =>
        {
            var these = facts.Where(f => f.Kind == kind).ToList();
            var times = these.Where(f => f.Seconds is not null).Select(f => f.Seconds!.Value).ToList();
            return new double?[]
            {
                times.Count, Stats.Percentile(times, 0.5), Stats.Percentile(times, 0.9),
                Stats.Share(these.Count(f => f.Met), these.Count(f => f.Decided)), these.Count(f => f.Breached),
            };
        }).ToArray();

    private sealed record HandleFact(bool Voice, double? Talk, double? WrapUp, double? Handle);

    public static readonly string[] HandleColumns =
        ["callsHandled", "averageTalkSeconds", "averageWrapUpSeconds", "averageCallHandleSeconds", "chatsHandled", "averageChatHandleSeconds"];

    /// <summary>Resolved conversations by the period they were resolved in.</summary>
    public async Task<ReportTable> HandleTimesAsync(ReportQuery query, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var filter = ReportSql.Filter(await ReportSql.TagsExistAsync(connection, ct));
        var builder = new ReportBuilder<HandleFact>(query, HandleColumns, facts =>
        {
            var calls = facts.Where(f => f.Voice && f.Handle is not null).ToList();
            var chats = facts.Where(f => !f.Voice && f.Handle is not null).ToList();
            return
            [
                calls.Count, Stats.Average(calls.Select(f => f.Talk!.Value)), Stats.Average(calls.Select(f => f.WrapUp!.Value)),
                Stats.Average(calls.Select(f => f.Handle!.Value)), chats.Count, Stats.Average(chats.Select(f => f.Handle!.Value)),
            ];
        });
        // The call and assignment times of the resolved conversations in one pass over those event types, not three
        // index probes per resolution; bounded by the earliest opening (a day's margin for provider timestamps).
        await using var command = ReportSql.Command(connection, $"""
            with resolved as (
                select r.conversation_id, r.occurred_at, c.channel, c.opened_at
                from timeline_events r join conversations c on c.id = r.conversation_id
                where r.type = 'conversation.resolved' and r.occurred_at >= @start and r.occurred_at < @end and {filter}),
            times as (
                select e.conversation_id,
                       min(e.occurred_at) filter (where e.type = 'call.connected') as connected,
                       max(e.occurred_at) filter (where e.type = 'call.ended') as ended,
                       min(e.occurred_at) filter (where e.type = 'conversation.assigned') as assigned
                from timeline_events e
                where e.type in ('call.connected', 'call.ended', 'conversation.assigned')
                  and e.occurred_at >= (select min(opened_at) from resolved) - interval '1 day'
                group by e.conversation_id)
            select r.channel = 'voice', r.occurred_at, t.connected, t.ended, t.assigned
            from resolved r left join times t on t.conversation_id = r.conversation_id
            """, query);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var voice = reader.GetBoolean(0);
            var resolved = reader.Instant(1);
            if (voice)
            {
                // Talk from the agent's connection to the call's end; wrap-up from the end to the resolve.
                if (reader.NullableInstant(2) is not { } connected || reader.NullableInstant(3) is not { } ended || ended < connected) continue;
                var talk = (ended - connected).TotalSeconds;
                var wrap = Math.Max(0, (resolved - ended).TotalSeconds);
                builder.Add(resolved, new HandleFact(true, talk, wrap, talk + wrap));
            }
            else if (reader.NullableInstant(4) is { } assigned)
                builder.Add(resolved, new HandleFact(false, null, null, (resolved - assigned).TotalSeconds));
        }

        return builder.Build();
    }

    public static readonly string[] ResolutionColumns = ["resolved", "firstContactResolved", "firstContactResolution", "repeatContacts"];

    /// <summary>Resolved conversations by the period they were resolved in; first contact: no new one within the window.</summary>
    public async Task<ReportTable> ResolutionAsync(ReportQuery query, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var filter = ReportSql.Filter(await ReportSql.TagsExistAsync(connection, ct));
        var builder = new ReportBuilder<bool>(query, ResolutionColumns, facts =>
            [facts.Count, facts.Count(f => f), Stats.Share(facts.Count(f => f), facts.Count), facts.Count(f => !f)]);
        await using var command = ReportSql.Command(connection, $"""
            with {ReportSql.SurveyAnswers}
            select c.closed_at,
                   not exists (select 1 from conversations n
                               where n.customer_id = c.customer_id and n.id <> c.id and n.status <> 'merged'
                                 and n.opened_at > c.closed_at and n.opened_at <= c.closed_at + @window
                                 and {ReportSql.NotSurveyAnswer("n")})
            from conversations c
            where c.status = 'resolved' and c.closed_at >= @start and c.closed_at < @end
              and {ReportSql.NotSurveyAnswer("c")} and {filter}
              and not exists (select 1 from timeline_events a where a.conversation_id = c.id and a.type = 'call.ended' and a.data->>'outcome' = 'abandoned')
            """, query);
        command.Parameters.AddWithValue("window", options.Value.FcrWindow);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) builder.Add(reader.Instant(0), reader.GetBoolean(1));
        return builder.Build();
    }
}
