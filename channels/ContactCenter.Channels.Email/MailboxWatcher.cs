using ContactCenter.Core.Storage;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Channels.Email;

/// <summary>
/// Watches every configured mailbox: one loop per mailbox that holds a PostgreSQL advisory lock (so one
/// instance watches it at a time), imports every message after the stored UIDVALIDITY + UID, storing the
/// position after each, then waits with IMAP IDLE (or polls when the server has no IDLE). Any failure
/// (server gone, database gone) ends the round; the next starts from the stored position after a pause.
/// </summary>
public sealed partial class MailboxWatcher(
    NpgsqlDataSource db,
    MailImporter importer,
    EmailStore store,
    IOptions<EmailOptions> options,
    TimeProvider clock,
    ILogger<MailboxWatcher> log) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(options.Value.Mailboxes
            .Where(m => m.Value.Imap.IsConfigured)
            .Select(m => WatchAsync(m.Key, m.Value, stoppingToken)));

    private async Task WatchAsync(string name, MailboxOptions mailbox, CancellationToken ct)
    {
        await Task.Yield();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var lease = await db.OpenConnectionAsync(ct);
                if (await lease.Sql("select pg_try_advisory_lock(hashtextextended($1, 0))", LockName(name)).ExecuteScalarAsync(ct) is true)
                {
                    try
                    {
                        await WatchWhileLeasedAsync(name, mailbox, lease, ct);
                    }
                    finally
                    {
                        // Returned to the pool, the connection must not keep the mailbox locked.
                        if (lease.State == System.Data.ConnectionState.Open)
                            await lease.Sql("select pg_advisory_unlock(hashtextextended($1, 0))", LockName(name)).ExecuteScalarAsync(CancellationToken.None);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The mailbox's supervisor: whatever ended this round, the next one resumes from the stored position.
                LogRoundFailed(e, name);
            }

            try
            {
                await Task.Delay(options.Value.PollInterval, clock, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static string LockName(string mailbox) => "email-mailbox:" + mailbox.ToLowerInvariant();

    private async Task WatchWhileLeasedAsync(string name, MailboxOptions mailbox, NpgsqlConnection lease, CancellationToken ct)
    {
        var timeout = (int)options.Value.CommandTimeout.TotalMilliseconds;
        using var client = new ImapClient { Timeout = timeout };
        await client.ConnectAsync(mailbox.Imap.Host, mailbox.Imap.Port, mailbox.Imap.Security, ct);
        await client.AuthenticateAsync(mailbox.Imap.User ?? mailbox.Address, mailbox.Imap.Password ?? "", ct);
        var folder = string.Equals(mailbox.Folder, "INBOX", StringComparison.OrdinalIgnoreCase)
            ? client.Inbox
            : await client.GetFolderAsync(mailbox.Folder, ct);
        // Read-only: the service never changes the mailbox (no \Seen flags, no moves), so nothing is lost there.
        await folder.OpenAsync(FolderAccess.ReadOnly, ct);
        var idle = client.Capabilities.HasFlag(ImapCapabilities.Idle);
        LogWatching(name, idle ? "IDLE" : "polling");

        while (!ct.IsCancellationRequested)
        {
            await lease.Sql("select 1").ExecuteScalarAsync(ct); // still holding the lock?
            // Listening before the import: mail that arrives while it runs ends the next IDLE at once.
            using var arrived = new CancellationTokenSource(options.Value.IdleRefresh);
            void Arrived(object? sender, EventArgs e) => arrived.Cancel();
            folder.CountChanged += Arrived;
            try
            {
                await ImportNewAsync(name, mailbox, folder, lease, ct);
                if (idle)
                {
                    if (!arrived.IsCancellationRequested) await client.IdleAsync(arrived.Token, ct);
                }
                else
                {
                    await Task.Delay(options.Value.PollInterval, clock, ct);
                    await client.NoOpAsync(ct);
                }
            }
            finally
            {
                folder.CountChanged -= Arrived;
            }
        }
    }

    private async Task ImportNewAsync(string name, MailboxOptions mailbox, IMailFolder folder, NpgsqlConnection lease, CancellationToken ct)
    {
        var validity = (long)folder.UidValidity;
        var stored = await store.PositionAsync(name, ct);
        // A new UIDVALIDITY makes stored UIDs meaningless: start over; Message-ID dedupe keeps it from doubling.
        var last = stored is { } p && p.UidValidity == validity ? p.LastUid : 0;
        if (stored is { } old && old.UidValidity != validity) LogValidityChanged(name, old.UidValidity, validity);

        var range = new UniqueIdRange(new UniqueId(folder.UidValidity, (uint)last + 1), UniqueId.MaxValue);
        // "UID n:*" always answers the last message, even below n: keep only what is really new.
        var uids = (await folder.SearchAsync(SearchQuery.Uids(range), ct)).Where(u => u.Id > last).OrderBy(u => u.Id).ToList();
        var limit = options.Value.MaxAttachmentBytes * 4 / 3 + 1024 * 1024;
        foreach (var batch in uids.Chunk(Math.Max(1, options.Value.BatchSize)))
        {
            // A lease lost in a long round (its connection gone) lets another instance in: stop at the next batch, not the
            // round's end. Dedupe keeps the overlap from doubling anything; this keeps it short.
            await lease.Sql("select 1").ExecuteScalarAsync(ct);
            var summaries = await folder.FetchAsync(batch, MessageSummaryItems.UniqueId | MessageSummaryItems.Size | MessageSummaryItems.Envelope, ct);
            foreach (var summary in summaries.OrderBy(s => s.UniqueId.Id))
            {
                var at = new MailboxPosition(name, mailbox, validity, summary.UniqueId.Id);
                if (summary.Size is { } size && size > limit)
                {
                    var envelope = summary.Envelope;
                    await importer.RejectOversizedAsync(at, size, envelope?.MessageId, envelope?.From.Mailboxes.FirstOrDefault()?.Address,
                        envelope?.Subject, ct);
                }
                else
                {
                    await ImportOneAsync(at, folder, summary.UniqueId, ct);
                }

                await store.SavePositionAsync(name, validity, summary.UniqueId.Id, clock.GetUtcNow(), ct);
            }
        }
    }

    private async Task ImportOneAsync(MailboxPosition at, IMailFolder folder, UniqueId uid, CancellationToken ct)
    {
        byte[] raw;
        await using (var stream = await folder.GetStreamAsync(uid, ct))
        {
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, ct);
            raw = buffer.ToArray();
        }

        try
        {
            await importer.ImportAsync(at, raw, ct);
        }
        catch (Exception e) when (e is not (NpgsqlException or OperationCanceledException))
        {
            // A mail that trips the parser must not stop the mailbox: kept aside, and the watcher goes on.
            LogUnreadable(e, at.Mailbox, at.Uid);
            await importer.RejectUnreadableAsync(at, raw, e.GetType().Name, ct);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Mailbox {Mailbox}: UID {Uid} could not be read; kept aside")]
    private partial void LogUnreadable(Exception e, string mailbox, long uid);

    [LoggerMessage(Level = LogLevel.Information, Message = "Watching mailbox {Mailbox} ({Mode})")]
    private partial void LogWatching(string mailbox, string mode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mailbox {Mailbox}: UIDVALIDITY changed from {Old} to {New}; reading it again from the start")]
    private partial void LogValidityChanged(string mailbox, long old, long @new);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mailbox {Mailbox}: watching stopped; resuming from the stored position")]
    private partial void LogRoundFailed(Exception e, string mailbox);
}
