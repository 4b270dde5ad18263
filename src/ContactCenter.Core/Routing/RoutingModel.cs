using ContactCenter.Core.Channels;
using ContactCenter.Core.Scheduling;

namespace ContactCenter.Core.Routing;

/// <summary>
/// A queue as configured (<c>Routing:Queues:&lt;name&gt;</c>) or sent to the admin API. Bindable from
/// configuration and (de)serialized as JSON (camelCase, TimeSpans as "hh:mm:ss").
/// </summary>
public sealed class QueueDefinition
{
    /// <summary>Added to each waiting conversation's own priority; higher is served first.</summary>
    public int Priority { get; set; }
    /// <summary>Skill → minimum level an agent needs to take conversations from this queue.</summary>
    public Dictionary<string, int> RequiredSkills { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Opening hours; null means always open. Response clocks pause outside them.</summary>
    public BusinessHoursDefinition? BusinessHours { get; set; }
    public TargetOverrides? Targets { get; set; }
    /// <summary>Timed steps, counted from entering the queue, applied in order.</summary>
    public List<QueueStep> Steps { get; set; } = [];
    public EscalationDefinition? Escalation { get; set; }
    /// <summary>Whether agents may pick waiting conversations from this queue themselves (the desk's inbox shows them).</summary>
    public bool AgentsMayPick { get; set; } = true;
}

/// <summary>"After 60 s accept skill level 1", "after 120 s overflow to queue X".</summary>
public sealed class QueueStep
{
    public TimeSpan After { get; set; }
    /// <summary>From now on an agent needs each required skill at this level at most.</summary>
    public int? AcceptSkillLevel { get; set; }
    /// <summary>Moves the conversation to this queue (it keeps its place by waiting time).</summary>
    public string? OverflowTo { get; set; }
}

/// <summary>What a breached response target does besides recording <c>sla.breached</c>.</summary>
public sealed class EscalationDefinition
{
    /// <summary>Added to the conversation's priority; default <c>Routing:BreachPriorityBoost</c>.</summary>
    public int? RaisePriority { get; set; }
    /// <summary>A conversation still waiting in this queue moves to that queue.</summary>
    public string? OverflowTo { get; set; }
    /// <summary>Shows the breach as an alert in GET /api/queues and on the supervisor page.</summary>
    public bool NotifySupervisors { get; set; } = true;
}

/// <summary>Response targets; unset values fall back (queue channel → queue → <c>Sla:Targets:&lt;channel&gt;</c>).</summary>
public class TargetSet
{
    public TimeSpan? FirstResponse { get; set; }
    public TimeSpan? NextResponse { get; set; }
    public TimeSpan? Resolution { get; set; }
}

public sealed class TargetOverrides : TargetSet
{
    /// <summary>Per channel overrides within the queue, e.g. a tighter voice target.</summary>
    public Dictionary<string, TargetSet>? Channels { get; set; }
}

public sealed class AgentDefinition
{
    public string? Name { get; set; }
    /// <summary>Skill → level, e.g. { "billing": 3, "spanish": 1 }.</summary>
    public Dictionary<string, int> Skills { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Bucket → conversations at once: { "voice": 1, "messaging": 3 }. Missing buckets use the defaults.</summary>
    public Dictionary<string, int>? Capacity { get; set; }
    public string? Status { get; set; }
}

public sealed class ChannelRouting
{
    /// <summary>Whether a new conversation on the channel goes to a queue by itself (unless an owner claims it).</summary>
    public bool? AutoQueue { get; set; }
    /// <summary>The queue new conversations on the channel enter; default <c>Routing:DefaultQueue</c>.</summary>
    public string? Queue { get; set; }
}

public sealed class RoutingOptions
{
    public string DefaultQueue { get; set; } = "general";
    /// <summary>Off: no channel queues new conversations by itself unless its own <c>AutoQueue</c> says so.</summary>
    public bool AutoQueue { get; set; } = true;
    /// <summary>Per channel name: auto-queueing and the default queue. Voice is never auto-queued (the IVR enqueues calls).</summary>
    public Dictionary<string, ChannelRouting> Channels { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Queues created at start-up when missing; the admin API manages them afterwards.</summary>
    public Dictionary<string, QueueDefinition> Queues { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Agents created at start-up when missing (agent ids of agent API keys are added too).</summary>
    public Dictionary<string, AgentDefinition> Agents { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    public Dictionary<string, int> DefaultCapacity { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    public int BreachPriorityBoost { get; set; } = 10;
    /// <summary>How often every instance re-checks for work a lost notification or job left behind.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>Refuse to start when a flow or a channel names a queue that does not exist (otherwise: a warning,
    /// and the queue is created empty the first time a conversation enters it).</summary>
    public bool StrictQueues { get; set; }

    public int CapacityDefault(string bucket) =>
        DefaultCapacity.TryGetValue(bucket, out var value) ? value : bucket == CapacityBuckets.Voice ? 1 : 3;

    public bool AutoQueues(Channel channel) =>
        Channels.TryGetValue(channel.ToName(), out var c) && c.AutoQueue is { } set ? set : AutoQueue && channel.IsMessaging();

    public string QueueFor(Channel channel) =>
        Channels.TryGetValue(channel.ToName(), out var c) && !string.IsNullOrWhiteSpace(c.Queue) ? c.Queue : DefaultQueue;
}

/// <summary>Capacity is counted per bucket: a voice call and chats do not use the same slots.</summary>
public static class CapacityBuckets
{
    public const string Voice = "voice";
    public const string Messaging = "messaging";
    public static readonly string[] All = [Voice, Messaging];

    public static string For(Channel channel) => channel == Channel.Voice ? Voice : Messaging;
    public static string For(string channelName) => channelName == "voice" ? Voice : Messaging;
}

public static class AgentStatus
{
    public const string Available = "available";
    public const string Away = "away";
    public const string Offline = "offline";
    public static readonly IReadOnlySet<string> All = new HashSet<string>([Available, Away, Offline]);
}

public sealed record Agent(
    string Id,
    string Name,
    string Status,
    IReadOnlyDictionary<string, int> Skills,
    IReadOnlyDictionary<string, int> Capacity,
    IReadOnlyDictionary<string, int> Load,
    DateTimeOffset StatusChangedAt,
    DateTimeOffset IdleSince);

public sealed record RoutingQueue(string Name, QueueDefinition Definition, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);
