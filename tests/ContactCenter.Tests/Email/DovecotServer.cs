using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MimeKit;

namespace ContactCenter.Tests.Email;

/// <summary>
/// A real IMAP server for a test class: Debian's dovecot, started in the foreground from a throwaway config
/// (loopback port, plain auth allowed, users in a passwd-file, maildirs under a temp folder) and killed on
/// dispose. Run as root, dovecot drops privileges: its own users run the login and mail processes.
/// </summary>
public sealed class DovecotServer : IAsyncDisposable
{
    public const string Binary = "/usr/sbin/dovecot";
    private readonly string _dir;
    private readonly Process _process;

    private DovecotServer(string dir, int port, Process process)
    {
        _dir = dir;
        Port = port;
        _process = process;
    }

    public int Port { get; }
    public string Host => "127.0.0.1";

    /// <summary>Starts dovecot with one user per entry of <paramref name="users"/> (name → password).</summary>
    public static async Task<DovecotServer> StartAsync(IReadOnlyDictionary<string, string> users)
    {
        if (!File.Exists(Binary))
            throw new InvalidOperationException($"{Binary} is missing: install Debian's dovecot-imapd (.ci/run does).");
        var dir = Path.Combine(Path.GetTempPath(), $"cc-dovecot-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(Path.Combine(dir, "run"));
        Directory.CreateDirectory(Path.Combine(dir, "state"));
        var mail = Directory.CreateDirectory(Path.Combine(dir, "mail"));
        // The mail processes run as dovecot's user (root) or as us: either must create maildirs here.
        if (!OperatingSystem.IsWindows()) mail.UnixFileMode = (UnixFileMode)0b111_111_111;
        await File.WriteAllLinesAsync(Path.Combine(dir, "users"), users.Select(u => $"{u.Key}:{{PLAIN}}{u.Value}"));

        var root = Environment.UserName == "root";
        var (serviceUser, loginUser, mailUser) = root ? ("dovecot", "dovenull", "dovecot") : (Environment.UserName, Environment.UserName, Environment.UserName);
        var port = FreePort();
        var config = Path.Combine(dir, "dovecot.conf");
        await File.WriteAllTextAsync(config, $$"""
            base_dir = {{dir}}/run
            state_dir = {{dir}}/state
            log_path = {{dir}}/dovecot.log
            protocols = imap
            listen = 127.0.0.1
            ssl = no
            disable_plaintext_auth = no
            auth_mechanisms = plain login
            default_internal_user = {{serviceUser}}
            default_login_user = {{loginUser}}
            first_valid_uid = 0
            mail_location = maildir:{{dir}}/mail/%u
            mail_fsync = never
            passdb {
              driver = passwd-file
              args = scheme=PLAIN username_format=%u {{dir}}/users
            }
            userdb {
              driver = static
              args = uid={{mailUser}} gid={{mailUser}} home={{dir}}/mail/%u
            }
            service imap-login {
              inet_listener imap {
                address = 127.0.0.1
                port = {{port}}
              }
            }
            service stats {
              unix_listener stats-writer {
                mode = 0666
              }
            }
            """);

        var process = Process.Start(new ProcessStartInfo(Binary, ["-F", "-c", config])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("dovecot did not start.");
        var server = new DovecotServer(dir, port, process);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"dovecot exited ({process.ExitCode}): {await process.StandardError.ReadToEndAsync()} {server.Log()}");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return server;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    public string Log()
    {
        var path = Path.Combine(_dir, "dovecot.log");
        return File.Exists(path) ? File.ReadAllText(path) : "(no dovecot log)";
    }

    public async Task<ImapClient> ConnectAsync(string user, string password)
    {
        var client = new ImapClient { Timeout = 30_000 };
        await client.ConnectAsync(Host, Port, SecureSocketOptions.None);
        await client.AuthenticateAsync(user, password);
        return client;
    }

    /// <summary>Delivers mail the way a mail server would put it in the inbox: IMAP APPEND.</summary>
    public async Task<IReadOnlyList<UniqueId>> DeliverAsync(string user, string password, IEnumerable<MimeMessage> messages)
    {
        using var client = await ConnectAsync(user, password);
        var list = messages.ToList();
        var uids = new List<UniqueId>();
        // MULTIAPPEND keeps large bursts to few round trips.
        foreach (var chunk in list.Chunk(500))
        {
            var appended = await client.Inbox.AppendAsync(chunk.Select(m => new AppendRequest(m)).ToList<IAppendRequest>());
            uids.AddRange(appended);
        }

        await client.DisconnectAsync(true);
        return uids;
    }

    /// <summary>Empties the user's inbox (a test's mail must not be read again by the next test's fresh database).</summary>
    public async Task ClearAsync(string user, string password)
    {
        using var client = await ConnectAsync(user, password);
        await client.Inbox.OpenAsync(FolderAccess.ReadWrite);
        var all = await client.Inbox.SearchAsync(MailKit.Search.SearchQuery.All);
        if (all.Count > 0)
        {
            await client.Inbox.AddFlagsAsync(all, MessageFlags.Deleted, silent: true);
            await client.Inbox.ExpungeAsync();
        }

        await client.DisconnectAsync(true);
    }

    /// <summary>Appends bytes exactly as given (MailKit would re-serialize, and repair, a broken message).</summary>
    public async Task DeliverRawAsync(string user, string password, byte[] raw)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, Port);
        await using var stream = tcp.GetStream();
        using var reader = new StreamReader(stream, System.Text.Encoding.ASCII, leaveOpen: true);
        await reader.ReadLineAsync(); // greeting
        async Task<string> CommandAsync(string tag, byte[] bytes)
        {
            await stream.WriteAsync(bytes);
            while (await reader.ReadLineAsync() is { } line)
                if (line.StartsWith(tag + " ", StringComparison.Ordinal)) return line;
            throw new IOException("dovecot closed the connection.");
        }

        var ascii = System.Text.Encoding.ASCII;
        var login = await CommandAsync("a", ascii.GetBytes($"a LOGIN \"{user}\" \"{password}\"\r\n"));
        if (!login.StartsWith("a OK", StringComparison.Ordinal)) throw new IOException("LOGIN failed: " + login);
        // LITERAL+ ({n+}): the server takes the bytes without a continuation round trip.
        var append = ascii.GetBytes($"b APPEND INBOX {{{raw.Length}+}}\r\n").Concat(raw).Concat(ascii.GetBytes("\r\n")).ToArray();
        var appended = await CommandAsync("b", append);
        if (!appended.StartsWith("b OK", StringComparison.Ordinal)) throw new IOException("APPEND failed: " + appended);
        await CommandAsync("c", ascii.GetBytes("c LOGOUT\r\n"));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A child still closing a file: the temp folder is cleaned by the OS later.
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
