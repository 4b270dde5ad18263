using YamlDotNet.RepresentationModel;

namespace ContactCenter.Core.Flows;

/// <summary>What every node of one file shares while it is read: the languages, the defaults, the error list.</summary>
internal sealed class ParseContext(FlowErrors errors, IReadOnlyList<FlowLanguage> languages)
{
    public FlowErrors Errors => errors;
    public IReadOnlyList<FlowLanguage> Languages => languages;
    public TimeSpan Timeout { get; private set; } = TimeSpan.FromSeconds(5);
    public int Retries { get; private set; } = 2;
    public FlowInputModes Modes { get; private set; } = FlowInputModes.Keypad | FlowInputModes.Speech;
    public FlowPromptDefinition? NoInput { get; private set; }
    public FlowPromptDefinition? NoMatch { get; private set; }

    public static readonly TimeSpan MinTimeout = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromSeconds(60);

    /// <summary><c>defaults:</c> timeout, retries, input, noInput, noMatch for every question of the flow.</summary>
    public void ReadDefaults(YamlFields fields)
    {
        Timeout = fields.Duration("timeout", MinTimeout, MaxTimeout) ?? Timeout;
        Retries = fields.Int("retries", 0, 10) ?? Retries;
        Modes = InputModes(fields) ?? Modes;
        NoInput = Prompt(fields, "noInput", null, required: false);
        NoMatch = Prompt(fields, "noMatch", null, required: false);
        fields.RejectUnknown();
    }

    /// <summary>
    /// A text per language: one text for all (<c>say: Hello</c>) or one per flow language
    /// (<c>say: { en: Hello, es: Hola }</c>); each may use variables. A missing language is an error.
    /// </summary>
    public Localized? Localized(YamlFields fields, string key, bool required, bool template = true)
    {
        var node = fields.Get(key);
        if (node is null)
        {
            if (required) fields.Error(key, "is required");
            return null;
        }

        var texts = new Dictionary<string, FlowTemplate>(StringComparer.OrdinalIgnoreCase);
        switch (node)
        {
            case YamlScalarNode { Value: { Length: > 0 } single }:
                if (Template(fields, key, single, node, template) is { } all) texts[Flows.Localized.AnyLanguage] = all;
                break;
            case YamlMappingNode map:
                foreach (var (k, v) in map.Children)
                {
                    var code = (k as YamlScalarNode)?.Value ?? "";
                    var field = $"{key}.{code}";
                    if (!languages.Any(l => l.Code.Equals(code, StringComparison.OrdinalIgnoreCase)))
                        fields.Errors.Add(k, fields.NodeId, fields.PathOf(field),
                            $"'{code}' is not one of the flow's languages ({string.Join(", ", languages.Select(l => l.Code))})");
                    else if (v is not YamlScalarNode { Value: { Length: > 0 } text })
                        fields.Errors.Add(v, fields.NodeId, fields.PathOf(field), $"expected a text, found {YamlFields.Describe(v)}");
                    else if (Template(fields, field, text, v, template) is { } parsed)
                        texts[code] = parsed;
                }

                foreach (var missing in languages.Where(l => !map.Children.Keys.Any(k => k is YamlScalarNode { Value: { } c } && c.Equals(l.Code, StringComparison.OrdinalIgnoreCase))))
                    fields.Error(key, $"has no text for language '{missing.Code}'", node);
                break;
            default:
                fields.Error(key, $"expected a text or a text per language, found {YamlFields.Describe(node)}", node);
                return null;
        }

        return texts.Count == 0 ? null : new Localized(texts);
    }

    public FlowTemplate? Template(YamlFields fields, string key, string text, YamlNode at, bool parse = true)
    {
        if (!parse) return FlowTemplate.Literal(text);
        try
        {
            return FlowTemplate.Parse(text);
        }
        catch (FormatException e)
        {
            fields.Errors.Add(at, fields.NodeId, fields.PathOf(key), e.Message);
            return null;
        }
    }

    public FlowTemplate? Template(YamlFields fields, string key, bool required)
    {
        var text = fields.String(key, required);
        return text is null ? null : Template(fields, key, text, fields.Get(key)!);
    }

    /// <summary>A prompt: <c>say</c> (text) and/or <c>audio</c> (a recording's URL), under the given field names.</summary>
    public FlowPromptDefinition? Prompt(YamlFields fields, string textKey, string? audioKey, bool required)
    {
        var text = Localized(fields, textKey, required: false);
        var audio = audioKey is null ? null : Localized(fields, audioKey, required: false);
        if (text is null && audio is null)
        {
            if (required && !fields.Has(textKey) && (audioKey is null || !fields.Has(audioKey)))
                fields.Error(textKey, audioKey is null ? "is required" : $"is required (or '{audioKey}')");
            return null;
        }

        return new FlowPromptDefinition(text, audio);
    }

    public FlowInputModes? InputModes(YamlFields fields)
    {
        if (fields.Strings("input") is not { } names) return null;
        var modes = FlowInputModes.None;
        foreach (var name in names)
        {
            modes |= name switch
            {
                "keypad" or "dtmf" => FlowInputModes.Keypad,
                "speech" => FlowInputModes.Speech,
                _ => Fail(name),
            };
        }

        return modes == FlowInputModes.None ? null : modes;

        FlowInputModes Fail(string name)
        {
            fields.Error("input", $"'{name}' is not keypad or speech");
            return FlowInputModes.None;
        }
    }

    /// <summary>The question part of a menu, language choice, callback offer or slot.</summary>
    public FlowAsk Ask(YamlFields fields, string noMatchKey = "noMatch")
    {
        var prompt = Prompt(fields, "say", "audio", required: true) ?? new FlowPromptDefinition(null, null);
        return new FlowAsk(
            prompt,
            InputModes(fields) ?? Modes,
            fields.Duration("timeout", MinTimeout, MaxTimeout) ?? Timeout,
            fields.Int("retries", 0, 10) ?? Retries,
            Prompt(fields, "noInput", null, required: false) ?? NoInput,
            Prompt(fields, noMatchKey, null, required: false) ?? NoMatch);
    }

    /// <summary>
    /// The options of a question: <c>id</c>, <c>key</c> (keypad), <c>title</c> (button text), <c>speech</c>
    /// (synonyms: a list, or a list per language) and the field named <paramref name="targetKey"/>.
    /// </summary>
    public List<FlowOption> Options(YamlFields fields, string targetKey, Func<YamlFields, string?>? target = null, bool idRequired = true)
    {
        var options = new List<FlowOption>();
        if (fields.Sequence("options", required: true) is not { } list) return options;
        if (list.Children.Count == 0) fields.Error("options", "needs at least one option");
        var ids = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (_, item) in fields.Items(list, "options"))
        {
            var goesTo = target?.Invoke(item) ?? item.Target(targetKey);
            var id = item.String("id", required: idRequired && target is null) ?? goesTo;
            var option = Option(item, id, goesTo);
            item.RejectUnknown();
            if (option is null) continue;
            if (!ids.Add(option.Id)) item.Error("id", $"another option already has id '{option.Id}'");
            if (option.Key is not null && !keys.Add(option.Key)) item.Error("key", $"another option already uses key '{option.Key}'");
            options.Add(option);
        }

        return options;
    }

    /// <summary>One option's common fields; null when the id or target is missing (already reported).</summary>
    public FlowOption? Option(YamlFields item, string? id, string? target)
    {
        var key = item.String("key");
        if (key is not null && (key.Length is 0 or > 8 || !key.All(c => char.IsAsciiDigit(c) || c is '*' or '#')))
        {
            item.Error("key", $"'{key}' is not a keypad key (digits, * or #)");
            key = null;
        }

        var title = Localized(item, "title", required: false);
        var speech = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        switch (item.Get("speech"))
        {
            case null:
                break;
            case YamlMappingNode perLanguage:
                foreach (var (k, v) in perLanguage.Children)
                {
                    var code = (k as YamlScalarNode)?.Value ?? "";
                    if (!languages.Any(l => l.Code.Equals(code, StringComparison.OrdinalIgnoreCase)))
                        item.Errors.Add(k, item.NodeId, item.PathOf($"speech.{code}"), $"'{code}' is not one of the flow's languages");
                    else if (item.Strings("speech", v, item.PathOf($"speech.{code}")) is { } words)
                        speech[code] = words;
                }

                break;
            case var words:
                if (item.Strings("speech", words) is { } all) speech[Flows.Localized.AnyLanguage] = all;
                break;
        }

        return id is null || target is null ? null : new FlowOption(id, key, title, speech, target);
    }
}
