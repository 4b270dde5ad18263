using MimeKit;

namespace ContactCenter.Tests.Email;

public class EmailRestartTests(EmailFixture fx) : IClassFixture<EmailFixture>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await fx.Imap.ClearAsync(EmailFixture.Burst, EmailFixture.Password);
        await fx.ResetMailAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private Task<long> ImportedAsync() =>
        fx.Db.CountAsync("select count(*) from timeline_events where type = 'message.received' and data->>'mailbox' = 'burst'");

    private Task<long> WatchersAsync() =>
        fx.Db.CountAsync("""
            select count(*) from pg_locks where locktype = 'advisory' and granted
              and database = (select oid from pg_database where datname = current_database())
              and ((classid::bigint << 32) | objid::bigint) = hashtextextended('email-mailbox:burst', 0)
            """);

    [Fact]
    public async Task AnInstanceStoppedInTheMiddleOfABurstLeavesEveryMailImportedExactlyOnce()
    {
        const int burst = 300;
        var first = fx.HostWithBurst();
        _ = first.Server;
        await TestSupport.EventuallyAsync(async () => await WatchersAsync() == 1, "the first instance watches the mailbox");
        var second = fx.HostWithBurst();
        _ = second.Server;
        try
        {
            var mails = Enumerable.Range(0, burst)
                .Select(i => Mail.From($"sender{i % 37}@customer.test", $"Burst {i}", $"Message {i}", to: EmailFixture.Burst)).ToArray();
            var uids = await fx.Imap.DeliverAsync(EmailFixture.Burst, EmailFixture.Password, mails);

            // Stop the watching instance part-way through; the other takes the mailbox over from the stored position.
            await TestSupport.EventuallyAsync(async () => await ImportedAsync() >= 30, "the first instance imported some of the burst");
            await first.DisposeAsync();
            Assert.True(await ImportedAsync() < burst, "the burst was not over before the stop; the test proves nothing");
            // Done means the watcher finished the last mail: its event, then its email_messages row, then the stored position,
            // in that order. Waiting for the events alone left the last mail's row and position a moment behind (299 of 300).
            var lastUid = (long)uids.Max(u => u.Id);
            (long Events, long Rows, long Position) seen = default;
            try
            {
                await TestSupport.EventuallyAsync(async () =>
                {
                    seen = (await ImportedAsync(), await fx.Db.CountAsync("select count(*) from email_messages where mailbox = 'burst'"),
                        await fx.Db.CountAsync("select coalesce(max(last_uid), 0) from email_mailboxes where name = 'burst'"));
                    return seen == (burst, burst, lastUid);
                }, "the second instance imported the rest", TimeSpan.FromSeconds(60));
            }
            catch (Xunit.Sdk.XunitException e)
            {
                throw new Xunit.Sdk.XunitException(
                    $"{e.Message} Events {seen.Events}, email_messages {seen.Rows}, position {seen.Position} of {burst} mails up to UID {lastUid}.");
            }

            Assert.Equal(burst, await fx.Db.CountAsync(
                "select count(distinct provider_id) from timeline_events where type = 'message.received' and data->>'mailbox' = 'burst'"));
            Assert.Equal(burst, await fx.Db.CountAsync("select count(*) from email_messages where mailbox = 'burst'"));
            Assert.Equal(0, await fx.Db.CountAsync("select count(*) from email_set_aside"));
            Assert.Equal(lastUid, await fx.Db.CountAsync("select last_uid from email_mailboxes where name = 'burst'"));
            Assert.Equal(1, await WatchersAsync());
            // 37 senders, one customer each; every mail starts a thread of its own (none answers another), so a conversation each.
            Assert.Equal(37, await fx.Db.CountAsync("select count(distinct customer_id) from conversations where channel = 'email'"));
            var shared = await fx.Db.CountAsync("""
                select count(*) from (select conversation_id from timeline_events where type = 'message.received' group by 1 having count(*) > 1) s
                """);
            var closed = await fx.Db.CountAsync("select count(*) from conversations where channel = 'email' and closed_at is not null");
            Assert.True(shared == 0 && closed == 0, $"{shared} conversations hold more than one mail, {closed} are closed");
            Assert.Equal(burst, await fx.Db.CountAsync("select count(*) from conversations where channel = 'email' and closed_at is null"));
        }
        finally
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
        }
    }
}
