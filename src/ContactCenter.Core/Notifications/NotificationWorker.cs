using ContactCenter.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Core.Notifications;

/// <summary>
/// Runs due notification steps (first sends, paced sends, fallback windows, status changes). Every instance
/// runs one; claims use <c>FOR UPDATE SKIP LOCKED</c> and a lease. Woken by <c>cc_notifications</c>.
/// </summary>
public sealed partial class NotificationWorker(
    PostgresListener listener,
    NotificationStore store,
    NotificationStepper stepper,
    IOptions<NotificationOptions> options,
    ILogger<NotificationWorker> log) : BackgroundService
{
    private readonly NotificationOptions _options = options.Value;
    private readonly SemaphoreSlim _wake = new(0);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // On the instance's one LISTEN connection; after a reconnect, a look at once (a notification may have been missed).
        using var subscription = listener.Subscribe("cc_notifications", _ => _wake.Release(), () => _wake.Release());
        while (!stoppingToken.IsCancellationRequested)
        {
            int handled;
            try
            {
                handled = await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException && !stoppingToken.IsCancellationRequested)
            {
                LogStoreUnavailable(e);
                handled = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }

            if (handled > 0) continue;
            try
            {
                await _wake.WaitAsync(_options.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

    }

    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var claimed = await store.ClaimAsync(_options.Parallelism * 8, _options.Lease, ct);
        await Parallel.ForEachAsync(claimed, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.Parallelism), CancellationToken = ct },
            async (id, token) =>
            {
                try
                {
                    await stepper.StepAsync(id, token);
                }
                catch (Exception e) when (!token.IsCancellationRequested)
                {
                    // Not swallowed: logged with its stack and tried again shortly (the step is idempotent).
                    LogStepFailed(e, id);
                    await store.ReleaseAsync(id, DateTimeOffset.UtcNow + TimeSpan.FromSeconds(5), CancellationToken.None);
                }
            });
        return claimed.Count;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Notification step for recipient {RecipientId} failed; retrying")]
    private partial void LogStepFailed(Exception e, Guid recipientId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notification worker cannot reach PostgreSQL")]
    private partial void LogStoreUnavailable(Exception e);
}
