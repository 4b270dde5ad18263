using ContactCenter.Core.Flows;

namespace ContactCenter.Tests.Bot;

/// <summary>A flow's <c>entries</c>: nodes the bot jumps to directly count as reachable, and must exist.</summary>
public class FlowEntriesTests
{
    private const string Flow = """
        name: entries
        start: hello
        ENTRIES
        nodes:
          - { id: hello, kind: end, say: Hi }
          - { id: survey, kind: end, say: Thanks }
        """;

    [Fact]
    public void AnEntryIsReachableAndAnUnknownOneIsAnError()
    {
        var (_, unreachable) = FlowParser.Parse("entries.yaml", Flow.Replace("ENTRIES", ""), "entries");
        Assert.Contains(unreachable, e => e.Node == "survey" && e.Message.Contains("unreachable"));

        var (flow, none) = FlowParser.Parse("entries.yaml", Flow.Replace("ENTRIES", "entries: [survey]"), "entries");
        Assert.Empty(none);
        Assert.NotNull(flow);

        var (_, unknown) = FlowParser.Parse("entries.yaml", Flow.Replace("ENTRIES", "entries: [surveys]"), "entries");
        Assert.Contains(unknown, e => e.Field == "entries" && e.Message.Contains("unknown node 'surveys'"));
    }
}
