using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace ContactCenter.Tests.Work;

/// <summary>
/// The service as deployed: its own process (the server's build output in the caller's configuration), Production
/// settings, Kestrel on a free loopback port; so it can be killed with SIGKILL. Shared by the crash test and the
/// pipeline benchmark (linked there).
/// </summary>
public sealed class ServiceProcess : IDisposable
{
    private readonly List<string> _errors = [];

    private ServiceProcess(Process process, int port)
    {
        Process = process;
        Port = port;
    }

    public Process Process { get; }
    public int Port { get; }

    /// <summary>The last lines the service wrote to stderr (failures show them).</summary>
    public string Errors
    {
        get
        {
            lock (_errors) return string.Join('\n', _errors.TakeLast(20));
        }
    }

    /// <param name="repositoryRoot">Content root (flows/, kb/) and where the server's build output is.</param>
    /// <param name="settings">Configuration as environment variables (<c>Section__Key</c>).</param>
    /// <param name="echo">Where the service's stderr lines go besides <see cref="Errors"/> (the bench prints them).</param>
    public static ServiceProcess Start(string repositoryRoot, string connectionString, IReadOnlyDictionary<string, string> settings,
        Action<string>? echo = null)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
            ? "Release" : "Debug";
        var dll = Path.Combine(repositoryRoot, "src", "ContactCenter.Server", "bin", configuration, "net10.0", "ContactCenter.Server.dll");
        if (!File.Exists(dll)) throw new InvalidOperationException($"{dll} is missing: build src/ContactCenter.Server in {configuration}.");
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = repositoryRoot,
        };
        foreach (var a in (string[])[dll, "--contentRoot", repositoryRoot]) start.ArgumentList.Add(a);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["ConnectionStrings__ContactCenter"] = connectionString;
        start.Environment["Logging__LogLevel__Default"] = "Error";
        foreach (var (key, value) in settings) start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the service.");
        var service = new ServiceProcess(process, port);
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not { Length: > 0 } line) return;
            lock (service._errors) service._errors.Add(line);
            echo?.Invoke(line);
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return service;
    }

    public HttpClient Client() => new(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue })
    {
        Timeout = TimeSpan.FromSeconds(30),
        BaseAddress = new Uri($"http://127.0.0.1:{Port}"),
        DefaultRequestHeaders = { Accept = { new MediaTypeWithQualityHeaderValue("*/*") } },
    };

    /// <summary>Polls <c>/health/ready</c> until it answers 2xx (deadline: two minutes; the process exiting fails at once).</summary>
    public async Task WaitReadyAsync(HttpClient http)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            if (Process.HasExited) throw new InvalidOperationException($"The service exited with code {Process.ExitCode}:\n{Errors}");
            try
            {
                using var response = await http.GetAsync("/health/ready");
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Start-up is slow on a loaded machine.
            }

            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The service did not become ready:\n{Errors}");
            await Task.Delay(100);
        }
    }

    /// <summary>SIGKILL: no shutdown, leases held, work mid-flight.</summary>
    public void Kill() => Process.Kill(entireProcessTree: true);

    public void Dispose()
    {
        if (!Process.HasExited) Process.Kill(entireProcessTree: true);
        Process.WaitForExit(10_000);
        Process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
