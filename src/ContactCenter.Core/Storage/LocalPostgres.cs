using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Npgsql;

namespace ContactCenter.Core.Storage;

/// <summary>
/// A private PostgreSQL cluster run from the machine's PostgreSQL binaries: the Development default when no
/// connection string is configured (data kept between runs), and the tests' throwaway server (fsync off,
/// deleted on stop). initdb refuses to run as root, so as root every server command runs as the
/// <c>postgres</c> user through <c>runuser</c>, on a folder that user owns.
/// </summary>
public sealed class LocalPostgres : IAsyncDisposable
{
    private readonly string _root;
    private readonly string _bin;
    private readonly bool _throwaway;
    private bool _stopped;

    private LocalPostgres(string root, string bin, bool throwaway, int port, string password, string database)
    {
        _root = root;
        _bin = bin;
        _throwaway = throwaway;
        Port = port;
        ConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = "postgres",
            Password = password,
            Database = database,
        }.ConnectionString;
    }

    public int Port { get; }
    public string ConnectionString { get; }
    public string DataDirectory => Path.Combine(_root, "pgdata");

    /// <summary>Starts (initializing on first use) the cluster kept in <paramref name="root"/>.</summary>
    /// <param name="fsync">Defaults to off for throwaway clusters (tests), on otherwise.</param>
    public static async Task<LocalPostgres> StartAsync(string root, string database, bool throwaway, CancellationToken ct = default,
        bool? fsync = null)
    {
        var bin = FindBinaries();
        root = Path.GetFullPath(root);
        Directory.CreateDirectory(root);
        var asRoot = Environment.UserName == "root";
        var pgdata = Path.Combine(root, "pgdata");
        var passwordFile = Path.Combine(root, "password");

        if (!File.Exists(Path.Combine(pgdata, "PG_VERSION")))
        {
            if (Directory.Exists(pgdata)) Directory.Delete(pgdata, recursive: true);
            await File.WriteAllTextAsync(passwordFile, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), ct);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            if (asRoot) await RunAsync("chown", ["-R", "postgres:postgres", root], asPostgres: false, ct);
            await RunAsync(Path.Combine(bin, "initdb"),
                ["-D", pgdata, "-U", "postgres", "-E", "UTF8", "--locale=C", "--auth-local=trust",
                 "--auth-host=scram-sha-256", $"--pwfile={passwordFile}"], asRoot, ct);
        }

        var password = (await File.ReadAllTextAsync(passwordFile, ct)).Trim();
        var port = RunningPort(pgdata) ?? await StartServerAsync(bin, root, pgdata, asRoot, fast: !(fsync ?? !throwaway), ct);
        var server = new LocalPostgres(root, bin, throwaway, port, password, database);
        await server.EnsureDatabaseAsync(database, ct);
        return server;
    }

    /// <summary>A fresh throwaway cluster in the temporary folder.</summary>
    public static Task<LocalPostgres> StartThrowawayAsync(string database, CancellationToken ct = default, bool fsync = false)
    {
        RemoveStaleThrowaways();
        var root = Path.Combine(Path.GetTempPath(), ThrowawayPrefix + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, OwnerFile), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return StartAsync(root, database, throwaway: true, ct, fsync);
    }

    private const string ThrowawayPrefix = "contactcenter-pg-";
    private const string OwnerFile = "owner.pid";

    /// <summary>
    /// Deletes throwaway clusters left by a test run that was killed: the process that created the folder
    /// is gone and no server runs in it. A folder another live process is still setting up is left alone.
    /// </summary>
    private static void RemoveStaleThrowaways()
    {
        foreach (var folder in Directory.GetDirectories(Path.GetTempPath(), ThrowawayPrefix + "*"))
        {
            var ownerFile = Path.Combine(folder, OwnerFile);
            var ownerAlive = File.Exists(ownerFile)
                ? int.TryParse(File.ReadAllText(ownerFile), out var owner) && IsAlive(owner)
                : Directory.GetCreationTimeUtc(folder) > DateTime.UtcNow.AddMinutes(-10); // no owner file yet, or an old layout
            if (!ownerAlive && RunningPort(Path.Combine(folder, "pgdata")) is null) TryDelete(folder);
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next run's sweep.
        }
    }

    public async Task EnsureDatabaseAsync(string database, CancellationToken ct = default)
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString) { Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(ct);
        var exists = await connection.Sql("select 1 from pg_database where datname = $1", database).ExecuteScalarAsync(ct) is not null;
        if (!exists)
        {
            await using var create = connection.Sql($"create database \"{database.Replace("\"", "\"\"")}\"");
            await create.ExecuteNonQueryAsync(ct);
        }
    }

    public async Task StopAsync()
    {
        if (_stopped) return;
        _stopped = true;
        NpgsqlConnection.ClearAllPools();
        var asRoot = Environment.UserName == "root";
        await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataDirectory, "-m", "fast", "-w", "-t", "30", "stop"], asRoot, CancellationToken.None,
            throwOnFailure: false);
        if (_throwaway) TryDelete(_root);
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    /// <summary>Stops the server the way a crash does (immediate: no checkpoint, recovery from WAL at start) and starts
    /// it again on the same port with the same options (the bench's crash scenario).</summary>
    public async Task RestartImmediateAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataDirectory, "-m", "immediate", "-w", "-t", "60", "restart"],
            Environment.UserName == "root", CancellationToken.None);
    }

    private static async Task<int> StartServerAsync(string bin, string root, string pgdata, bool asRoot, bool fast, CancellationToken ct)
    {
        // Unix sockets are off: their path length is limited and the default folder may not be writable.
        var options = "-c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=400";
        if (fast) options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            try
            {
                await RunAsync(Path.Combine(bin, "pg_ctl"),
                    ["-D", pgdata, "-l", Path.Combine(root, "postgres.log"), "-w", "-t", "60", "-o", $"{options} -c port={port}", "start"],
                    asRoot, ct);
                return port;
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                // Another process took the port between our probe and the server's bind: try another one.
            }
        }
    }

    private static int? RunningPort(string pgdata)
    {
        // postmaster.pid: line 1 the pid, line 4 the port. A stale file from a crash names a dead pid.
        var pidFile = Path.Combine(pgdata, "postmaster.pid");
        if (!File.Exists(pidFile)) return null;
        var lines = File.ReadAllLines(pidFile);
        if (lines.Length < 4 || !int.TryParse(lines[0], out var pid) || !int.TryParse(lines[3], out var port)) return null;
        return IsAlive(pid) ? port : null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static string FindBinaries()
    {
        var configured = Environment.GetEnvironmentVariable("CONTACTCENTER_PG_BIN");
        if (!string.IsNullOrEmpty(configured) && File.Exists(Path.Combine(configured, "initdb"))) return configured;
        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var newest = Directory.GetDirectories(debianRoot)
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .Where(d => File.Exists(Path.Combine(d.Dir, "initdb")))
                .OrderByDescending(d => d.Version)
                .FirstOrDefault();
            if (newest.Dir is not null) return newest.Dir;
        }

        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")));
        return onPath ?? throw new InvalidOperationException(
            "No PostgreSQL server binaries (initdb, pg_ctl) were found. Install them (Debian: apt-get install -y postgresql), " +
            "set CONTACTCENTER_PG_BIN to their folder, or configure ConnectionStrings:ContactCenter.");
    }

    private static async Task RunAsync(string file, string[] args, bool asPostgres, CancellationToken ct, bool throwOnFailure = true)
    {
        var start = new ProcessStartInfo
        {
            FileName = asPostgres ? "runuser" : file,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asPostgres)
        {
            foreach (var a in (string[])["-u", "postgres", "--", file]) start.ArgumentList.Add(a);
        }
        foreach (var a in args) start.ArgumentList.Add(a);

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        // pg_ctl sends the server's own output to the log file (-l), so these pipes close when the command exits.
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        var output = (await stderr + await stdout).Trim();
        if (process.ExitCode != 0 && throwOnFailure)
            throw new InvalidOperationException($"{Path.GetFileName(file)} failed with exit code {process.ExitCode}: {output}");
    }
}
