using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ContactCenter.Core;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Customers;
using ContactCenter.Core.Flows;
using Npgsql;

namespace ContactCenter.Server.Commands;

/// <summary>
/// <c>flows validate [path]</c>: checks the flows (a folder or one file; without a path, <c>Flows:Path</c> and the
/// configuration's references) and exits 1 listing every error. <c>flows simulate &lt;flow&gt;</c>: rehearses a call
/// or chat from the terminal through the engine.
/// </summary>
internal static class FlowCommands
{
    public const string Help = "flows validate [path] | flows simulate <flow> [--lang es] [--caller +1…] [--name Ana] [--set k=v] [--at <time>] " +
                               "| flows simulate --webhooks <service url> [--caller +1…]";

    public static Task<int> RunAsync(string[] args, IConfiguration configuration) =>
        RunAsync(args, configuration, Directory.GetCurrentDirectory(), Console.In, Console.Out, CancellationToken.None);

    public static async Task<int> RunAsync(string[] args, IConfiguration configuration, string root, TextReader input, TextWriter output,
        CancellationToken ct)
    {
        switch (args)
        {
            case ["validate"]:
                return Validate(configuration, root, null, output);
            case ["validate", var path]:
                return Validate(configuration, root, path, output);
            case ["simulate", "--webhooks", var url, .. var rest]:
                return await SimulateThroughWebhooksAsync(configuration, url, rest, input, output, ct);
            case ["simulate", var flow, .. var rest]:
                return await SimulateAsync(configuration, root, flow, rest, input, output, ct);
            default:
                await output.WriteLineAsync($"usage: {Help}");
                return 2;
        }
    }

    private static int Validate(IConfiguration configuration, string root, string? path, TextWriter output)
    {
        var options = Options(configuration);
        IReadOnlyList<Flow> flows;
        IReadOnlyList<FlowError> errors;
        if (path is null)
        {
            try
            {
                flows = FlowCatalog.Load(root, options).Flows.Values.ToList();
                errors = [];
            }
            catch (FlowValidationException e)
            {
                (flows, errors) = ([], e.Errors);
            }
        }
        else if (File.Exists(path))
        {
            var (flow, fileErrors) = FlowParser.Parse(path, File.ReadAllText(path), Path.GetFileNameWithoutExtension(path));
            (flows, errors) = (flow is null ? [] : [flow], fileErrors);
        }
        else
        {
            (flows, errors) = FlowCatalog.LoadFolder(Path.GetFullPath(path, root), root);
        }

        foreach (var error in errors) output.WriteLine(error);
        if (errors.Count > 0)
        {
            output.WriteLine($"{errors.Count} error{(errors.Count == 1 ? "" : "s")}: the service will not start with these flows.");
            return 1;
        }

        foreach (var flow in flows.OrderBy(f => f.Name))
        {
            output.WriteLine($"ok  {flow.Name,-24} {flow.File} ({flow.Audience.ToString().ToLowerInvariant()}, {flow.Nodes.Count} nodes, " +
                             $"{string.Join("/", flow.Languages.Select(l => l.Code))})");
            foreach (var endpoint in flow.Nodes.Values.OfType<LookupNode>().Select(l => l.Endpoint).OfType<string>().Distinct()
                         .Where(e => !options.Endpoints.ContainsKey(e)))
                output.WriteLine($"    note: endpoint '{endpoint}' is not configured here (Flows:Endpoints:{endpoint}:BaseUrl); its lookups take their error branch");
        }

        return 0;
    }

    private static async Task<int> SimulateAsync(IConfiguration configuration, string root, string name, string[] rest,
        TextReader input, TextWriter output, CancellationToken ct)
    {
        var options = Options(configuration);
        Flow? flow;
        try
        {
            flow = File.Exists(Path.Combine(root, name)) ? ParseOne(Path.Combine(root, name)) : FlowCatalog.Load(root, options).Find(name);
        }
        catch (FlowValidationException e)
        {
            foreach (var error in e.Errors) await output.WriteLineAsync(error.ToString());
            return 1;
        }

        if (flow is null)
        {
            await output.WriteLineAsync($"There is no flow '{name}' in {options.Path} (flows validate lists them).");
            return 1;
        }

        string? language = null, caller = null, customerName = null;
        DateTimeOffset? at = null;
        var variables = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        for (var i = 0; i < rest.Length; i++)
        {
            var value = i + 1 < rest.Length ? rest[i + 1] : null;
            switch (rest[i])
            {
                case "--lang" when value is not null: language = value; i++; break;
                case "--caller" when value is not null: caller = value; i++; break;
                case "--name" when value is not null: customerName = value; i++; break;
                case "--at" when value is not null && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t):
                    at = t; i++; break;
                case "--set" when value?.Split('=', 2) is [var k, var v] && FlowTemplate.IsVariableName(k):
                    variables[k] = FlowValues.FromPlainScalar(v); i++; break;
                default:
                    await output.WriteLineAsync($"unknown or incomplete option '{rest[i]}'; usage: {Help}");
                    return 2;
            }
        }

        var channel = flow.Audience == FlowAudience.Messaging ? Channel.Sms : Channel.Voice;
        if (caller is not null)
        {
            var normalizer = new AddressNormalizer(Microsoft.Extensions.Options.Options.Create(
                configuration.GetSection("Addresses").Get<AddressOptions>() ?? new AddressOptions()));
            if (normalizer.TryNormalize(channel, caller, out var normalized)) caller = normalized;
            else await output.WriteLineAsync($"(--caller '{caller}' is not a phone number; it is used as given)");
        }

        var customer = caller is null ? null : await FindCustomerAsync(configuration, channel, caller, output, ct);
        if (customerName is not null)
            customer = (customer ?? new Customer(Guid.Empty, null, DateTimeOffset.UnixEpoch, [], [])) with { Name = customerName };
        var start = FlowCustomerVariables.For(customer, channel, caller ?? "+15550100000", language);
        start = start with { Variables = start.Variables.ToImmutableDictionary().SetItems(variables) };

        var services = new ServiceCollection().AddLogging().AddHttpClient().Configure<FlowOptions>(configuration.GetSection("Flows"));
        services.AddHttpClient(FlowLookupRunner.HttpClientName);
        services.AddSingleton<FlowLookupRunner>();
        await using var provider = services.BuildServiceProvider();
        var clock = at is null ? TimeProvider.System : new StartingAt(at.Value);
        var driver = new FlowDriver([provider.GetRequiredService<FlowLookupRunner>()], clock);

        await output.WriteLineAsync($"Rehearsing '{flow.Name}' ({flow.File}) at {clock.GetUtcNow():yyyy-MM-dd HH:mm} UTC. " +
                                    (flow.Audience == FlowAudience.Messaging
                                        ? "Type text, '@id' for a button, an empty line for silence, Ctrl-D to leave."
                                        : "Type keys (digits, * #) or words, an empty line for silence, Ctrl-D to hang up."));
        var echo = !ReferenceEquals(input, Console.In) || Console.IsInputRedirected;
        await new FlowRehearsal(new EngineCallPath(flow, driver), flow.Audience, input, output, echo).RunAsync(start, ct);
        return 0;
    }

    /// <summary>A call through a running service's voice webhooks (the flow is the service's <c>Flows:Voice</c>).</summary>
    private static async Task<int> SimulateThroughWebhooksAsync(IConfiguration configuration, string url, string[] rest, TextReader input,
        TextWriter output, CancellationToken ct)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var service) || service.Scheme is not ("http" or "https"))
        {
            await output.WriteLineAsync($"'{url}' is not the service's URL (e.g. http://localhost:5080).");
            return 2;
        }

        if (configuration["Twilio:AuthToken"] is not { Length: > 0 } token)
        {
            await output.WriteLineAsync("Twilio:AuthToken is needed to sign the webhooks as Twilio does (the service's own token).");
            return 2;
        }

        var caller = rest is ["--caller", var number] ? number : "+15550100001";
        using var http = new HttpClient { BaseAddress = service };
        var signingBase = configuration["Twilio:PublicBaseUrl"] is { Length: > 0 } publicBase ? publicBase : service.GetLeftPart(UriPartial.Authority);
        var echo = !ReferenceEquals(input, Console.In) || Console.IsInputRedirected;
        return await new WebhookRehearsal(http, signingBase, token, caller, input, output, echo).RunAsync(ct);
    }

    private static Flow ParseOne(string file)
    {
        var (flow, errors) = FlowParser.Parse(file, File.ReadAllText(file), Path.GetFileNameWithoutExtension(file));
        return flow ?? throw new FlowValidationException(errors);
    }

    /// <summary>The real customer behind <c>--caller</c>, when a database is configured and reachable.</summary>
    private static async Task<Customer?> FindCustomerAsync(IConfiguration configuration, Channel channel, string caller, TextWriter output,
        CancellationToken ct)
    {
        if (configuration.GetConnectionString("ContactCenter") is not { Length: > 0 } connectionString) return null;
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton(NpgsqlDataSource.Create(connectionString));
        services.AddContactCenterCore(configuration);
        await using var provider = services.BuildServiceProvider();
        try
        {
            var store = provider.GetRequiredService<CustomerStore>();
            foreach (var phoneChannel in new[] { channel, Channel.Voice, Channel.Sms, Channel.WhatsApp }.Distinct())
            {
                if (await store.FindAsync(phoneChannel, caller, ct) is { } customer) return customer;
            }

            return null;
        }
        catch (NpgsqlException e)
        {
            await output.WriteLineAsync($"(could not look up the caller: {e.Message}; simulating an unknown caller)");
            return null;
        }
    }

    private static FlowOptions Options(IConfiguration configuration) =>
        configuration.GetSection("Flows").Get<FlowOptions>() ?? new FlowOptions();

    /// <summary>A clock that starts at a chosen instant (to rehearse after hours) and then runs normally.</summary>
    private sealed class StartingAt(DateTimeOffset start) : TimeProvider
    {
        private readonly long _started = Stopwatch.GetTimestamp();
        public override DateTimeOffset GetUtcNow() => start + Stopwatch.GetElapsedTime(_started);
    }
}
