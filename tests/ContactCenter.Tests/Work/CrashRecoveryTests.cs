using System.Net;
using System.Net.Http.Headers;
using ContactCenter.Channels.Twilio;
using ContactCenter.Core.Storage;
using ContactCenter.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ContactCenter.Tests.Work;

/// <summary>
/// Nothing lost, nothing doubled, with real processes: the service in a process of its own takes a burst of signed
/// SMS webhooks, is killed with SIGKILL a third of the way in (work mid-flight, leases held), PostgreSQL is restarted
/// at once (immediate: no checkpoint), a new service starts and gets the unanswered webhooks again, as Twilio
/// retries them, plus redeliveries of answered ones. Every message is stored once, every new conversation queued
/// once with one first-response clock, and the work pipeline drains. Its own PostgreSQL cluster, durable (with fsync
/// or synchronous commit off the restart itself could lose an acknowledged commit), so the restart touches no other test.
/// </summary>
public class CrashRecoveryTests : IAsyncLifetime
{
    private const string AuthToken = "crash-test-auth-token";
    private const string PublicBase = "https://contact.example.test";
    private const string Path = "/webhooks/twilio/messaging";
    private LocalPostgres _postgres = null!;

    public async Task InitializeAsync()
    {
        _postgres = await LocalPostgres.StartThrowawayAsync("crash", fsync: true);
        await using var db = NpgsqlDataSource.Create(_postgres.ConnectionString);
        await new MigrationRunner(db, NullLogger<MigrationRunner>.Instance).MigrateAsync();
    }

    public async Task DisposeAsync() => await _postgres.StopAsync();

    [Fact]
    public async Task AKilledInstanceAndAPostgresRestartLoseNothingAndDoubleNothing()
    {
        const int messages = 240, customers = 40, killAfter = 80;
        var run = Guid.NewGuid().ToString("N")[..8];
        var bodies = Enumerable.Range(0, messages).Select(i => Signed(run, i, customers)).ToArray();
        var answered = new bool[messages];
        var settings = new Dictionary<string, string>
        {
            ["Twilio__AccountSid"] = "AC00000000000000000000000000000000",
            ["Twilio__AuthToken"] = AuthToken,
            ["Twilio__PublicBaseUrl"] = PublicBase,
            // The killed instance's running items come back after this (plus a poll).
            ["Work__LeaseDuration"] = "00:00:03",
            ["Work__PollInterval"] = "00:00:00.500",
        };

        using (var first = ServiceProcess.Start(ContactCenterApp.RepositoryRoot, _postgres.ConnectionString, settings))
        using (var http = first.Client())
        {
            await first.WaitReadyAsync(http);
            var count = 0;
            await Parallel.ForEachAsync(Enumerable.Range(0, messages), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
            {
                try
                {
                    if (await PostAsync(http, bodies[i]) != HttpStatusCode.OK) return;
                    answered[i] = true;
                    if (Interlocked.Increment(ref count) == killAfter) first.Kill();
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // Never answered: Twilio sends it again, and so does this test, below.
                }
            });
            await first.Process.WaitForExitAsync();
        }

        var acknowledged = answered.Count(a => a);
        Assert.True(acknowledged >= killAfter && acknowledged < messages, $"{acknowledged} of {messages} answered before the kill"); // mid-burst
        await _postgres.RestartImmediateAsync();

        using var second = ServiceProcess.Start(ContactCenterApp.RepositoryRoot, _postgres.ConnectionString, settings);
        using (var http = second.Client())
        {
            await second.WaitReadyAsync(http);
            var again = Enumerable.Range(0, messages).Where(i => !answered[i]).Concat(Enumerable.Range(0, messages).Where(i => answered[i]).Take(40));
            foreach (var chunk in again.Chunk(8))
            {
                var codes = await Task.WhenAll(chunk.Select(i => PostAsync(http, bodies[i])));
                Assert.True(codes.All(c => c == HttpStatusCode.OK), $"redeliveries answered {string.Join(", ", codes)}; service: {second.Errors}");
            }
        }

        await using var db = NpgsqlDataSource.Create(_postgres.ConnectionString);
        // Everything the burst caused is done, the killed instance's leased items included (their leases ran out).
        await TestSupport.EventuallyAsync(async () => await ScalarAsync(db, "select count(*) from work_items") == 0,
            "the work pipeline drained after the crash", TimeSpan.FromSeconds(90));
        Assert.False(second.Process.HasExited, second.Errors);

        var like = $"SM{run}%";
        Assert.Equal(messages, await ScalarAsync(db, "select count(*) from timeline_events where provider_id like $1", like));
        Assert.Equal(messages, await ScalarAsync(db, "select count(distinct provider_id) from timeline_events where provider_id like $1", like));
        var conversations = await ScalarAsync(db, "select count(distinct conversation_id) from timeline_events where provider_id like $1", like);
        Assert.Equal(customers, conversations);
        Assert.Equal(customers, await ScalarAsync(db, """
            select count(*) from (select q.conversation_id from timeline_events q
                where q.type = 'conversation.queued'
                  and q.conversation_id in (select conversation_id from timeline_events where provider_id like $1)
                group by q.conversation_id having count(*) = 1) once
            """, like));
        Assert.Equal(customers, await ScalarAsync(db, """
            select count(*) from (select r.conversation_id from response_clocks r
                where r.kind = 'first_response'
                  and r.conversation_id in (select conversation_id from timeline_events where provider_id like $1)
                group by r.conversation_id having count(*) = 1) once
            """, like));
        Assert.Equal(customers, await ScalarAsync(db, """
            select count(*) from queue_entries where conversation_id in (select conversation_id from timeline_events where provider_id like $1)
            """, like));
    }

    private static (byte[] Body, string Signature) Signed(string run, int i, int customers)
    {
        var sid = $"SM{run}{i:D8}";
        KeyValuePair<string, string>[] form =
        [
            new("MessageSid", sid), new("SmsMessageSid", sid), new("AccountSid", "AC00000000000000000000000000000000"),
            new("From", $"+1415556{i % customers:D4}"), new("To", "+18005551212"), new("Body", $"Where is my order? ({i})"),
            new("NumMedia", "0"), new("NumSegments", "1"), new("SmsStatus", "received"), new("ApiVersion", "2010-04-01"),
        ];
        var body = new FormUrlEncodedContent(form).ReadAsByteArrayAsync().GetAwaiter().GetResult();
        return (body, TwilioSignature.Compute(AuthToken, PublicBase + Path, form));
    }

    private static async Task<HttpStatusCode> PostAsync(HttpClient http, (byte[] Body, string Signature) message)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = new ByteArrayContent(message.Body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        request.Headers.Add(TwilioSignature.Header, message.Signature);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<long> ScalarAsync(NpgsqlDataSource db, string sql, params object[] args)
    {
        await using var connection = await db.OpenConnectionAsync();
        return Convert.ToInt64(await connection.Sql(sql, args).ExecuteScalarAsync());
    }
}
