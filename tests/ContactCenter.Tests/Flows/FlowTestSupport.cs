using System.Collections.Immutable;
using System.Text.Json;
using ContactCenter.Core.Flows;
using Xunit.Sdk;

namespace ContactCenter.Tests.Flows;

public static class FlowTestSupport
{
    /// <summary>Monday 2026-11-23 10:00 in New York: the main line is open.</summary>
    public static readonly DateTimeOffset OpenMonday = DateTimeOffset.Parse("2026-11-23T15:00:00Z");
    /// <summary>Saturday 2026-11-28 14:00 in New York: closed (Saturdays close at 13:00).</summary>
    public static readonly DateTimeOffset SaturdayAfternoon = DateTimeOffset.Parse("2026-11-28T19:00:00Z");
    /// <summary>Thanksgiving, Thursday 2026-11-26 10:00 in New York: a holiday.</summary>
    public static readonly DateTimeOffset Thanksgiving = DateTimeOffset.Parse("2026-11-26T15:00:00Z");

    public static string FlowsFolder => Path.Combine(ContactCenterApp.RepositoryRoot, "flows");

    /// <summary>A shipped flow from the repository's flows/ folder.</summary>
    public static Flow Shipped(string name)
    {
        var (flows, errors) = FlowCatalog.LoadFolder(FlowsFolder, ContactCenterApp.RepositoryRoot);
        if (errors.Count > 0) throw new XunitException("The shipped flows are broken:\n" + string.Join("\n", errors));
        return flows.Single(f => f.Name == name);
    }

    public static Flow Parse(string yaml, string file = "test.yaml")
    {
        var (flow, errors) = FlowParser.Parse(file, yaml, Path.GetFileNameWithoutExtension(file));
        return flow ?? throw new XunitException("The test flow is broken:\n" + string.Join("\n", errors));
    }

    public static IReadOnlyList<FlowError> Errors(string yaml, string file = "test.yaml") =>
        FlowParser.Parse(file, yaml, Path.GetFileNameWithoutExtension(file)).Errors;

    public static FlowStart Variables(params (string Name, object Value)[] values) =>
        new(null, values.ToImmutableDictionary(v => v.Name, v => JsonSerializer.SerializeToElement(v.Value)));

    public static string Said(this FlowStep step) => string.Join(" | ", step.AllPrompts.Select(p => p.Text));

    public static T Action<T>(this FlowStep step) where T : FlowAction =>
        step.Actions.OfType<T>().SingleOrDefault() ?? throw new XunitException(
            $"Expected one {typeof(T).Name}; actions: [{string.Join(", ", step.Actions)}]; said: {step.Said()}");
}

/// <summary>A call or chat driven straight through the pure engine, at a fixed time.</summary>
public sealed class EngineCall(Flow flow, DateTimeOffset now)
{
    public FlowStep Step { get; private set; } = null!;

    public FlowStep Start(FlowStart? start = null) => Step = FlowEngine.Start(flow, start ?? FlowStart.Empty, now);

    public FlowStep Send(FlowInput input) => Step = FlowEngine.Step(flow, Step.State, input, now);

    public FlowStep Keys(string digits) => Send(new FlowInput.Digits(digits));
    public FlowStep Say(string words) => Send(new FlowInput.Speech(words, 0.9));
    public FlowStep Type(string text) => Send(new FlowInput.Text(text));
    public FlowStep Silence() => Send(new FlowInput.NoInput());

    public string Node => Step.State.Node;
}
