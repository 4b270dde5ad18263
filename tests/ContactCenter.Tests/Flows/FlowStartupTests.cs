using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using System.Net;
using ContactCenter.Core.Flows;
using static ContactCenter.Tests.Flows.FlowTestSupport;

namespace ContactCenter.Tests.Flows;

/// <summary>The service refuses to start with a broken flow, and the operator commands check and rehearse flows.</summary>
public class FlowStartupTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("cc-flows-").FullName;
    private string _connectionString = "";

    private const string Broken = """
        name: broken-ivr
        start: welcome
        nodes:
          - { id: welcome, kind: say, say: Welcome., next: menu }
          - id: menu
            kind: menu
            say: Press 1 for billing.
            options: [{ id: billing, key: "1", next: billing-queue }]
            fallback: welcome
          - { id: billing, kind: enqueue, queue: billing }
        """;

    public async Task InitializeAsync() => _connectionString = await TestPostgres.CreateDatabaseAsync(nameof(FlowStartupTests));

    public async Task DisposeAsync()
    {
        await TestPostgres.DropDatabaseAsync(_connectionString);
        Directory.Delete(_folder, recursive: true);
    }

    private static Exception Innermost<T>(Exception e) where T : Exception
    {
        for (Exception? current = e; current is not null; current = current.InnerException)
        {
            if (current is T) return current;
        }

        return e;
    }

    [Fact]
    public async Task AHostWithABrokenFlowRefusesToStartNamingTheFileTheNodeAndTheField()
    {
        File.WriteAllText(Path.Combine(_folder, "broken-ivr.yaml"), Broken);
        await using var app = new ContactCenterApp(_connectionString, new Dictionary<string, string?> { ["Flows:Path"] = _folder, ["Flows:Voice"] = null });

        var thrown = Record.Exception(() => app.Server);
        Assert.NotNull(thrown);
        var validation = Assert.IsType<FlowValidationException>(Innermost<FlowValidationException>(thrown));
        var error = Assert.Single(validation.Errors);
        Assert.Equal(("menu", "options[0].next"), (error.Node, error.Field));
        Assert.EndsWith("broken-ivr.yaml", error.File);
        Assert.Contains("broken-ivr.yaml:5: node 'menu', field 'options[0].next': unknown target 'billing-queue'", validation.Message);
    }

    [Fact]
    public async Task AHostWhoseVoiceFlowIsMissingRefusesToStart()
    {
        File.WriteAllText(Path.Combine(_folder, "other.yaml"), "start: a\nnodes:\n  - { id: a, kind: hangup }\n");
        await using var app = new ContactCenterApp(_connectionString, new Dictionary<string, string?> { ["Flows:Path"] = _folder, ["Flows:Voice"] = "main-ivr" });
        var validation = Assert.IsType<FlowValidationException>(Innermost<FlowValidationException>(Record.Exception(() => app.Server)!));
        Assert.Contains(validation.Errors, e => e.Field == "Flows:Voice" && e.Message.Contains("'main-ivr'"));
    }

    [Fact]
    public async Task AHostWithValidFlowsStartsAndServesThem()
    {
        File.WriteAllText(Path.Combine(_folder, "tiny.yaml"), "channel: messaging\nstart: a\nnodes:\n  - { id: a, kind: end, say: Bye }\n");
        await using var app = new ContactCenterApp(_connectionString, new Dictionary<string, string?>
        {
            ["Flows:Path"] = _folder, ["Flows:Voice"] = null, ["Flows:Bots:telegram"] = "tiny",
        });
        var response = await app.CreateClient().GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var catalog = app.Service<FlowCatalog>();
        Assert.Equal("tiny", catalog.BotFor(Core.Channels.Channel.Telegram)?.Name);
        Assert.Null(catalog.BotFor(Core.Channels.Channel.Sms));
        Assert.Null(catalog.Voice);
    }

    [Fact]
    public async Task TheDefaultConfigurationAnswersCallsWithTheMainIvr()
    {
        await using var app = new ContactCenterApp(_connectionString);
        Assert.Equal("main-ivr", app.Service<FlowCatalog>().Voice?.Name);
    }

    private static async Task<(int ExitCode, string Output)> RunServerAsync(string stdin, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = ContactCenterApp.RepositoryRoot,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ContactCenter.Server.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment.Remove("ConnectionStrings__ContactCenter");
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await errors);
    }

    [Fact]
    public async Task FlowsValidateListsEveryErrorAndExitsNonZero()
    {
        File.WriteAllText(Path.Combine(_folder, "broken-ivr.yaml"), Broken);
        File.WriteAllText(Path.Combine(_folder, "typo.yaml"), "start: a\nnodes:\n  - { id: a, kind: hangup, sya: Bye }\n");

        var (exit, output) = await RunServerAsync("", "flows", "validate", _folder);
        Assert.True(exit == 1, output);
        Assert.Contains("broken-ivr.yaml:5: node 'menu', field 'options[0].next': unknown target 'billing-queue'", output);
        Assert.Contains("typo.yaml:3: node 'a', field 'sya': unknown field", output);
        Assert.Contains("2 errors", output);
    }

    [Fact]
    public async Task FlowsValidatePassesTheShippedFlowsWithTheirConfiguration()
    {
        var (exit, output) = await RunServerAsync("", "flows", "validate");
        Assert.True(exit == 0, output);
        Assert.Contains("ok  main-ivr", output);
        Assert.Contains("ok  messaging-bot", output);

        var (usage, text) = await RunServerAsync("", "flows", "frobnicate");
        Assert.Equal(2, usage);
        Assert.Contains("usage: flows validate", text);
    }

    [Fact]
    public async Task FlowsSimulateWalksACallFromTheTerminal()
    {
        var (exit, output) = await RunServerAsync("2\n\nfactura\n2\n", "flows", "simulate", "main-ivr", "--at", "2026-11-23T15:00:00Z",
            "--name", "Ana Lopez");
        Assert.True(exit == 0, output);
        Assert.Contains("\"Thank you for calling Northwind. For English, press 1. Para español, oprima 2.\"", output);
        Assert.Contains("\"Hola Ana, bienvenido de nuevo a Northwind.\"  [es-US]", output);
        Assert.Contains("\"Disculpe, no escuché nada.\"", output);
        Assert.Contains("chose 'billing' at 'main-menu' (\"factura\")", output);
        Assert.Contains("⇒ enqueue in 'billing'", output);
        Assert.Contains("(the flow has ended)", output);
    }

    [Fact]
    public async Task TheRehearsalReadsTypedLinesAsTheCallersInputInProcessToo()
    {
        var flow = Shipped("messaging-bot");
        using var output = new StringWriter();
        var driver = new FlowDriver([], TimeProvider.System);
        var rehearsal = new FlowRehearsal(new EngineCallPath(flow, driver), flow.Audience, new StringReader("@question\nHow do I reset my password?\nOpen settings.\n@yes\nno\n"), output, echo: true);
        var last = await rehearsal.RunAsync(FlowStart.Empty, default);

        var transcript = output.ToString();
        Assert.True(last.Ended, transcript);
        Assert.Contains("search the knowledge base for \"How do I reset my password?\"", transcript);
        Assert.Contains("\"Open settings.\"", transcript);
        Assert.Contains("end (resolved by the bot)", transcript);
        Assert.True(last.Action<EndAction>().Resolve);
    }

    [Fact]
    public async Task TheSimulatorFindsTheRealCallerInTheDatabase()
    {
        await using (var app = new ContactCenterApp(_connectionString))
        {
            await app.ReceiveAsync(Inbound.Message(Core.Channels.Channel.Sms, "+14155550123", "sim-1", "Hi, about my bill", name: "Ana Lopez"));
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:ContactCenter"] = _connectionString,
            ["Flows:Path"] = FlowsFolder,
        }).Build();
        using var output = new StringWriter();
        var exit = await ContactCenter.Server.Commands.FlowCommands.RunAsync(
            ["simulate", "main-ivr", "--caller", "(415) 555-0123", "--at", "2026-11-23T15:00:00Z"], configuration,
            ContactCenterApp.RepositoryRoot, new StringReader("1\n1\n"), output, default);

        var transcript = output.ToString();
        Assert.True(exit == 0, transcript);
        Assert.Contains("Hello Ana, welcome back to Northwind.", transcript);
        Assert.Contains("already in touch with us by sms", transcript);
        Assert.Contains("enqueue in 'general' (priority 5, continues an open conversation)", transcript);
    }
}
