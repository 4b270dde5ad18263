using System.Diagnostics.Metrics;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Telemetry;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace ContactCenter.Core.Reactions;

/// <summary>
/// Observable gauges of the after-commit work still waiting in <c>pending_reactions</c>: how many events, how old
/// the oldest is, how many are parked. Read from the table when a metrics reader collects (a Prometheus scrape,
/// an OTLP export), so every instance reports the same shared backlog.
/// </summary>
public sealed class AfterCommitBacklog(NpgsqlDataSource db, IMeterFactory meters, TimeProvider clock) : IHostedService
{
    /// <summary>Several gauges are read in one collection: one query serves them all for this long.</summary>
    private static readonly TimeSpan Reuse = TimeSpan.FromSeconds(1);
    private readonly Lock _gate = new();
    private (DateTimeOffset At, Sample Value)? _last;

    public record struct Sample(long Waiting, double OldestSeconds, long Parked);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // A meter of this host (IMeterFactory), not the static one: each host reads its own database.
        var meter = meters.Create(ContactCenterTelemetry.Name);
        meter.CreateObservableGauge("contactcenter.after_commit.backlog", () => Observe(s => s.Waiting), "{event}",
            "Stored events whose after-commit work has not run yet (parked ones excluded)");
        meter.CreateObservableGauge("contactcenter.after_commit.oldest_age", () => Observe(s => s.OldestSeconds), "s",
            "Age of the oldest event still waiting for its after-commit work");
        meter.CreateObservableGauge("contactcenter.after_commit.parked", () => Observe(s => s.Parked), "{event}",
            "Events whose after-commit work failed too often and waits for an operator");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private IEnumerable<Measurement<T>> Observe<T>(Func<Sample, T> pick) where T : struct
    {
        var sample = Read();
        return sample is { } value ? [new Measurement<T>(pick(value))] : [];
    }

    /// <summary>The backlog now; null when PostgreSQL does not answer (the gauge then reports nothing).</summary>
    public Sample? Read()
    {
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            if (_last is { } last && now - last.At < Reuse) return last.Value;
        }

        try
        {
            // Collection callbacks are synchronous; this is one index-backed aggregate with a short timeout.
            using var connection = db.OpenConnection();
            using var command = connection.Sql("""
                select count(*) filter (where claimed_until is null or claimed_until < '9000-01-01'),
                       min(created_at) filter (where claimed_until is null or claimed_until < '9000-01-01'),
                       count(*) filter (where claimed_until >= '9000-01-01')
                from pending_reactions
                """);
            command.CommandTimeout = 5;
            using var reader = command.ExecuteReader();
            reader.Read();
            var oldest = reader.IsDBNull(1) ? (DateTimeOffset?)null : reader.GetFieldValue<DateTimeOffset>(1);
            var sample = new Sample(reader.GetInt64(0), oldest is { } o ? Math.Max(0, (now - o).TotalSeconds) : 0, reader.GetInt64(2));
            lock (_gate) _last = (now, sample);
            return sample;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or ObjectDisposedException)
        {
            return null;
        }
    }
}
