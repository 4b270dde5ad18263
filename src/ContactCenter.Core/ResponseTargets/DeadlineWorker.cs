using ContactCenter.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Core.ResponseTargets;

/// <summary>
/// Enforces response-clock deadlines from the <c>response_clocks</c> table. Every instance runs one: it sleeps
/// until the earliest known deadline (at most <see cref="SlaOptions.PollInterval"/>), claims due clocks with
/// <c>FOR UPDATE SKIP LOCKED</c> and a lease (so instances split the work and a crashed claimer's clocks come
/// back), and runs their checks a few at a time. In Hangfire mode the jobs do the checks and this worker only
/// sweeps up clocks whose jobs are long overdue (a schedule lost in a crash).
/// </summary>
public sealed partial class DeadlineWorker(
    NpgsqlDataSource db,
    ClockChecks checks,
    IOptions<SlaOptions> options,
    TimeProvider clock,
    ILogger<DeadlineWorker> log) : BackgroundService
{
    private readonly SlaOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var hangfireMode = _options.Scheduler == ClockScheduler.Hangfire;
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan sleep;
            try
            {
                var handled = await RunOnceAsync(hangfireMode ? _options.HangfireSweepAfter : TimeSpan.Zero, stoppingToken);
                if (handled == _options.BatchSize) continue;
                sleep = hangfireMode ? TimeSpan.FromSeconds(10) : await UntilNextDeadlineAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                LogStoreUnavailable(e);
                sleep = _options.PollInterval;
            }

            if (sleep <= TimeSpan.Zero) continue;
            try
            {
                await Task.Delay(sleep, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Claims the clocks due now (minus <paramref name="grace"/>) and checks them. Public for tests and the benchmark.</summary>
    public async Task<int> RunOnceAsync(TimeSpan grace, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var claimed = new List<long>();
        await using (var connection = await db.OpenConnectionAsync(ct))
        await using (var claim = connection.Sql("""
            update response_clocks set lease_until = $2
            where id in (
                select id from response_clocks
                where next_check_at <= $1 and (lease_until is null or lease_until < $3)
                order by next_check_at
                limit $4
                for update skip locked)
            returning id
            """, now - grace, now + _options.LeaseTimeout, now, _options.BatchSize))
        await using (var reader = await claim.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) claimed.Add(reader.GetInt64(0));
        }

        if (claimed.Count == 0) return 0;
        await Parallel.ForEachAsync(claimed, new ParallelOptions { MaxDegreeOfParallelism = _options.Parallelism, CancellationToken = ct },
            async (id, token) =>
            {
                try
                {
                    await checks.CheckAsync(id, token);
                }
                catch (Exception e) when (!token.IsCancellationRequested)
                {
                    // The lease keeps the clock hidden until it runs out; then any instance tries it again.
                    LogCheckFailed(e, id);
                }
            });
        return claimed.Count;
    }

    private async Task<TimeSpan> UntilNextDeadlineAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql("""
            select next_check_at from response_clocks
            where next_check_at is not null and (lease_until is null or lease_until < $1)
            order by next_check_at limit 1
            """, now);
        var next = await command.ExecuteScalarAsync(ct) is DateTime at ? new DateTimeOffset(at, TimeSpan.Zero) : (DateTimeOffset?)null;
        if (next is null) return _options.PollInterval;
        var wait = next.Value - now;
        return wait < _options.PollInterval ? wait : _options.PollInterval;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Checking response clock {ClockId} failed; it is retried when its lease runs out")]
    private partial void LogCheckFailed(Exception e, long clockId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deadline worker cannot reach PostgreSQL")]
    private partial void LogStoreUnavailable(Exception e);
}
