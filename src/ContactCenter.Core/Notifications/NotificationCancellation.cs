using ContactCenter.Core.Outbound;

namespace ContactCenter.Core.Notifications;

/// <summary>
/// Cancelling a notification: no recipient takes another step, and every message of it still waiting in the outbox
/// is recalled (cancelled, never sent). A message a provider already has stays out, but no fallback follows it.
/// </summary>
public sealed class NotificationCancellation(NotificationStore store, OutboxDispatcher dispatcher)
{
    /// <returns>False when there is no such notification.</returns>
    public async Task<bool> CancelAsync(Guid id, CancellationToken ct)
    {
        // First the mark (committed), then the recall: a step that sends after the mark finds it and recalls its own
        // message (NotificationStepper), and one that sent before it is found here.
        if (!await store.CancelAsync(id, ct)) return false;
        foreach (var message in await store.PendingMessagesAsync(id, ct))
            await dispatcher.RecallAsync(message, NotificationStepper.RecallReason, ct);
        return true;
    }
}
