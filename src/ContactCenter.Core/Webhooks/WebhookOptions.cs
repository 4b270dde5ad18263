namespace ContactCenter.Core.Webhooks;

/// <summary>Event webhooks out (configuration section <c>Webhooks</c>).</summary>
public sealed class WebhookOptions
{
    /// <summary>How long a delivery is retried (timeouts, connection errors, 429, 5xx) before it is given up.</summary>
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromHours(24);
    /// <summary>A subscription whose deliveries have all failed for this long is disabled.</summary>
    public TimeSpan DisableAfter { get; set; } = TimeSpan.FromDays(5);
    /// <summary>Allow targets on loopback, private, link-local and other non-public addresses (tests, labs).</summary>
    public bool AllowPrivateTargets { get; set; }
    /// <summary>One attempt's limit, connecting included.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(5);
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(1);
    /// <summary>How often to look for due retries when no notification arrives.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>Deliveries one instance has in flight at once (one per subscriber and conversation at most).</summary>
    public int Parallelism { get; set; } = 32;

    /// <summary>A claimed delivery stays invisible this long: past it, another instance assumes this one died.</summary>
    public TimeSpan Lease => Timeout + Timeout + TimeSpan.FromSeconds(5);
}
