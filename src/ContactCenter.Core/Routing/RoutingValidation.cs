using System.Text.Json;
using System.Text.RegularExpressions;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Scheduling;

namespace ContactCenter.Core.Routing;

/// <summary>Checks queue and agent definitions, naming the field at fault (the API answers 400 with it).</summary>
public static partial class RoutingValidation
{
    public const int MaxLevel = 10;
    public const int MaxCapacity = 100;
    public const int MaxPriority = 1000;
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")]
    private static partial Regex NamePattern();

    public static bool IsName(string? name) => name is not null && NamePattern().IsMatch(name);

    public static IEnumerable<string> Queue(string name, QueueDefinition definition)
    {
        if (!IsName(name)) yield return "name: use 1–64 of A-Z a-z 0-9 _ . @ - (starting with a letter or digit).";
        if (Math.Abs(definition.Priority) > MaxPriority) yield return $"priority: between -{MaxPriority} and {MaxPriority}.";
        foreach (var error in Skills("requiredSkills", definition.RequiredSkills)) yield return error;
        if (definition.BusinessHours is { } hours)
        {
            string? error = null;
            try { BusinessHours.Parse(hours); }
            catch (FormatException e) { error = "businessHours." + e.Message; }
            if (error is not null) yield return error;
        }

        if (definition.Targets is { } targets)
        {
            foreach (var error in Targets("targets", targets)) yield return error;
            foreach (var (channel, set) in targets.Channels ?? [])
            {
                if (!ChannelNames.TryParse(channel, out _)) yield return $"targets.channels: '{channel}' is not a channel.";
                foreach (var error in Targets($"targets.channels.{channel}", set)) yield return error;
            }
        }

        var previous = TimeSpan.Zero;
        for (var i = 0; i < definition.Steps.Count; i++)
        {
            var step = definition.Steps[i];
            if (step.After <= TimeSpan.Zero) yield return $"steps[{i}].after: must be more than zero.";
            else if (step.After < previous) yield return $"steps[{i}].after: steps must be in time order.";
            previous = step.After;
            if ((step.AcceptSkillLevel is null) == (step.OverflowTo is null))
                yield return $"steps[{i}]: give exactly one of acceptSkillLevel or overflowTo.";
            if (step.AcceptSkillLevel is < 0 or > MaxLevel) yield return $"steps[{i}].acceptSkillLevel: between 0 and {MaxLevel}.";
            if (step.OverflowTo is { } to && (!IsName(to) || to == name)) yield return $"steps[{i}].overflowTo: another queue's name.";
        }

        if (definition.Escalation is { } escalation)
        {
            if (escalation.RaisePriority is < 0 or > MaxPriority) yield return $"escalation.raisePriority: between 0 and {MaxPriority}.";
            if (escalation.OverflowTo is { } to && (!IsName(to) || to == name)) yield return "escalation.overflowTo: another queue's name.";
        }
    }

    public static IEnumerable<string> Agent(string id, AgentDefinition definition)
    {
        if (!IsName(id)) yield return "id: use 1–64 of A-Z a-z 0-9 _ . @ - (starting with a letter or digit).";
        if (definition.Name is { Length: > 200 }) yield return "name: at most 200 characters.";
        foreach (var error in Skills("skills", definition.Skills)) yield return error;
        foreach (var (bucket, value) in definition.Capacity ?? [])
        {
            if (!CapacityBuckets.All.Contains(bucket)) yield return $"capacity: '{bucket}' is not a bucket (voice, messaging).";
            if (value is < 0 or > MaxCapacity) yield return $"capacity.{bucket}: between 0 and {MaxCapacity}.";
        }

        if (definition.Status is { } status && !AgentStatus.All.Contains(status))
            yield return "status: one of available, away, offline.";
    }

    private static IEnumerable<string> Skills(string field, Dictionary<string, int>? skills)
    {
        foreach (var (skill, level) in skills ?? [])
        {
            if (!IsName(skill)) yield return $"{field}: '{skill}' is not a skill name (letters, digits, _ . @ -).";
            if (level is < 0 or > MaxLevel) yield return $"{field}.{skill}: level between 0 and {MaxLevel}.";
        }
    }

    private static IEnumerable<string> Targets(string field, TargetSet set)
    {
        foreach (var (name, value) in new[] { ("firstResponse", set.FirstResponse), ("nextResponse", set.NextResponse), ("resolution", set.Resolution) })
        {
            if (value is { } v && (v <= TimeSpan.Zero || v > TimeSpan.FromDays(30)))
                yield return $"{field}.{name}: more than zero and at most 30 days.";
        }
    }
}
