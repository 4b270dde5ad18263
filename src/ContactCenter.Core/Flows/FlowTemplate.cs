using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ContactCenter.Core.Flows;

/// <summary>
/// A text with variables: <c>"Hello {customer.firstName|there}"</c>. <c>{name}</c> is replaced by the variable's
/// value, <c>{name|default}</c> falls back when the variable is missing or empty; <c>{{</c> and <c>}}</c> are braces.
/// </summary>
public sealed partial class FlowTemplate
{
    private readonly (string? Literal, string? Variable, string? Default)[] _parts;

    private FlowTemplate(string source, (string?, string?, string?)[] parts)
    {
        Source = source;
        _parts = parts;
    }

    public string Source { get; }

    public IEnumerable<string> Variables => _parts.Where(p => p.Variable is not null).Select(p => p.Variable!);

    public static FlowTemplate Literal(string text) => new(text.Replace("{", "{{").Replace("}", "}}"), [(text, null, null)]);

    /// <summary>Parses a template; a malformed one throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static FlowTemplate Parse(string source)
    {
        var parts = new List<(string?, string?, string?)>();
        var literal = new StringBuilder();
        for (var i = 0; i < source.Length; i++)
        {
            var c = source[i];
            if (c == '{' && i + 1 < source.Length && source[i + 1] == '{') { literal.Append('{'); i++; continue; }
            if (c == '}' && i + 1 < source.Length && source[i + 1] == '}') { literal.Append('}'); i++; continue; }
            if (c == '}') throw new FormatException($"a lone '}}' at position {i + 1} (write '}}}}' for a brace)");
            if (c != '{') { literal.Append(c); continue; }

            var close = source.IndexOf('}', i + 1);
            if (close < 0) throw new FormatException($"the '{{' at position {i + 1} is never closed");
            var inner = source[(i + 1)..close];
            var bar = inner.IndexOf('|');
            var name = (bar < 0 ? inner : inner[..bar]).Trim();
            if (!IsVariableName(name)) throw new FormatException($"'{{{inner}}}' does not name a variable (letters, digits, '.', '_', '-')");
            if (literal.Length > 0) { parts.Add((literal.ToString(), null, null)); literal.Clear(); }
            parts.Add((null, name, bar < 0 ? null : inner[(bar + 1)..]));
            i = close;
        }

        if (literal.Length > 0 || parts.Count == 0) parts.Add((literal.ToString(), null, null));
        return new FlowTemplate(source, parts.ToArray());
    }

    public static bool IsVariableName(string name) => VariableName().IsMatch(name);

    /// <summary>The text with each variable's value, passed through <paramref name="encode"/> (e.g. URL escaping).</summary>
    public string Render(IReadOnlyDictionary<string, JsonElement> variables, Func<string, string>? encode = null)
    {
        if (_parts is [{ Literal: { } only }]) return only;
        var text = new StringBuilder();
        foreach (var (literal, variable, fallback) in _parts)
        {
            if (literal is not null) { text.Append(literal); continue; }
            var value = FlowValues.ToText(variables.GetValueOrDefault(variable!));
            if (string.IsNullOrEmpty(value)) value = fallback ?? "";
            text.Append(encode is null ? value : encode(value));
        }

        return text.ToString();
    }

    public override string ToString() => Source;

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_.\-]*$")]
    private static partial Regex VariableName();
}

/// <summary>A value a <c>set</c> node assigns: a YAML literal (true, 3, null) or a text template.</summary>
public abstract record FlowValue
{
    public sealed record Literal(JsonElement Value) : FlowValue;
    public sealed record Text(FlowTemplate Template) : FlowValue;
}

/// <summary>Conversions between variables (JSON values) and the texts and values flows compare.</summary>
public static class FlowValues
{
    public static readonly ImmutableDictionary<string, JsonElement> None = ImmutableDictionary<string, JsonElement>.Empty;

    public static JsonElement Of(string? value) => JsonSerializer.SerializeToElement(value);
    public static JsonElement Of(bool value) => JsonSerializer.SerializeToElement(value);
    public static JsonElement Of(long value) => JsonSerializer.SerializeToElement(value);
    public static JsonElement Of(double value) => JsonSerializer.SerializeToElement(value);

    public static string ToText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString() ?? "",
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null or JsonValueKind.Undefined => "",
        _ => value.GetRawText(),
    };

    /// <summary>A variable as a comparable value: string, double, bool or null.</summary>
    public static object? ToComparable(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => value.GetRawText(),
    };

    /// <summary>A YAML plain scalar as JSON: true/false/null/numbers typed, anything else a string.</summary>
    public static JsonElement FromPlainScalar(string text)
    {
        switch (text)
        {
            case "true" or "True" or "TRUE": return Of(true);
            case "false" or "False" or "FALSE": return Of(false);
            case "null" or "Null" or "NULL" or "~" or "": return default;
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer)) return Of(integer);
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)) return Of(number);
        return Of(text);
    }
}

/// <summary>A path into a JSON document: <c>status</c>, <c>order.items[0].name</c>, or <c>$</c> for the whole of it.</summary>
public sealed partial class JsonPath
{
    private readonly object[] _steps; // string property names and int indexes

    private JsonPath(string source, object[] steps)
    {
        Source = source;
        _steps = steps;
    }

    public string Source { get; }

    public static JsonPath Parse(string source)
    {
        var text = source.Trim();
        if (text is "$" or "") return new JsonPath(source, []);
        if (text.StartsWith("$.", StringComparison.Ordinal)) text = text[2..];
        var steps = new List<object>();
        foreach (var segment in text.Split('.'))
        {
            var match = Segment().Match(segment);
            if (!match.Success) throw new FormatException($"'{source}' is not a path like order.items[0].name");
            steps.Add(match.Groups[1].Value);
            foreach (Capture index in match.Groups[2].Captures) steps.Add(int.Parse(index.Value, CultureInfo.InvariantCulture));
        }

        return new JsonPath(source, steps.ToArray());
    }

    /// <summary>The value at the path, or an undefined element when it is not there.</summary>
    public JsonElement Find(JsonElement root)
    {
        var current = root;
        foreach (var step in _steps)
        {
            if (step is string name && current.ValueKind == JsonValueKind.Object && current.TryGetProperty(name, out var property))
                current = property;
            else if (step is int index && current.ValueKind == JsonValueKind.Array && index < current.GetArrayLength())
                current = current[index];
            else
                return default;
        }

        return current.Clone();
    }

    public override string ToString() => Source;

    [GeneratedRegex(@"^([A-Za-z_][A-Za-z0-9_\-]*)(?:\[(\d+)\])*$")]
    private static partial Regex Segment();
}
