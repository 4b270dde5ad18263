using ContactCenter.Core.Channels;
using ContactCenter.Core.ResponseTargets;
using ContactCenter.Core.Routing;
using ContactCenter.Core.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Core.Forecast;

/// <summary><c>Forecast:*</c>.</summary>
public sealed class ForecastOptions
{
    /// <summary>How far back arrivals and handle times are read.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(30);
    /// <summary>The share of contacts to answer within the queue's first-response target (80 % in 20 s on voice).</summary>
    public double TargetShare { get; set; } = 0.8;
    /// <summary>The handle time assumed while a queue has no handled contact in the last day to learn it from.</summary>
    public TimeSpan DefaultHandleTime { get; set; } = TimeSpan.FromMinutes(5);
}

public sealed record ForecastTarget(double Share, double WithinSeconds);

/// <param name="Bucket">voice, or messaging (then agents are counted as concurrent slots: agents × capacity).</param>
/// <param name="ExpectedWaitSeconds">Erlang C's average speed of answer; null when the agents cannot keep up.</param>
/// <param name="AgentsNeeded">Agents to meet the target; for messaging, the slots needed divided by the average capacity, rounded up.</param>
public sealed record BucketForecast(
    string Bucket, int Arrivals, double AverageHandleSeconds, string HandleTimeFrom, double OfferedLoad,
    double ProbabilityOfWaiting, double? ExpectedWaitSeconds, int? AgentsNeeded, int AgentsAvailable,
    int SlotsAvailable, int? SlotsNeeded, ForecastTarget Target);

/// <summary>GET /api/queues/{name}/forecast: the top-level figures are the bucket with the most arrivals (voice on a tie).</summary>
public sealed record QueueForecast(
    string Queue, DateTimeOffset At, double WindowSeconds, double OfferedLoad, double ProbabilityOfWaiting,
    double? ExpectedWaitSeconds, int? AgentsNeeded, int AgentsAvailable, ForecastTarget Target, string Bucket,
    IReadOnlyList<BucketForecast> Buckets);

/// <summary>The live Erlang C forecast per queue, from the last <see cref="ForecastOptions.Window"/> of the timeline.</summary>
public sealed class QueueForecaster(NpgsqlDataSource db, IOptions<ForecastOptions> options, IOptions<SlaOptions> sla, TimeProvider clock)
{
    private readonly ForecastOptions _options = options.Value;

    public async Task<QueueForecast?> ForecastAsync(string queue, CancellationToken ct) =>
        (await ForecastManyAsync([queue], ct)).FirstOrDefault();

    /// <summary>Forecasts for the named queues that exist (all queues when <paramref name="only"/> is null).</summary>
    public async Task<IReadOnlyList<QueueForecast>> ForecastManyAsync(IReadOnlyCollection<string>? only, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var since = now - _options.Window;
        await using var connection = await db.OpenConnectionAsync(ct);
        var queues = (await QueueStore.ListAsync(connection, ct)).Where(q => only is null || only.Contains(q.Name)).ToList();
        if (queues.Count == 0) return [];
        var names = queues.Select(q => q.Name).ToArray();

        // Arrivals: a conversation entering the queue (a call or a message handed to people, an overflow or transfer in);
        // a priority change re-enters the same queue and is not a new arrival.
        var arrivals = new Dictionary<(string Queue, string Bucket), (int Count, string TopChannel)>();
        await using (var command = connection.Sql($"""
            select data->>'queue', channel, count(*)::int from timeline_events
            where type = 'conversation.queued' and occurred_at > $1 and occurred_at <= $2 and data->>'queue' = any($3)
              and data->>'from' is distinct from data->>'queue'
            group by 1, 2 order by 3 desc
            """, since, now, names))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var key = (reader.GetString(0), CapacityBuckets.For(reader.GetString(1)));
                var (count, top) = arrivals.GetValueOrDefault(key, (0, reader.GetString(1)));
                arrivals[key] = (count + reader.GetInt32(2), top);
            }
        }

        var window = await HandleTimesAsync(connection, names, since, now, ct);
        var day = await HandleTimesAsync(connection, names, now - TimeSpan.FromDays(1), now, ct);
        var agents = await AgentsAsync(connection, ct);

        return queues.Select(q =>
        {
            var buckets = CapacityBuckets.All.Select(bucket =>
            {
                var (count, topChannel) = arrivals.GetValueOrDefault((q.Name, bucket), (0, bucket == CapacityBuckets.Voice ? "voice" : "webchat"));
                var (aht, from) = window.TryGetValue((q.Name, bucket), out var w) ? (w, "window")
                    : day.TryGetValue((q.Name, bucket), out var d) ? (d, "last-day")
                    : (_options.DefaultHandleTime.TotalSeconds, "default");
                var eligible = agents.Where(a => a.Status == AgentStatus.Available && AssignmentPass.Qualifies(a.Skills, q.Definition.RequiredSkills, null)).ToList();
                var slots = eligible.Sum(a => a.Capacity.GetValueOrDefault(bucket));
                var within = sla.Value.TargetFor(ChannelNames.Parse(topChannel), ClockKinds.FirstResponse, q.Definition.Targets).TotalSeconds;
                return Compute(bucket, count, aht, from, eligible.Count, slots, within);
            }).ToList();
            var main = buckets.OrderByDescending(b => b.Arrivals).ThenBy(b => b.Bucket == CapacityBuckets.Voice ? 0 : 1).First();
            return new QueueForecast(q.Name, now, _options.Window.TotalSeconds, main.OfferedLoad, main.ProbabilityOfWaiting,
                main.ExpectedWaitSeconds, main.AgentsNeeded, main.AgentsAvailable, main.Target, main.Bucket, buckets);
        }).ToList();
    }

    /// <summary>One bucket's forecast: voice counts agents, messaging counts concurrent slots (see docs/metrics.md).</summary>
    internal BucketForecast Compute(string bucket, int arrivals, double handleSeconds, string handleFrom, int agents, int slots, double withinSeconds)
    {
        var perSecond = arrivals / _options.Window.TotalSeconds;
        var load = perSecond * handleSeconds;
        var servers = bucket == CapacityBuckets.Voice ? agents : slots;
        var wait = ErlangC.AverageSpeedOfAnswer(load, servers, handleSeconds);
        var needed = ErlangC.AgentsNeeded(load, handleSeconds, _options.TargetShare, withinSeconds);
        int? agentsNeeded = needed;
        if (bucket == CapacityBuckets.Messaging && needed is { } n)
        {
            // Slots to agents: at the capacity the available agents have on average (one when nobody is logged in).
            var perAgent = agents > 0 && slots > 0 ? (double)slots / agents : 1;
            agentsNeeded = (int)Math.Ceiling(n / perAgent);
        }

        return new BucketForecast(bucket, arrivals, Math.Round(handleSeconds, 3), handleFrom, Math.Round(load, 4),
            Math.Round(ErlangC.ProbabilityOfWaiting(load, servers), 4), double.IsInfinity(wait) ? null : Math.Round(wait, 3),
            agentsNeeded, agents, slots, bucket == CapacityBuckets.Messaging ? needed : null,
            new ForecastTarget(_options.TargetShare, withinSeconds));
    }

    /// <summary>
    /// Average handle time per queue and bucket of conversations resolved in the period: from the last
    /// <c>conversation.assigned</c> to <c>conversation.resolved</c> (a call's ringing, talk and wrap-up; a chat's whole time in a slot).
    /// </summary>
    private static async Task<Dictionary<(string, string), double>> HandleTimesAsync(
        NpgsqlConnection connection, string[] queues, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        await using var command = connection.Sql($"""
            select c.queue, case when c.channel = 'voice' then 'voice' else 'messaging' end,
                   avg(extract(epoch from r.occurred_at - a.at))::float8
            from timeline_events r
            join conversations c on c.id = r.conversation_id
            cross join lateral (select max(e.occurred_at) as at from timeline_events e
                                where e.conversation_id = r.conversation_id and e.type = 'conversation.assigned' and e.occurred_at <= r.occurred_at) a
            where r.type = 'conversation.resolved' and r.occurred_at > $1 and r.occurred_at <= $2 and c.queue = any($3) and a.at is not null
            group by 1, 2
            """, from, to, queues);
        var map = new Dictionary<(string, string), double>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) map[(reader.GetString(0), reader.GetString(1))] = reader.GetDouble(2);
        return map;
    }

    private sealed record AgentRow(string Status, Dictionary<string, int> Skills, Dictionary<string, int> Capacity);

    private static async Task<List<AgentRow>> AgentsAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var rows = new List<AgentRow>();
        await using var command = connection.Sql("select status, skills, capacity from agents where status <> 'offline'");
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            rows.Add(new AgentRow(reader.GetString(0), AgentStore.ParseLevels(reader.GetString(1)), AgentStore.ParseLevels(reader.GetString(2))));
        return rows;
    }
}
