using System.Text.RegularExpressions;
using ContactCenter.Core.Scheduling;
using YamlDotNet.RepresentationModel;

namespace ContactCenter.Core.Flows;

public static partial class FlowParser
{
    private static FlowNode? ParseKind(string kind, YamlFields f, string id, int line, ParseContext c) => kind switch
    {
        "say" => Say(f, id, line, c, kind),
        "play" => Play(f, id, line, c),
        "set" => Set(f, id, line, c),
        "branch" => Branch(f, id, line),
        "hours" => Hours(f, id, line),
        "menu" => new MenuNode(id, line, c.Ask(f), c.Options(f, "next"), f.Target("fallback")!),
        "language" => Language(f, id, line, c),
        "callback" => Callback(f, id, line, c),
        "collect" => Collect(f, id, line, c),
        "lookup" => Lookup(f, id, line, c),
        "answer" => new AnswerNode(id, line, c.Template(f, "query", required: false) ?? FlowTemplate.Parse("{last.input}"),
            f.Target("answered")!, f.Target("notFound")!),
        "enqueue" => new EnqueueNode(id, line, c.Prompt(f, "say", "audio", required: false), c.Template(f, "queue", required: true)!,
            f.Int("priority", 0, 100) ?? 0, c.Template(f, "reason", required: false), f.Target("next", required: false)),
        "voicemail" => new VoicemailNode(id, line, c.Prompt(f, "say", "audio", required: true)!,
            f.Duration("maxLength", TimeSpan.FromSeconds(5), TimeSpan.FromHours(1)) ?? TimeSpan.FromMinutes(2),
            c.Template(f, "queue", required: false), f.Target("next", required: false)),
        "transfer" => Transfer(f, id, line, c),
        "hangup" => new HangupNode(id, line, c.Prompt(f, "say", "audio", required: false)),
        "handoff" => new HandoffNode(id, line, c.Prompt(f, "say", "audio", required: false), c.Template(f, "queue", required: true)!,
            c.Template(f, "reason", required: false), f.Int("priority", 0, 100) ?? 0),
        "end" => new EndNode(id, line, c.Prompt(f, "say", "audio", required: false), f.Bool("resolve") ?? true),
        _ => null,
    };

    private static SayNode Say(YamlFields f, string id, int line, ParseContext c, string kind) =>
        new(id, line, kind, c.Prompt(f, "say", "audio", required: true)!, f.Target("next")!);

    /// <summary>A recording; <c>say</c> is the text shown on chat (and spoken if the recording cannot play).</summary>
    private static SayNode Play(YamlFields f, string id, int line, ParseContext c)
    {
        var audio = c.Localized(f, "audio", required: true);
        var text = c.Localized(f, "say", required: false);
        return new SayNode(id, line, "play", new FlowPromptDefinition(text, audio), f.Target("next")!);
    }

    private static SetNode Set(YamlFields f, string id, int line, ParseContext c)
    {
        var values = new List<(string, FlowValue)>();
        if (f.Mapping("set", required: true) is { } set)
        {
            foreach (var (key, value) in set.Map.Children)
            {
                if (key is not YamlScalarNode { Value: { } name })
                {
                    f.Error("set", $"variable names must be texts, found {YamlFields.Describe(key)}", key);
                    continue;
                }

                set.Get(name);
                if (!FlowTemplate.IsVariableName(name))
                    f.Errors.Add(key, id, set.PathOf(name), $"'{name}' is not a variable name (letters, digits, '.', '_', '-')");
                else if (value is not YamlScalarNode { Value: { } text })
                    f.Errors.Add(value, id, set.PathOf(name), $"expected a value, found {YamlFields.Describe(value)}");
                else if (YamlFields.IsPlain(value) && FlowValues.FromPlainScalar(text) is var literal &&
                         literal.ValueKind != System.Text.Json.JsonValueKind.String)
                    values.Add((name, new FlowValue.Literal(literal)));
                else if (c.Template(set, name, text, value) is { } template)
                    values.Add((name, new FlowValue.Text(template)));
            }

            if (set.Map.Children.Count == 0) f.Error("set", "names no variable");
        }

        return new SetNode(id, line, values, f.Target("next")!);
    }

    private static BranchNode Branch(YamlFields f, string id, int line)
    {
        var cases = new List<(FlowCondition, string)>();
        if (f.Sequence("when", required: true) is { } list)
        {
            if (list.Children.Count == 0) f.Error("when", "needs at least one condition");
            foreach (var (_, item) in f.Items(list, "when"))
            {
                var condition = item.String("if", required: true);
                var target = item.Target("goto");
                item.RejectUnknown();
                if (condition is null || target is null) continue;
                try
                {
                    cases.Add((FlowCondition.Parse(condition), target));
                }
                catch (FormatException e)
                {
                    item.Error("if", $"'{condition}': {e.Message}");
                }
            }
        }

        return new BranchNode(id, line, cases, f.Target("else")!);
    }

    /// <summary>Opening hours in the shape of <see cref="BusinessHoursDefinition"/>, inline.</summary>
    private static HoursNode? Hours(YamlFields f, string id, int line)
    {
        var open = f.Target("open");
        var closed = f.Target("closed");
        var holiday = f.Target("holiday", required: false);
        if (f.Mapping("hours", required: true) is not { } hours) return null;

        var definition = new BusinessHoursDefinition { TimeZone = hours.String("timeZone", required: true) ?? "UTC" };
        if (hours.Mapping("weekly", required: true) is { } weekly)
        {
            foreach (var (key, value) in weekly.Map.Children)
            {
                var day = (key as YamlScalarNode)?.Value ?? "";
                if (weekly.Strings(day, value) is { } ranges) definition.Weekly[day] = ranges;
            }

            if (weekly.Map.Children.Count == 0) hours.Error("weekly", "names no day: the line would never be open");
        }

        definition.Holidays = hours.Strings("holidays") ?? [];
        hours.RejectUnknown();
        try
        {
            var parsed = BusinessHours.Parse(definition);
            var holidays = definition.Holidays.Select(d => DateOnly.ParseExact(d, "yyyy-MM-dd")).ToHashSet();
            return new HoursNode(id, line, parsed, holidays, open!, closed!, holiday);
        }
        catch (FormatException e)
        {
            // BusinessHours names the field first ("weekly.monday: …").
            var colon = e.Message.IndexOf(": ", StringComparison.Ordinal);
            var field = colon > 0 ? $"hours.{e.Message[..colon]}" : "hours";
            f.Errors.Add(hours.Map, id, field, colon > 0 ? e.Message[(colon + 2)..] : e.Message);
            return null;
        }
    }

    private static LanguageNode Language(YamlFields f, string id, int line, ParseContext c)
    {
        var ask = c.Ask(f);
        var options = c.Options(f, "language", item =>
        {
            var code = item.String("language", required: true);
            if (code is null || c.Languages.Any(l => l.Code.Equals(code, StringComparison.OrdinalIgnoreCase))) return code;
            item.Error("language", $"'{code}' is not one of the flow's languages ({string.Join(", ", c.Languages.Select(l => l.Code))})");
            return null;
        });
        return new LanguageNode(id, line, ask, options, f.Target("next")!, f.Target("fallback", required: false));
    }

    /// <summary>"Press 1 to be called back": <c>accept</c> and <c>decline</c> (default keys 1 and 2) lead on.</summary>
    private static CallbackNode Callback(YamlFields f, string id, int line, ParseContext c)
    {
        var ask = c.Ask(f);
        var options = new List<FlowOption>();
        foreach (var (choice, key, target) in new[] { ("accept", "1", "accepted"), ("decline", "2", "declined") })
        {
            var goesTo = f.Target(target);
            if (f.Mapping(choice) is { } item)
            {
                if (!item.Has("key") && c.Option(item, choice, goesTo) is { } configured)
                    options.Add(configured with { Key = key });
                else if (c.Option(item, choice, goesTo) is { } option)
                    options.Add(option);
                item.RejectUnknown();
            }
            else if (goesTo is not null)
            {
                options.Add(new FlowOption(choice, key, null, new Dictionary<string, IReadOnlyList<string>>(), goesTo));
            }
        }

        if (options.Count == 2 && options[0].Key is { } k && k == options[1].Key) f.Error("decline", $"uses the same key as accept ('{k}')");
        return new CallbackNode(id, line, ask, options, c.Template(f, "queue", required: true)!,
            c.Template(f, "number", required: false) ?? FlowTemplate.Parse("{caller}"), f.Int("priority", 0, 100) ?? 0,
            f.Target("accepted")!, f.Target("declined")!);
    }

    private static CollectNode Collect(YamlFields f, string id, int line, ParseContext c)
    {
        var ask = c.Ask(f, noMatchKey: "invalid");
        var variable = f.String("variable", required: true);
        if (variable is not null && !FlowTemplate.IsVariableName(variable)) f.Error("variable", $"'{variable}' is not a variable name");
        var validator = SlotValidator.Named("text")!;
        switch (f.Get("validate"))
        {
            case null:
                break;
            case YamlScalarNode { Value: { } name }:
                validator = SlotValidator.Named(name) ?? Invalid(f, "validate",
                    $"'{name}' is not a known check ({string.Join(", ", SlotValidator.BuiltIn)}); use {{ regex: ... }} for a pattern", validator);
                break;
            case YamlMappingNode:
                var rule = f.Mapping("validate")!;
                if (rule.String("regex", required: true) is { } pattern)
                {
                    try
                    {
                        validator = SlotValidator.Pattern(pattern);
                    }
                    catch (ArgumentException e)
                    {
                        rule.Error("regex", $"not a valid regular expression: {e.Message}");
                    }
                }

                rule.RejectUnknown();
                break;
            case var other:
                f.Error("validate", $"expected a check name or {{ regex: ... }}, found {YamlFields.Describe(other)}", other);
                break;
        }

        var finishOnKey = f.String("finishOnKey") ?? "#";
        if (finishOnKey is not ("#" or "*" or "")) f.Error("finishOnKey", "must be #, * or empty");
        return new CollectNode(id, line, ask, variable ?? "", validator, f.Int("maxDigits", 1, 64),
            finishOnKey.Length == 0 ? null : finishOnKey, f.Target("next")!, f.Target("fallback")!);
    }

    private static LookupNode Lookup(YamlFields f, string id, int line, ParseContext c)
    {
        var method = f.String("method")?.ToUpperInvariant() ?? "GET";
        if (method is not ("GET" or "POST" or "PUT")) f.Error("method", $"'{method}' is not GET, POST or PUT");
        var endpoint = f.String("endpoint");
        if (endpoint is not null && !EndpointName().IsMatch(endpoint)) f.Error("endpoint", $"'{endpoint}' is not an endpoint name");
        var url = c.Template(f, "url", required: true);
        if (url is not null)
        {
            // Variables are filled in at run time; a sample value shows whether the shape is right.
            var sample = url.Render(url.Variables.ToDictionary(v => v, _ => FlowValues.Of("x")));
            if (endpoint is null && !(Uri.TryCreate(sample, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https"))
                f.Error("url", "must be an absolute http(s) URL, or a path under a configured 'endpoint'");
            else if (endpoint is not null && !sample.StartsWith('/'))
                f.Error("url", "must be a path starting with '/' when an endpoint is named");
        }

        var headers = new Dictionary<string, FlowTemplate>(StringComparer.OrdinalIgnoreCase);
        if (f.Mapping("headers") is { } h)
        {
            foreach (var (key, value) in h.Map.Children)
            {
                var name = (key as YamlScalarNode)?.Value ?? "";
                if (h.String(name, required: true) is { } text && c.Template(h, name, text, value) is { } template) headers[name] = template;
            }
        }

        var results = new List<(string, JsonPath)>();
        if (f.Mapping("result") is { } result)
        {
            foreach (var (key, _) in result.Map.Children)
            {
                var variable = (key as YamlScalarNode)?.Value ?? "";
                var path = result.String(variable, required: true);
                if (!FlowTemplate.IsVariableName(variable)) result.Error(variable, $"'{variable}' is not a variable name");
                else if (path is not null)
                {
                    try
                    {
                        results.Add((variable, JsonPath.Parse(path)));
                    }
                    catch (FormatException e)
                    {
                        result.Error(variable, e.Message);
                    }
                }
            }
        }

        return new LookupNode(id, line, method, endpoint, url ?? FlowTemplate.Literal(""), headers, c.Template(f, "body", required: false),
            f.Duration("timeout", TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30)) ?? TimeSpan.FromSeconds(3),
            results, f.Target("next")!, f.Target("error")!);
    }

    /// <summary>Exactly one of <c>number</c> (E.164), <c>sip</c> (sip: URI) or <c>client</c> (a Twilio Client identity).</summary>
    private static TransferNode? Transfer(YamlFields f, string id, int line, ParseContext c)
    {
        var given = new[] { ("number", TransferKind.Number), ("sip", TransferKind.Sip), ("client", TransferKind.Client) }
            .Where(t => f.Has(t.Item1)).ToList();
        if (given.Count != 1)
        {
            f.Error(given.Count == 0 ? "number" : given[1].Item1, "a transfer needs exactly one of number, sip or client");
            foreach (var (key, _) in given) f.Get(key);
            return null;
        }

        var (field, kind) = given[0];
        var address = c.Template(f, field, required: true);
        if (address is not null && !address.Variables.Any())
        {
            var valid = kind switch
            {
                TransferKind.Number => PhoneNumber().IsMatch(address.Source),
                TransferKind.Sip => address.Source.StartsWith("sip:", StringComparison.OrdinalIgnoreCase) && address.Source.Contains('@'),
                _ => EndpointName().IsMatch(address.Source),
            };
            if (!valid)
                f.Error(field, kind switch
                {
                    TransferKind.Number => $"'{address.Source}' is not an E.164 number like +14155550100",
                    TransferKind.Sip => $"'{address.Source}' is not a SIP URI like sip:agent@pbx.example.com",
                    _ => $"'{address.Source}' is not a client identity",
                });
        }

        return new TransferNode(id, line, c.Prompt(f, "say", "audio", required: false), kind, address ?? FlowTemplate.Literal(""),
            c.Template(f, "callerId", required: false),
            f.Duration("timeout", TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(10)) ?? TimeSpan.FromSeconds(30),
            f.Target("next", required: false));
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    private static partial Regex EndpointName();

    [GeneratedRegex(@"^\+[1-9]\d{6,14}$")]
    private static partial Regex PhoneNumber();
}
