using System.Diagnostics;
using ContactCenter.Tests.Email;
using MimeKit;
using Npgsql;

namespace ContactCenter.Bench;

/// <summary>
/// Issue 16, the email channel, against a real dovecot (IMAP) through the running service:
/// <list type="number">
/// <item>import: N mails appended to a mailbox before the service starts, then the service started on it; mails
/// per second from start to the last <c>message.received</c>, and the process's peak working set and managed heap
/// while it runs, beside the same-run baseline of only downloading the N raw mails over IMAP (no parsing, no storage);</item>
/// <item>IDLE latency: one mail at a time appended to the watched mailbox over one IMAP connection, from the APPEND
/// to the event's <c>recorded_at</c> (same machine clock), p50 / p99.</item>
/// </list>
/// </summary>
public static class EmailScenario
{
    private const string User = "bench@example.test";
    private const string Password = "bench";

    public static async Task RunAsync(BenchDatabase database, int messages, int latencySamples)
    {
        await using var imap = await DovecotServer.StartAsync(new Dictionary<string, string> { [User] = Password });
        var append = Stopwatch.StartNew();
        for (var offset = 0; offset < messages; offset += 1000)
            await imap.DeliverAsync(User, Password, Enumerable.Range(offset, Math.Min(1000, messages - offset)).Select(Mail));
        Console.WriteLine($"Email: {messages} mails appended to dovecot in {append.Elapsed.TotalSeconds:N1} s (IMAP MULTIAPPEND)");

        // Baseline: the raw download alone.
        var download = Stopwatch.StartNew();
        long bytes = 0;
        using (var client = await imap.ConnectAsync(User, Password))
        {
            await client.Inbox.OpenAsync(MailKit.FolderAccess.ReadOnly);
            foreach (var uid in await client.Inbox.SearchAsync(MailKit.Search.SearchQuery.All))
            {
                await using var stream = await client.Inbox.GetStreamAsync(uid);
                using var buffer = new MemoryStream();
                await stream.CopyToAsync(buffer);
                bytes += buffer.Length;
            }
        }
        download.Stop();

        var connectionString = await BenchService.FreshDatabaseAsync(database, $"bench_email_{messages}");
        await using var host = new BenchService(connectionString, new Dictionary<string, string?>
        {
            ["Email:Mailboxes:bench:Address"] = "support@example.test",
            ["Email:Mailboxes:bench:Imap:Host"] = imap.Host,
            ["Email:Mailboxes:bench:Imap:Port"] = imap.Port.ToString(),
            ["Email:Mailboxes:bench:Imap:Security"] = "None",
            ["Email:Mailboxes:bench:Imap:User"] = User,
            ["Email:Mailboxes:bench:Imap:Password"] = Password,
            ["Email:PollInterval"] = "00:00:00.500",
        });
        await using var db = NpgsqlDataSource.Create(connectionString);
        GC.Collect();
        var process = Process.GetCurrentProcess();
        long peakWorkingSet = 0, peakHeap = 0;
        var import = Stopwatch.StartNew();
        _ = host.Server;
        long imported;
        while ((imported = await CountAsync(db, "select count(*) from timeline_events where type = 'message.received'")) < messages)
        {
            process.Refresh();
            peakWorkingSet = Math.Max(peakWorkingSet, process.WorkingSet64);
            peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(false));
            await Task.Delay(100);
        }

        import.Stop();
        Console.WriteLine($"{"IMAP download only (baseline)",-34} {messages,8} mails {messages / download.Elapsed.TotalSeconds,10:N0} mails/s   {bytes / 1024.0 / 1024,6:N1} MB");
        Console.WriteLine($"{"import: start → last on timeline",-34} {imported,8} mails {messages / import.Elapsed.TotalSeconds,10:N0} mails/s   " +
                          $"ratio {import.Elapsed / download.Elapsed:N1}x baseline   peak working set {peakWorkingSet / 1024 / 1024} MB, managed heap {peakHeap / 1024 / 1024} MB");

        // New mail → timeline, one at a time, the watcher in IDLE. One appending connection for every sample: a connection
        // per mail ran into dovecot's per-user connection limit.
        var latencies = new List<double>();
        using var appender = await imap.ConnectAsync(User, Password);
        for (var i = 0; i < latencySamples; i++)
        {
            var mail = Mail(messages + i);
            var sentAt = DateTimeOffset.UtcNow;
            await appender.Inbox.AppendAsync(new MailKit.AppendRequest(mail));
            DateTimeOffset? recorded;
            while ((recorded = await RecordedAtAsync(db, mail.MessageId!)) is null) await Task.Delay(2);
            latencies.Add((recorded.Value - sentAt).TotalMilliseconds);
        }

        latencies.Sort();
        double P(double p) => latencies[Math.Clamp((int)Math.Ceiling(p * latencies.Count) - 1, 0, latencies.Count - 1)];
        Console.WriteLine($"{"new mail (APPEND) → timeline, IDLE",-34} {latencySamples,8} mails   p50 {P(0.5),7:N1} ms   p99 {P(0.99),7:N1} ms   max {latencies[^1],7:N1} ms");
    }

    private static MimeMessage Mail(int i)
    {
        var message = new MimeMessage { Subject = $"Question {i}", MessageId = $"bench.{i}.{Guid.NewGuid():N}@customer.test", Date = DateTimeOffset.UtcNow };
        message.From.Add(new MailboxAddress($"Customer {i % 1000}", $"customer{i % 1000}@customer.test"));
        message.To.Add(MailboxAddress.Parse("support@example.test"));
        message.Body = new MultipartAlternative
        {
            new TextPart("plain") { Text = $"Hello, this is question {i}.\n\nOn Mon, Support wrote:\n> Earlier answer\n> more quoted text\n\n-- \nCustomer {i % 1000}" },
            new TextPart("html") { Text = $"<p>Hello, this is question <b>{i}</b>.</p><blockquote>Earlier answer</blockquote>" },
        };
        return message;
    }

    private static async Task<long> CountAsync(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<DateTimeOffset?> RecordedAtAsync(NpgsqlDataSource db, string messageId)
    {
        await using var command = db.CreateCommand("select recorded_at from timeline_events where dedupe_key = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = "email:" + messageId });
        return await command.ExecuteScalarAsync() is DateTime at ? new DateTimeOffset(at, TimeSpan.Zero) : null;
    }
}
