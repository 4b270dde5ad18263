using ContactCenter.Core.Flows;
using static ContactCenter.Tests.Flows.FlowTestSupport;

namespace ContactCenter.Tests.Flows;

/// <summary>Each kind of mistake in a flow file is reported with its file, line, node and field.</summary>
public class FlowValidationTests
{
    private static FlowError Single(string yaml, string file = "flows/broken.yaml")
    {
        var errors = Errors(yaml, file);
        Assert.True(errors.Count == 1, $"Expected one error, got {errors.Count}:\n{string.Join("\n", errors)}");
        Assert.Equal(file, errors[0].File);
        return errors[0];
    }

    private static void AssertError(FlowError error, string? node, string? field, string messagePart, int? line = null)
    {
        Assert.Equal(node, error.Node);
        Assert.Equal(field, error.Field);
        Assert.Contains(messagePart, error.Message);
        if (line is { } l) Assert.Equal(l, error.Line);
        Assert.Contains(error.File, error.ToString());
        if (node is not null) Assert.Contains($"node '{node}'", error.ToString());
        if (field is not null) Assert.Contains($"field '{field}'", error.ToString());
    }

    [Fact]
    public void TheShippedFlowsAreValid()
    {
        var (flows, errors) = FlowCatalog.LoadFolder(FlowsFolder, ContactCenterApp.RepositoryRoot);
        Assert.Empty(errors);
        Assert.Contains(flows, f => f is { Name: "main-ivr", Audience: FlowAudience.Voice, File: "flows/main-ivr.yaml" });
        Assert.Contains(flows, f => f is { Name: "messaging-bot", Audience: FlowAudience.Messaging });
    }

    [Fact]
    public void AnUnknownTargetNamesTheNodeTheFieldAndTheLikelyIntendedNode()
    {
        var error = Single("""
            start: menu
            nodes:
              - id: menu
                kind: menu
                say: Press 1 for billing.
                options:
                  - { id: billing, key: "1", next: biling }
                fallback: billing
              - { id: billing, kind: hangup }
            """);
        AssertError(error, "menu", "options[0].next", "unknown target 'biling' (did you mean 'billing'?)", line: 3);
    }

    [Fact]
    public void AnUnknownStartNodeIsReported() =>
        AssertError(Single("start: welcom\nnodes:\n  - { id: welcome, kind: hangup }\n"), null, "start", "unknown node 'welcom'", line: 1);

    [Fact]
    public void AnUnreachableNodeIsReported() => AssertError(Single("""
        start: a
        nodes:
          - { id: a, kind: hangup }
          - { id: orphan, kind: say, say: Lost, next: a }
        """), "orphan", null, "unreachable", line: 4);

    [Fact]
    public void AMissingRequiredFieldIsReported() => AssertError(Single("""
        start: a
        nodes:
          - { id: a, kind: enqueue, say: Hold on. }
        """), "a", "queue", "is required");

    [Theory]
    [InlineData("retries: many", "retries", "expected a whole number, found 'many'")]
    [InlineData("retries: 99", "retries", "out of range")]
    [InlineData("timeout: soon", "timeout", "expected a duration")]
    [InlineData("options: billing", "options", "expected a list, found 'billing'")]
    [InlineData("say: [a, b]", "say", "expected a text or a text per language, found a list")]
    [InlineData("input: touch", "input", "'touch' is not keypad or speech")]
    public void AFieldOfTheWrongTypeIsReported(string line, string field, string message)
    {
        var fields = new Dictionary<string, string>
        {
            ["say"] = "say: Press 1.",
            ["options"] = "options: [{ id: one, key: \"1\", next: done }]",
            ["fallback"] = "fallback: done",
        };
        fields[line.Split(':')[0]] = line;
        var yaml = "start: menu\nnodes:\n  - id: menu\n    kind: menu\n" + string.Concat(fields.Values.Select(f => $"    {f}\n")) +
                   "  - { id: done, kind: hangup }\n";
        var error = Errors(yaml).FirstOrDefault(e => e.Field == field);
        Assert.True(error is not null, $"No error on {field}: {string.Join("\n", Errors(yaml))}");
        AssertError(error, "menu", field, message, line: 3 + fields.Keys.ToList().IndexOf(line.Split(':')[0]) + 2);
    }

    [Fact]
    public void AnUnknownKindAndAnUnknownFieldAreReported()
    {
        var errors = Errors("""
            start: a
            nodes:
              - { id: a, kind: say, say: Hi, nxt: b, next: b }
              - { id: b, kind: teleport }
            """);
        Assert.Contains(errors, e => e is { Node: "a", Field: "nxt", Message: "unknown field" });
        Assert.Contains(errors, e => e.Node == "b" && e.Field == "kind" && e.Message.StartsWith("unknown kind 'teleport'"));
    }

    [Fact]
    public void ALoopThatNeverWaitsForInputIsReportedWithItsPath() => AssertError(Single("""
        start: a
        nodes:
          - { id: a, kind: say, say: Hi, next: b }
          - { id: b, kind: set, set: { n: 1 }, next: c }
          - id: c
            kind: branch
            when: [{ if: "n == 1", goto: a }]
            else: menu
          - id: menu
            kind: menu
            say: Press 1 to hear it again.
            options: [{ id: again, key: "1", next: a }]
            fallback: a
        """), "a", null, "a → b → c → a");

    [Fact]
    public void ALoopThroughAQuestionIsFine() => Assert.Empty(Errors("""
        start: menu
        nodes:
          - id: menu
            kind: menu
            say: Press 1 to hear it again.
            options: [{ id: again, key: "1", next: again }]
            fallback: menu
          - { id: again, kind: say, say: Again., next: menu }
        """));

    [Fact]
    public void ADuplicateNodeIdNamesTheFirstDeclaration() => AssertError(Single("""
        start: a
        nodes:
          - { id: a, kind: say, say: Hi, next: b }
          - { id: b, kind: hangup }
          - { id: b, kind: hangup }
        """), "b", "id", "duplicate node id (first declared at line 4)", line: 5);

    [Theory]
    [InlineData("timeZone: Mars/Olympus", "hours.timeZone", "not a known time zone")]
    [InlineData("weekly: { funday: [\"09:00-17:00\"] }", "hours.weekly", "'funday' is not a day of the week")]
    [InlineData("weekly: { monday: [\"9-5\"] }", "hours.weekly.monday", "'9-5' is not a range")]
    [InlineData("holidays: [\"25/12/2026\"]", "hours.holidays", "is not a date")]
    [InlineData("weekly: {}", "hours.weekly", "names no day")]
    public void BadBusinessHoursAreReported(string field, string path, string message)
    {
        var key = field.Split(':')[0];
        var fields = new Dictionary<string, string>
        {
            ["timeZone"] = "timeZone: America/New_York",
            ["weekly"] = "weekly: { monday: [\"09:00-17:00\"] }",
            ["holidays"] = "holidays: []",
        };
        fields[key] = field;
        var error = Single($$"""
            start: hours
            nodes:
              - id: hours
                kind: hours
                hours: { {{string.Join(", ", fields.Values)}} }
                open: done
                closed: done
              - { id: done, kind: hangup }
            """);
        AssertError(error, "hours", path, message);
    }

    [Fact]
    public void LanguagesTemplatesConditionsAndPatternsAreChecked()
    {
        var errors = Errors("""
            languages: [en, es]
            start: a
            nodes:
              - { id: a, kind: say, say: { en: "Hi {customer.name", fr: Salut }, next: b }
              - id: b
                kind: branch
                when: [{ if: "x = 1", goto: c }]
                else: c
              - { id: c, kind: collect, say: Code?, variable: code, validate: { regex: "([" }, next: d, fallback: d }
              - { id: d, kind: transfer, number: "555-0100" }
            """);
        Assert.Contains(errors, e => e is { Node: "a", Field: "say.en" } && e.Message.Contains("never closed"));
        Assert.Contains(errors, e => e is { Node: "a", Field: "say.fr" } && e.Message.Contains("not one of the flow's languages"));
        Assert.Contains(errors, e => e is { Node: "a", Field: "say" } && e.Message.Contains("no text for language 'es'"));
        Assert.Contains(errors, e => e is { Node: "b", Field: "when[0].if" } && e.Message.Contains("write '=='"));
        Assert.Contains(errors, e => e is { Node: "c", Field: "validate.regex" } && e.Message.Contains("not a valid regular expression"));
        Assert.Contains(errors, e => e is { Node: "d", Field: "number" } && e.Message.Contains("E.164"));
    }

    [Fact]
    public void BrokenYamlIsReportedWithItsLine()
    {
        var error = Single("start: a\nnodes:\n  - id: a\n    kind: hangup\n   say: \"unclosed\n");
        Assert.Null(error.Node);
        Assert.Contains("not valid YAML or JSON", error.Message);
        Assert.True(error.Line >= 3, error.ToString());

        var unclosed = Single("start: a\nnodes:\n  - { id: a, kind: hangup\n  - id: b\n");
        Assert.Contains("not valid YAML or JSON", unclosed.Message);
    }

    [Fact]
    public void JsonFlowsAreReadToo()
    {
        var flow = Parse("""
            { "start": "a", "nodes": [ { "id": "a", "kind": "hangup", "say": "Goodbye {customer.name|}" } ] }
            """, "flows/tiny.json");
        Assert.Equal("tiny", flow.Name);
        Assert.IsType<HangupNode>(flow.Nodes["a"]);
    }

    [Fact]
    public void EveryErrorOfAFolderIsListedAndFlowNamesMustBeUnique()
    {
        var folder = Directory.CreateTempSubdirectory("flows-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "a.yaml"), "name: same\nstart: x\nnodes:\n  - { id: x, kind: hangup }\n");
            File.WriteAllText(Path.Combine(folder, "b.yml"), "name: same\nstart: x\nnodes:\n  - { id: x, kind: hangup }\n");
            File.WriteAllText(Path.Combine(folder, "c.yaml"), "start: x\nnodes:\n  - { id: x, kind: say, say: hi }\n");
            File.WriteAllText(Path.Combine(folder, "notes.txt"), "not a flow");
            var (flows, errors) = FlowCatalog.LoadFolder(folder);
            Assert.Single(flows);
            Assert.Equal(2, errors.Count);
            Assert.Contains(errors, e => e.File.EndsWith("b.yml") && e.Message.Contains("already used by"));
            Assert.Contains(errors, e => e.File.EndsWith("c.yaml") && e is { Node: "x", Field: "next" });

            var options = new FlowOptions { Path = folder, Voice = "missing", Bots = { ["whatsapp"] = "same", ["voice"] = "same" } };
            var thrown = Assert.Throws<FlowValidationException>(() => FlowCatalog.Load("/", options));
            Assert.Contains(thrown.Errors, e => e.Field == "Flows:Voice" && e.Message.Contains("'missing'"));
            Assert.Contains(thrown.Errors, e => e.Field == "Flows:Bots:voice" && e.Message.Contains("not a messaging channel"));
            Assert.Contains("c.yaml", thrown.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
