using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ContactCenter.Core.Flows;

/// <summary>A mistake in a flow file, located by file, line, node and field (line 0: not in a file's text).</summary>
public sealed record FlowError(string File, int Line, string? Node, string? Field, string Message)
{
    public override string ToString() =>
        $"{File}{(Line > 0 ? $":{Line}" : "")}: {(Node is null ? "" : $"node '{Node}', ")}{(Field is null ? "" : $"field '{Field}': ")}{Message}";
}

/// <summary>The flows are broken; <see cref="Errors"/> lists every mistake found, each with its file, node and field.</summary>
public sealed class FlowValidationException(IReadOnlyList<FlowError> errors)
    : Exception($"{errors.Count} error{(errors.Count == 1 ? "" : "s")} in the flows:{Environment.NewLine}" +
                string.Join(Environment.NewLine, errors.Select(e => "  " + e)))
{
    public IReadOnlyList<FlowError> Errors { get; } = errors;
}

internal sealed class FlowErrors(string file)
{
    public string File { get; } = file;
    public List<FlowError> List { get; } = [];

    public void Add(YamlNode? at, string? node, string? field, string message) =>
        List.Add(new FlowError(File, LineOf(at), node, field, message));

    public static int LineOf(YamlNode? node) => node is null ? 1 : (int)Math.Max(1, node.Start.Line);
}

/// <summary>
/// Reads the fields of one YAML mapping with type checks, recording a located error for each mistake instead
/// of stopping at the first; fields never read are reported as unknown (typos like "nxt").
/// </summary>
internal sealed class YamlFields(FlowErrors errors, YamlMappingNode map, string? node, string prefix)
{
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public FlowErrors Errors => errors;
    public YamlMappingNode Map => map;
    public string? NodeId => node;

    public string PathOf(string key) => prefix.Length == 0 ? key : $"{prefix}.{key}";

    public void Error(string key, string message, YamlNode? at = null) =>
        errors.Add(at ?? Get(key) ?? map, node, PathOf(key), message);

    public YamlNode? Get(string key)
    {
        _read.Add(key);
        foreach (var (k, v) in map.Children)
        {
            if (k is YamlScalarNode { Value: { } name } && name == key) return v;
        }

        return null;
    }

    public bool Has(string key) => map.Children.Keys.Any(k => k is YamlScalarNode { Value: { } name } && name == key);

    private YamlNode? Required(string key, bool required)
    {
        var value = Get(key);
        if (value is null && required) errors.Add(map, node, PathOf(key), "is required");
        return value;
    }

    public string? String(string key, bool required = false)
    {
        var value = Required(key, required);
        if (value is null) return null;
        if (value is YamlScalarNode { Value: { } text } && (text.Length > 0 || !required)) return text;
        Error(key, value is YamlScalarNode ? "must not be empty" : $"expected a text, found {Describe(value)}", value);
        return null;
    }

    /// <summary>A node id another field points at (same rules as a text; existence is checked later).</summary>
    public string? Target(string key, bool required = true) => String(key, required);

    public int? Int(string key, int min, int max)
    {
        var value = Get(key);
        if (value is null) return null;
        if (value is YamlScalarNode { Value: { } text } && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number))
        {
            if (number >= min && number <= max) return number;
            Error(key, $"{number} is out of range ({min} to {max})", value);
            return null;
        }

        Error(key, $"expected a whole number, found {Describe(value)}", value);
        return null;
    }

    public bool? Bool(string key)
    {
        var value = Get(key);
        if (value is null) return null;
        if (value is YamlScalarNode { Value: "true" or "false" } scalar) return scalar.Value == "true";
        Error(key, $"expected true or false, found {Describe(value)}", value);
        return null;
    }

    /// <summary>A duration: seconds as a number (<c>5</c>, <c>2.5</c>), or <c>500ms</c>, <c>5s</c>, <c>2m</c>.</summary>
    public TimeSpan? Duration(string key, TimeSpan min, TimeSpan max)
    {
        var value = Get(key);
        if (value is null) return null;
        if (value is YamlScalarNode { Value: { } text } && ParseDuration(text) is { } duration)
        {
            if (duration >= min && duration <= max) return duration;
            Error(key, $"{text} is out of range ({min.TotalSeconds:0.###}s to {max.TotalSeconds:0.###}s)", value);
            return null;
        }

        Error(key, $"expected a duration like 5, 5s or 500ms, found {Describe(value)}", value);
        return null;
    }

    private static TimeSpan? ParseDuration(string text)
    {
        var t = text.Trim();
        var (number, unit) = t.EndsWith("ms", StringComparison.Ordinal) ? (t[..^2], 0.001)
            : t.EndsWith('s') ? (t[..^1], 1.0)
            : t.EndsWith('m') ? (t[..^1], 60.0)
            : (t, 1.0);
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) && value >= 0
            ? TimeSpan.FromSeconds(value * unit)
            : null;
    }

    public YamlFields? Mapping(string key, bool required = false)
    {
        var value = Required(key, required);
        if (value is null) return null;
        if (value is YamlMappingNode mapping) return new YamlFields(errors, mapping, node, PathOf(key));
        Error(key, $"expected a mapping (fields), found {Describe(value)}", value);
        return null;
    }

    public YamlSequenceNode? Sequence(string key, bool required = false)
    {
        var value = Required(key, required);
        if (value is null) return null;
        if (value is YamlSequenceNode sequence) return sequence;
        Error(key, $"expected a list, found {Describe(value)}", value);
        return null;
    }

    /// <summary>One text or a list of texts.</summary>
    public List<string>? Strings(string key, YamlNode? value = null, string? field = null)
    {
        value ??= Get(key);
        if (value is null) return null;
        if (value is YamlScalarNode { Value: { } single }) return [single];
        if (value is YamlSequenceNode sequence && sequence.Children.All(c => c is YamlScalarNode { Value: not null }))
            return sequence.Children.Select(c => ((YamlScalarNode)c).Value!).ToList();
        errors.Add(value, node, field ?? PathOf(key), $"expected a text or a list of texts, found {Describe(value)}");
        return null;
    }

    /// <summary>Each entry of a list that is a mapping, as fields named <c>key[i]</c>; other entries are errors.</summary>
    public IEnumerable<(int Index, YamlFields Fields)> Items(YamlSequenceNode sequence, string key)
    {
        for (var i = 0; i < sequence.Children.Count; i++)
        {
            if (sequence.Children[i] is YamlMappingNode item)
                yield return (i, new YamlFields(errors, item, node, $"{PathOf(key)}[{i}]"));
            else
                errors.Add(sequence.Children[i], node, $"{PathOf(key)}[{i}]", $"expected a mapping (fields), found {Describe(sequence.Children[i])}");
        }
    }

    /// <summary>Reports fields nobody read: misspelled or not valid for this kind.</summary>
    public void RejectUnknown()
    {
        foreach (var key in map.Children.Keys)
        {
            if (key is not YamlScalarNode { Value: { } name })
                errors.Add(key, node, prefix.Length == 0 ? null : prefix, $"field names must be texts, found {Describe(key)}");
            else if (!_read.Contains(name))
                errors.Add(key, node, PathOf(name), "unknown field");
        }
    }

    public static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode { Value: { Length: > 0 } v } => $"'{(v.Length > 40 ? v[..40] + "…" : v)}'",
        _ => "nothing",
    };

    public static bool IsPlain(YamlNode node) => node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any };
}
