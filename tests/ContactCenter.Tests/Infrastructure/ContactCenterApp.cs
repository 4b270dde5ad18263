using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ContactCenter.Tests.Infrastructure;

/// <summary>The real service in-process, on a test database, with fixed test keys.</summary>
public sealed class ContactCenterApp(
    string connectionString,
    IReadOnlyDictionary<string, string?>? settings = null,
    Action<IServiceCollection>? configureServices = null) : WebApplicationFactory<Program>
{
    public const string AgentKey = "test-agent-key-0001";
    public const string AgentId = "agent-1";
    public const string Agent2Key = "test-agent-key-0002";
    public const string Agent2Id = "agent-2";
    public const string SupervisorKey = "test-supervisor-key-01";
    public const string AdminKey = "test-admin-key-0001";

    public string ConnectionString { get; } = connectionString;

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseContentRoot(RepositoryRoot);
        var all = new Dictionary<string, string?>
        {
            ["ConnectionStrings:ContactCenter"] = ConnectionString,
            ["Jobs:WorkerCount"] = "4",
            ["Work:PollInterval"] = "00:00:01",
            ["Work:RetryBaseDelay"] = "00:00:00.200",
            ["Outbox:RetryBaseDelay"] = "00:00:00.200",
            // New conversations stay as the inbox wrote them; routing tests turn queueing on in their fixture.
            ["Routing:AutoQueue"] = "false",
            ["Auth:ApiKeys:0:Name"] = "Test agent",
            ["Auth:ApiKeys:0:Key"] = AgentKey,
            ["Auth:ApiKeys:0:Role"] = "agent",
            ["Auth:ApiKeys:0:AgentId"] = AgentId,
            // Tests written before scoped access act on conversations no queue holds: these two keys see all
            // conversations (the scoping itself is tested with scoped keys and users in tests/…/Accounts).
            ["Auth:ApiKeys:0:AllConversations"] = "true",
            ["Auth:ApiKeys:1:Name"] = "Test agent 2",
            ["Auth:ApiKeys:1:Key"] = Agent2Key,
            ["Auth:ApiKeys:1:Role"] = "agent",
            ["Auth:ApiKeys:1:AgentId"] = Agent2Id,
            ["Auth:ApiKeys:1:AllConversations"] = "true",
            ["Auth:ApiKeys:2:Name"] = "Test supervisor",
            ["Auth:ApiKeys:2:Key"] = SupervisorKey,
            ["Auth:ApiKeys:2:Role"] = "supervisor",
            ["Auth:ApiKeys:3:Name"] = "Test admin",
            ["Auth:ApiKeys:3:Key"] = AdminKey,
            ["Auth:ApiKeys:3:Role"] = "admin",
        };
        if (settings is not null)
        {
            foreach (var (key, value) in settings) all[key] = value;
        }

        foreach (var (key, value) in all) builder.UseSetting(key, value);
        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        if (configureServices is not null) builder.ConfigureTestServices(configureServices);
    }

    /// <summary>An HTTP client that sends <paramref name="key"/> as its bearer key (none when null).</summary>
    public HttpClient ClientWithKey(string? key)
    {
        var options = new WebApplicationFactoryClientOptions { AllowAutoRedirect = false };
        if (BaseAddress is not null) options.BaseAddress = BaseAddress;
        var client = CreateClient(options);
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public HttpClient Agent() => ClientWithKey(AgentKey);
    public HttpClient Supervisor() => ClientWithKey(SupervisorKey);
    public HttpClient Admin() => ClientWithKey(AdminKey);

    public T Service<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>Set once the service listens on a real loopback port (for the browser), else null.</summary>
    public Uri? BaseAddress { get; private set; }

    /// <summary>
    /// Starts the service on Kestrel at a free loopback port instead of the in-memory test server, so a real
    /// browser can reach it; HTTP clients from <see cref="ClientWithKey"/> then go through that port too.
    /// </summary>
    public Uri StartOnRealPort()
    {
        var port = Browser.FreePort();
        UseKestrel(port);
        StartServer();
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        ClientOptions.BaseAddress = BaseAddress;
        return BaseAddress;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ContactCenter.sln"))) return dir.FullName;
        }

        throw new InvalidOperationException("Could not find the repository root (ContactCenter.sln) above the test binaries.");
    }
}
