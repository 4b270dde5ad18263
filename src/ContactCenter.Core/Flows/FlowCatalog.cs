using ContactCenter.Core.Channels;

namespace ContactCenter.Core.Flows;

/// <summary>
/// Configuration under <c>Flows</c>: the folder, which flow answers calls, which bot flow serves which messaging
/// channel, and the HTTP endpoints lookups may call (base URL and headers such as an API key stay out of the files).
/// </summary>
public sealed class FlowOptions
{
    public string Path { get; set; } = "flows";
    /// <summary>The flow that answers incoming calls.</summary>
    public string? Voice { get; set; }
    /// <summary>Channel name (sms, whatsapp, telegram, messenger, instagram) → bot flow. A channel without one has no bot.</summary>
    public Dictionary<string, string> Bots { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    public Dictionary<string, FlowEndpoint> Endpoints { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

public sealed class FlowEndpoint
{
    public string? BaseUrl { get; set; }
    public Dictionary<string, string> Headers { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>
/// A bot of its own for the conversations that reach one company address on a channel (a support mailbox's
/// <c>Email:Mailboxes:&lt;name&gt;:Bot</c>); it serves them instead of the channel's <c>Flows:Bots</c> flow.
/// Channel adapters name them; <paramref name="ConfigurationKey"/> is what an error names.
/// </summary>
public sealed record AddressBot(Channel Channel, string CompanyAddress, string Flow, string ConfigurationKey);

/// <summary>Every flow of the folder, loaded and validated once at start-up.</summary>
public sealed class FlowCatalog
{
    public static readonly string[] Extensions = [".yaml", ".yml", ".json"];

    private readonly Dictionary<string, Flow> _flows;
    private readonly Dictionary<Channel, Flow> _bots;
    private readonly Dictionary<(Channel, string), Flow> _addressBots;

    private FlowCatalog(string folder, Dictionary<string, Flow> flows, Flow? voice, Dictionary<Channel, Flow> bots,
        Dictionary<(Channel, string), Flow> addressBots)
    {
        Folder = folder;
        _flows = flows;
        Voice = voice;
        _bots = bots;
        _addressBots = addressBots;
    }

    public string Folder { get; }
    public IReadOnlyDictionary<string, Flow> Flows => _flows;
    /// <summary>The flow that answers calls (<c>Flows:Voice</c>), when configured.</summary>
    public Flow? Voice { get; }

    /// <summary>The bot flow for a messaging channel (<c>Flows:Bots:&lt;channel&gt;</c>), or null: no bot there.</summary>
    public Flow? BotFor(Channel channel) => _bots.GetValueOrDefault(channel);

    /// <summary>The bot serving conversations that reached <paramref name="companyAddress"/> on the channel: the
    /// address's own (<see cref="AddressBot"/>), else the channel's.</summary>
    public Flow? BotFor(Channel channel, string? companyAddress) =>
        companyAddress is not null && _addressBots.TryGetValue((channel, companyAddress.Trim().ToLowerInvariant()), out var own)
            ? own
            : BotFor(channel);

    /// <summary>Whether some company address on the channel has a bot of its own (else the channel's bot is the answer).</summary>
    public bool HasAddressBots(Channel channel) => _addressBots.Keys.Any(k => k.Item1 == channel);

    public Flow? Find(string name) => _flows.GetValueOrDefault(name);

    public Flow Get(string name) => Find(name) ?? throw new KeyNotFoundException($"There is no flow named '{name}' in {Folder}.");

    /// <summary>Loads and validates the folder and the configuration's references; throws
    /// <see cref="FlowValidationException"/> listing every error.</summary>
    public static FlowCatalog Load(string contentRoot, FlowOptions options, IEnumerable<AddressBot>? addressBots = null)
    {
        var folder = System.IO.Path.GetFullPath(System.IO.Path.Combine(contentRoot, options.Path));
        var (flows, errors) = LoadFolder(folder, contentRoot);
        var all = errors.ToList();
        var byName = flows.ToDictionary(f => f.Name, StringComparer.Ordinal);

        Flow? Configured(string key, string name, FlowAudience wrong)
        {
            if (!byName.TryGetValue(name, out var flow))
            {
                all.Add(new FlowError("configuration", 0, null, key, $"names flow '{name}', which is not in {folder}"));
                return null;
            }

            if (flow.Audience == wrong)
                all.Add(new FlowError("configuration", 0, null, key,
                    $"flow '{name}' is written for {(wrong == FlowAudience.Voice ? "calls" : "messaging")} (channel: {wrong.ToString().ToLowerInvariant()})"));
            return flow;
        }

        var voice = string.IsNullOrWhiteSpace(options.Voice) ? null : Configured("Flows:Voice", options.Voice, FlowAudience.Messaging);
        var bots = new Dictionary<Channel, Flow>();
        foreach (var (channelName, flowName) in options.Bots)
        {
            if (string.IsNullOrWhiteSpace(flowName)) continue;
            if (!ChannelNames.TryParse(channelName, out var channel) || !channel.IsMessaging())
            {
                all.Add(new FlowError("configuration", 0, null, $"Flows:Bots:{channelName}", $"'{channelName}' is not a messaging channel"));
                continue;
            }

            if (Configured($"Flows:Bots:{channelName}", flowName, FlowAudience.Voice) is { } bot) bots[channel] = bot;
        }

        var byAddress = new Dictionary<(Channel, string), Flow>();
        foreach (var own in addressBots ?? [])
        {
            if (string.IsNullOrWhiteSpace(own.Flow)) continue;
            if (Configured(own.ConfigurationKey, own.Flow.Trim(), FlowAudience.Voice) is { } bot)
                byAddress[(own.Channel, own.CompanyAddress.Trim().ToLowerInvariant())] = bot;
        }

        if (all.Count > 0) throw new FlowValidationException(all);
        return new FlowCatalog(folder, byName, voice, bots, byAddress);
    }

    /// <summary>Parses every flow file of a folder (not its subfolders); names must be unique across files.</summary>
    public static (IReadOnlyList<Flow> Flows, IReadOnlyList<FlowError> Errors) LoadFolder(string folder, string? displayRoot = null)
    {
        var display = DisplayPath(folder, displayRoot);
        if (!Directory.Exists(folder))
            return ([], [new FlowError(display, 0, null, null, "the flows folder does not exist (Flows:Path)")]);

        var files = Directory.EnumerateFiles(folder)
            .Where(f => Extensions.Contains(System.IO.Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0)
            return ([], [new FlowError(display, 0, null, null, $"no flow files ({string.Join(", ", Extensions)}) in the folder")]);

        var flows = new List<Flow>();
        var errors = new List<FlowError>();
        foreach (var file in files)
        {
            var shown = DisplayPath(file, displayRoot);
            var (flow, fileErrors) = FlowParser.Parse(shown, File.ReadAllText(file), System.IO.Path.GetFileNameWithoutExtension(file));
            errors.AddRange(fileErrors);
            if (flow is null) continue;
            if (flows.FirstOrDefault(f => f.Name == flow.Name) is { } twin)
                errors.Add(new FlowError(shown, 1, null, "name", $"flow name '{flow.Name}' is already used by {twin.File}"));
            else
                flows.Add(flow);
        }

        return (flows, errors);
    }

    private static string DisplayPath(string path, string? root)
    {
        if (root is null) return path;
        var relative = System.IO.Path.GetRelativePath(root, path);
        return relative.StartsWith("..", StringComparison.Ordinal) || System.IO.Path.IsPathRooted(relative) ? path : relative;
    }
}
