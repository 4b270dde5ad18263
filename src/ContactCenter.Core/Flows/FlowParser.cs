using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ContactCenter.Core.Flows;

/// <summary>
/// Reads one flow file (YAML, or JSON which YAML includes) into a <see cref="Flow"/>, collecting every mistake
/// with its file, line, node and field instead of stopping at the first. Graph checks (targets, reachability,
/// loops without input) follow in <see cref="FlowGraph"/>.
/// </summary>
public static partial class FlowParser
{
    public static readonly IReadOnlyList<string> Kinds =
    [
        "say", "play", "set", "branch", "hours", "menu", "language", "callback", "collect", "lookup", "answer",
        "enqueue", "voicemail", "transfer", "hangup", "handoff", "end",
    ];

    /// <summary>Parses a flow; the flow is null when anything is wrong, and the errors say what.</summary>
    public static (Flow? Flow, IReadOnlyList<FlowError> Errors) Parse(string file, string text, string defaultName)
    {
        var errors = new FlowErrors(file);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            errors.List.Add(new FlowError(file, (int)Math.Max(1, e.Start.Line), null, null, $"not valid YAML or JSON: {Innermost(e).Message}"));
            return (null, errors.List);
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner gives up this way on some malformed input (an unclosed flow mapping).
            errors.List.Add(new FlowError(file, 0, null, null, "not valid YAML or JSON (check brackets, quotes and indentation)"));
            return (null, errors.List);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            errors.Add(stream.Documents.FirstOrDefault()?.RootNode, null, null, "a flow file must be a mapping with 'start' and 'nodes'");
            return (null, errors.List);
        }

        var top = new YamlFields(errors, root, null, "");
        var name = top.String("name") ?? defaultName;
        if (!FlowName().IsMatch(name)) top.Error("name", $"'{name}' is not a flow name (lower-case letters, digits, '-' and '_')");
        top.Get("description");
        var audience = top.String("channel") switch
        {
            null or "any" => FlowAudience.Any,
            "voice" => FlowAudience.Voice,
            "messaging" => FlowAudience.Messaging,
            var other => Invalid(top, "channel", $"'{other}' is not voice, messaging or any", FlowAudience.Any),
        };
        var languages = Languages(top);
        var context = new ParseContext(errors, languages);
        if (top.Mapping("defaults") is { } defaults) context.ReadDefaults(defaults);
        var start = top.Target("start");
        // Nodes the caller's side jumps to directly (the bot's survey, its timeout offer): reachable like the start.
        var entries = top.Get("entries") is { } entryList ? top.Strings("entries", entryList) ?? [] : [];
        var nodes = new Dictionary<string, FlowNode>(StringComparer.Ordinal);
        var declared = new Dictionary<string, int>(StringComparer.Ordinal);
        var broken = false;
        if (top.Sequence("nodes", required: true) is { } list)
        {
            if (list.Children.Count == 0) top.Error("nodes", "a flow needs at least one node");
            foreach (var (index, fields) in top.Items(list, "nodes"))
            {
                var (node, complete) = ParseNode(fields, index, context, declared);
                broken |= !complete;
                if (node is not null) nodes.TryAdd(node.Id, node);
            }
        }

        top.RejectUnknown();
        if (start is not null)
            FlowGraph.Check(errors, top.Get("start")!, start, nodes, declared, complete: !broken && errors.List.Count == 0, entries);
        if (errors.List.Count > 0) return (null, errors.List);
        return (new Flow(name, file, audience, start!, languages, nodes), []);
    }

    private static Exception Innermost(Exception e) => e.InnerException is YamlException inner ? Innermost(inner) : e;

    private static T Invalid<T>(YamlFields fields, string key, string message, T fallback)
    {
        fields.Error(key, message);
        return fallback;
    }

    /// <summary><c>languages: [en, es]</c> or <c>languages: { en: en-US, es: es-MX }</c> (code → voice locale); first is the default.</summary>
    private static List<FlowLanguage> Languages(YamlFields top)
    {
        var node = top.Get("languages");
        var result = new List<FlowLanguage>();
        switch (node)
        {
            case null:
                return [new FlowLanguage("en", "en-US")];
            case YamlMappingNode map:
                foreach (var (key, value) in map.Children)
                {
                    if (key is YamlScalarNode { Value: { } code } && value is YamlScalarNode { Value: { Length: > 0 } locale })
                        result.Add(new FlowLanguage(code, locale));
                    else
                        top.Errors.Add(key, null, "languages", "expected a language code and its locale, like en: en-US");
                }

                break;
            default:
                foreach (var code in top.Strings("languages", node) ?? []) result.Add(new FlowLanguage(code, code));
                break;
        }

        foreach (var language in result.Where(l => !LanguageCode().IsMatch(l.Code)))
            top.Error("languages", $"'{language.Code}' is not a language code like en or es");
        foreach (var duplicate in result.GroupBy(l => l.Code, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            top.Error("languages", $"'{duplicate.Key}' is listed twice");
        if (result.Count == 0)
        {
            top.Error("languages", "at least one language is needed");
            result.Add(new FlowLanguage("en", "en-US"));
        }

        return result;
    }

    /// <returns>The node (also when some of its fields are wrong, so its targets can still be checked) and
    /// whether it is complete.</returns>
    private static (FlowNode? Node, bool Complete) ParseNode(YamlFields fields, int index, ParseContext context, Dictionary<string, int> declared)
    {
        var id = fields.String("id", required: true);
        var node = id is null ? null : NodeId().IsMatch(id) ? id : null;
        if (id is not null && node is null) fields.Error("id", $"'{id}' is not a node id (letters, digits, '-', '_' and '.')");
        var line = FlowErrors.LineOf(fields.Map);
        if (node is not null && !declared.TryAdd(node, line))
        {
            fields.Errors.Add(fields.Get("id"), node, "id", $"duplicate node id (first declared at line {declared[node]})");
            node = null;
        }

        // Errors inside the node name it, even when its id is missing or wrong.
        var named = new YamlFields(fields.Errors, fields.Map, node ?? id ?? $"nodes[{index}]", "");
        named.Get("id");
        named.Get("description");
        var kind = named.String("kind", required: true);
        if (kind is null) return (null, false);
        if (!Kinds.Contains(kind))
        {
            named.Error("kind", $"unknown kind '{kind}' (known: {string.Join(", ", Kinds)})");
            return (null, false);
        }

        var before = fields.Errors.List.Count;
        var parsed = ParseKind(kind, named, node ?? "", line, context);
        named.RejectUnknown();
        return node is null ? (null, false) : (parsed, fields.Errors.List.Count == before && parsed is not null);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]*$")]
    private static partial Regex FlowName();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    private static partial Regex NodeId();

    [GeneratedRegex("^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
    private static partial Regex LanguageCode();
}
