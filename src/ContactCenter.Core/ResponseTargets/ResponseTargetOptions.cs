using ContactCenter.Core.Channels;
using ContactCenter.Core.Routing;

namespace ContactCenter.Core.ResponseTargets;

public static class ClockKinds
{
    /// <summary>From the customer's first message (or the call entering the queue) to the first agent answer.</summary>
    public const string FirstResponse = "first_response";
    /// <summary>From a customer message after an agent's answer to the next agent answer.</summary>
    public const string NextResponse = "next_response";
    /// <summary>From the conversation's start to its resolution.</summary>
    public const string Resolution = "resolution";
}

public enum ClockScheduler
{
    /// <summary>The response_clocks table is the schedule: every instance polls due rows with SKIP LOCKED.</summary>
    Deadlines,
    /// <summary>Each clock start schedules two Hangfire jobs (80 % and 100 %); kept to compare, see docs/routing.md.</summary>
    Hangfire,
}

/// <summary><c>Sla:*</c>: response targets per channel and how deadlines are enforced.</summary>
public sealed class SlaOptions
{
    /// <summary>Per channel name: <c>Sla:Targets:&lt;channel&gt;:FirstResponse|NextResponse|Resolution</c>.</summary>
    public Dictionary<string, TargetSet> Targets { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    public ClockScheduler Scheduler { get; set; } = ClockScheduler.Deadlines;
    /// <summary>The longest a deadline worker sleeps; it otherwise wakes exactly at the next known deadline.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
    public int BatchSize { get; set; } = 200;
    /// <summary>Clocks one instance checks at the same time: a check is a dozen short round trips, so it is latency-bound
    /// (bench: 4 → ~190 checks/s, 16 → ~310/s on a loaded 2-core machine; 32 was no better).</summary>
    public int Parallelism { get; set; } = 16;
    /// <summary>A claimed clock is invisible to other instances this long (a crashed claimer's clocks come back).</summary>
    public TimeSpan LeaseTimeout { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Hangfire mode: how overdue a clock must be before the deadline worker checks it instead of the lost job.</summary>
    public TimeSpan HangfireSweepAfter { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Share of the target at which <c>sla.warning</c> is written.</summary>
    public double WarningAt { get; set; } = 0.8;

    /// <summary>Common practice: voice answered within 20 s (three rings), webchat 1 min, SMS / WhatsApp / Telegram
    /// 5 min, Messenger / Instagram 1 h, email 4 h. A next response has the same target as the first; resolution
    /// within the hour on live channels, within a day (email: three days) on the others.</summary>
    public static readonly IReadOnlyDictionary<Channel, (TimeSpan First, TimeSpan Next, TimeSpan Resolution)> Defaults =
        new Dictionary<Channel, (TimeSpan, TimeSpan, TimeSpan)>
        {
            [Channel.Voice] = (TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(20), TimeSpan.FromHours(1)),
            [Channel.Webchat] = (TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1), TimeSpan.FromHours(1)),
            [Channel.Sms] = (TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5), TimeSpan.FromHours(24)),
            [Channel.WhatsApp] = (TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5), TimeSpan.FromHours(24)),
            [Channel.Telegram] = (TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5), TimeSpan.FromHours(24)),
            [Channel.Messenger] = (TimeSpan.FromHours(1), TimeSpan.FromHours(1), TimeSpan.FromHours(24)),
            [Channel.Instagram] = (TimeSpan.FromHours(1), TimeSpan.FromHours(1), TimeSpan.FromHours(24)),
            [Channel.Email] = (TimeSpan.FromHours(4), TimeSpan.FromHours(4), TimeSpan.FromDays(3)),
        };

    /// <summary>The target of a clock: the queue's channel override, the queue's, the channel's, the default.</summary>
    public TimeSpan TargetFor(Channel channel, string kind, TargetOverrides? queue)
    {
        var name = channel.ToName();
        var fromQueueChannel = queue?.Channels is { } channels && channels.TryGetValue(name, out var set) ? Pick(set, kind) : null;
        var fromConfig = Targets.TryGetValue(name, out var configured) ? Pick(configured, kind) : null;
        var fallback = Defaults[channel];
        return fromQueueChannel ?? (queue is null ? null : Pick(queue, kind)) ?? fromConfig ?? kind switch
        {
            ClockKinds.FirstResponse => fallback.First,
            ClockKinds.NextResponse => fallback.Next,
            _ => fallback.Resolution,
        };
    }

    private static TimeSpan? Pick(TargetSet set, string kind) => kind switch
    {
        ClockKinds.FirstResponse => set.FirstResponse,
        ClockKinds.NextResponse => set.NextResponse,
        _ => set.Resolution,
    };
}
