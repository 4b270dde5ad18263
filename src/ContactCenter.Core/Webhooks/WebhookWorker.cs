using ContactCenter.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Core.Webhooks;

/// <summary>
/// Sends pending webhook deliveries. Every instance runs one; claims use <c>FOR UPDATE SKIP LOCKED</c> and a
/// lease, so instances share the work and a delivery whose instance died is taken again after the lease.
/// Woken by <c>cc_webhooks</c> notifications (sent when a delivery row commits), polling for retries.
/// </summary>
public sealed partial class WebhookWorker(
    PostgresListener listener,
    WebhookDeliveries deliveries,
    WebhookSender sender,
    TimeProvider clock,
    IOptions<WebhookOptions> options,
    ILogger<WebhookWorker> log) : BackgroundService
{
    private readonly WebhookOptions _options = options.Value;
    private readonly SemaphoreSlim _wake = new(0);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // On the instance's one LISTEN connection; after a reconnect, a look at once (a notification may have been missed).
        using var subscription = listener.Subscribe("cc_webhooks", _ => _wake.Release(), () => _wake.Release());
        var inFlight = new List<Task>();
        Task? wake = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            inFlight.RemoveAll(t => t.IsCompleted);
            var room = _options.Parallelism - inFlight.Count;
            var claimed = 0;
            // Claims in batches (a claim is one query whatever its size), unless nothing is in flight.
            if (room > 0 && (inFlight.Count == 0 || room >= Math.Max(1, _options.Parallelism / 4)))
            {
                try
                {
                    foreach (var delivery in await deliveries.ClaimAsync(room, _options.Lease, stoppingToken))
                    {
                        inFlight.Add(DeliverAsync(delivery, stoppingToken));
                        claimed++;
                    }
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException && !stoppingToken.IsCancellationRequested)
                {
                    LogStoreUnavailable(e);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
            }

            if (claimed > 0 && claimed == room) continue; // more may be due
            // One outstanding wait on the semaphore at a time, so no notification is swallowed by an abandoned wait.
            wake ??= _wake.WaitAsync(_options.PollInterval, stoppingToken);
            await Task.WhenAny(inFlight.Append(wake));
            if (wake.IsCompleted) wake = null;
        }

        await Task.WhenAll(inFlight);
    }

    private async Task DeliverAsync(ClaimedDelivery d, CancellationToken ct)
    {
        await Task.Yield();
        try
        {
            var outcome = await sender.SendAsync(d, ct);
            var ms = (int)Math.Min(int.MaxValue, outcome.Duration.TotalMilliseconds);
            switch (outcome.Kind)
            {
                case AttemptKind.Delivered:
                    await deliveries.DeliveredAsync(d, outcome.StatusCode!.Value, ms, ct);
                    break;
                case AttemptKind.Retry:
                    var retryAt = clock.GetUtcNow() + (outcome.RetryAfter ?? Backoff(d.Attempt));
                    var giveUp = retryAt - d.RetryingSince > _options.RetryFor;
                    var error = giveUp ? $"Gave up after {d.Attempt} attempts over {_options.RetryFor}: {outcome.Error}" : outcome.Error!;
                    if (await deliveries.FailedAsync(d, outcome.StatusCode, error, ms, giveUp ? null : retryAt, null, _options.DisableAfter, ct))
                        LogDisabled(d.SubscriptionId, "failing for Webhooks:DisableAfter");
                    if (giveUp) LogGaveUp(d.Id, d.SubscriptionId, d.Attempt);
                    else LogRetrying(d.Id, d.SubscriptionId, d.Attempt, outcome.StatusCode ?? 0, retryAt);
                    break;
                case AttemptKind.Gone:
                    await deliveries.FailedAsync(d, outcome.StatusCode, outcome.Error!, ms, null, "The receiver answered 410 Gone.", _options.DisableAfter, ct);
                    LogDisabled(d.SubscriptionId, "410 Gone");
                    break;
                default:
                    await deliveries.FailedAsync(d, outcome.StatusCode, outcome.Error!, ms, null, null, _options.DisableAfter, ct);
                    LogFailed(d.Id, d.SubscriptionId, outcome.StatusCode ?? 0);
                    break;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutting down mid-attempt: the receiver may or may not have it; hand it to whichever instance is next.
            try { await deliveries.ReleaseAsync(d.Id, CancellationToken.None); }
            catch (NpgsqlException) { /* the lease runs out instead */ }
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            // The outcome could not be stored: the lease runs out and the delivery is tried again (at least once).
            LogStoreUnavailable(e);
        }
        catch (Exception e)
        {
            // A bug, not the receiver: logged with its stack; the lease runs out and the delivery is tried again.
            LogDeliveryCrashed(e, d.Id);
        }
    }

    private TimeSpan Backoff(int attempt)
    {
        // Exponential, jittered over its upper half so many failing deliveries do not retry in lockstep.
        var exponential = _options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 24));
        var capped = Math.Min(exponential, _options.RetryMaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped / 2 + Random.Shared.NextDouble() * capped / 2);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook delivery {DeliveryId} to subscription {SubscriptionId}: attempt {Attempt} failed ({StatusCode}); retrying at {RetryAt}")]
    private partial void LogRetrying(long deliveryId, Guid subscriptionId, int attempt, int statusCode, DateTimeOffset retryAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook delivery {DeliveryId} to subscription {SubscriptionId} given up after {Attempt} attempts")]
    private partial void LogGaveUp(long deliveryId, Guid subscriptionId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook delivery {DeliveryId} to subscription {SubscriptionId} failed ({StatusCode}); not retried")]
    private partial void LogFailed(long deliveryId, Guid subscriptionId, int statusCode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook subscription {SubscriptionId} disabled: {Reason}")]
    private partial void LogDisabled(Guid subscriptionId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Webhook delivery {DeliveryId} crashed; it is retried when its lease runs out")]
    private partial void LogDeliveryCrashed(Exception e, long deliveryId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook worker cannot reach PostgreSQL")]
    private partial void LogStoreUnavailable(Exception e);
}
