using System.Diagnostics.Metrics;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Telemetry;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace ContactCenter.Core.Work;

/// <summary>
/// Observable gauges of the after-commit work waiting in <c>work_items</c>: how many items are due or running, how
/// long the oldest has been due, how many are parked. Read from the table when a metrics reader collects (a Prometheus scrape,
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
        meter.CreateObservableGauge("contactcenter.after_commit.backlog", () => Observe(s => s.Waiting), "{item}",
            "After-commit work items due or running (scheduled ones not yet due and parked ones excluded)");
        meter.CreateObservableGauge("contactcenter.after_commit.oldest_age", () => Observe(s => s.OldestSeconds), "s",
            "How long the oldest due work item has been due");
        meter.CreateObservableGauge("contactcenter.after_commit.parked", () => Observe(s => s.Parked), "{item}",
            "Work items that failed too often and wait for an operator (GET /api/admin/work?status=parked)");
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
                select count(*) filter (where status <> 'parked' and due_at <= $1),
                       min(due_at) filter (where status <> 'parked' and due_at <= $1),
                       count(*) filter (where status = 'parked')
                from work_items
                """, now);
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
