namespace ContactCenter.Core.Outbound;

/// <summary>
/// Delivery states of an outbound message. Provider callbacks arrive in any order, so a state only ever
/// moves forward: a late "sent" never overwrites "delivered", and a final state never changes.
/// </summary>
public static class DeliveryStatus
{
    /// <summary>Stored, waiting for its (next) delivery attempt.</summary>
    public const string Pending = "pending";
    /// <summary>An attempt is in flight (internal; not a provider state).</summary>
    public const string Dispatching = "dispatching";
    public const string Accepted = "accepted";
    public const string Scheduled = "scheduled";
    public const string Queued = "queued";
    public const string Sending = "sending";
    public const string Sent = "sent";
    public const string Delivered = "delivered";
    public const string Read = "read";
    public const string Failed = "failed";
    public const string Undelivered = "undelivered";
    public const string Canceled = "canceled";

    private static readonly Dictionary<string, int> Rank = new(StringComparer.Ordinal)
    {
        [Pending] = 0, [Dispatching] = 1, [Accepted] = 2, [Scheduled] = 2, [Queued] = 3, [Sending] = 4,
        [Sent] = 5, [Delivered] = 6, [Read] = 7,
    };

    public static bool IsKnown(string status) => Rank.ContainsKey(status) || IsFinal(status);

    public static bool IsFinal(string status) => status is Failed or Undelivered or Canceled;

    /// <summary>States worth a timeline entry: what the provider reports, not our internal bookkeeping.</summary>
    public static bool IsReported(string status) => status is not (Pending or Dispatching);

    /// <summary>The state after <paramref name="next"/> is reported for a message in <paramref name="current"/>.</summary>
    public static string Advance(string current, string next)
    {
        if (IsFinal(current) || !IsKnown(next)) return current;
        if (IsFinal(next)) return next;
        return Rank[next] > Rank.GetValueOrDefault(current, -1) ? next : current;
    }
}
