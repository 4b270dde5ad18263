using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Inbound;
using ContactCenter.Core.Outbound;
using ContactCenter.Core.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ContactCenter.Bench;

/// <summary>
/// Issue 18, through the running service:
/// <list type="number">
/// <item>event webhooks: N inbound events fanned out to S subscribers on a local receiver (Kestrel, answers 204):
/// deliveries per second and event → delivery latency (the body's timestamp is the event's recorded_at, the
/// receiver reads the same clock), beside two baselines of the same run: bare POSTs to the receiver, and the
/// inbox writing the same events with no subscription (what the fan-out trigger costs the write path);</item>
/// <item>a notification batch of R SMS recipients (a no-op sender) at each configured rate for a short window:
/// messages accepted per second against the limit, and the busiest second.</item>
/// </list>
/// </summary>
public static class IntegrationsScenario
{
    private const string Key = "bench-integration-key-01";

    public static async Task RunAsync(BenchDatabase database, int events, int subscribers)
    {
        await using var receiver = await Receiver.StartAsync();
        var connectionString = await BenchService.FreshDatabaseAsync(database, $"bench_integrations_{events}");
        await using var routingHost = new BenchService(connectionString, new Dictionary<string, string?>
        {
            ["Webhooks:AllowPrivateTargets"] = "true",
            ["Auth:ApiKeys:0:Name"] = "bench", ["Auth:ApiKeys:0:Key"] = Key, ["Auth:ApiKeys:0:Role"] = "admin",
            ["Auth:ApiKeys:1:Name"] = "crm", ["Auth:ApiKeys:1:Key"] = Key + "-crm", ["Auth:ApiKeys:1:Role"] = "integration",
        });
        await using var host = routingHost.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<IChannelSender, NullSender>()));
        _ = host.Server;
        var db = host.Services.GetRequiredService<NpgsqlDataSource>();
        var inbox = host.Services.GetRequiredService<Inbox>();
        const int concurrency = 16;

        using var direct = new HttpClient();
        await Measure.RunAsync("warm-up", 500, concurrency, i => Post(direct, receiver.Url + "/warm", i));
        var bare = await Measure.RunAsync("bare POST to the receiver (baseline)", events, 32, i => Post(direct, receiver.Url + "/bare", i));
        var unsubscribed = await Measure.RunAsync("inbox, no subscription (baseline)", events, concurrency, i => inbox.ReceiveAsync(Event("base", i), CancellationToken.None));

        var admin = host.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        for (var s = 0; s < subscribers; s++)
            (await admin.PostAsJsonAsync("/api/webhooks/subscriptions", new { url = $"{receiver.Url}/hook/{s}", events = new[] { "message.received" } })).EnsureSuccessStatusCode();

        receiver.Reset();
        var watch = Stopwatch.StartNew();
        var subscribed = await Measure.RunAsync($"inbox, {subscribers} subscriptions", events, concurrency, i => inbox.ReceiveAsync(Event("run", i), CancellationToken.None));
        var expected = events * subscribers;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while (receiver.Count < expected && DateTime.UtcNow < deadline) await Task.Delay(20);
        var elapsed = watch.Elapsed;
        var latencies = receiver.Latencies();
        Console.WriteLine($"Webhooks: {events} events ({events / 10} conversations) → {subscribers} subscribers, local receiver, inbox at concurrency {concurrency}");
        Console.WriteLine(bare);
        Console.WriteLine(unsubscribed);
        Console.WriteLine(subscribed);
        Console.WriteLine($"{"deliveries, first event → last ack",-34} {receiver.Count,8} ops {receiver.Count / elapsed.TotalSeconds,10:N0} ops/s   p50 {Pct(latencies, 0.5),7:N1} ms   p99 {Pct(latencies, 0.99),7:N1} ms   max {latencies.LastOrDefault(),7:N1} ms  (event → delivery)");
        Console.WriteLine($"write path with {subscribers} subscriptions / without: {subscribed.PerSecond / unsubscribed.PerSecond:P0}; deliveries/s / bare POSTs/s: {receiver.Count / elapsed.TotalSeconds / bare.PerSecond:P0}");
        await using (var connection = await db.OpenConnectionAsync())
            Console.WriteLine($"  delivery rows not delivered: {await connection.Sql("select count(*) from webhook_deliveries where status <> 'delivered'").ExecuteScalarAsync()}");

    }

    /// <summary>One host per rate (the limit is read at start-up), on its own database.</summary>
    public static async Task BatchAsync(BenchDatabase database, int recipients, int rate, int window)
    {
        var connectionString = await BenchService.FreshDatabaseAsync(database, $"bench_notify_{rate}");
        await using var routingHost = new BenchService(connectionString, new Dictionary<string, string?>
        {
            ["Auth:ApiKeys:0:Name"] = "crm", ["Auth:ApiKeys:0:Key"] = Key, ["Auth:ApiKeys:0:Role"] = "integration",
            ["Notifications:RatePerSecond:sms"] = rate.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        await using var host = routingHost.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<IChannelSender, NullSender>()));
        _ = host.Server;
        var db = host.Services.GetRequiredService<NpgsqlDataSource>();
        var client = host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        var request = new
        {
            recipients = Enumerable.Range(0, recipients).Select(i => new { to = new { channel = "sms", address = $"+1415{i:D7}" } }).ToArray(),
            channels = new[] { "sms" },
            content = new { sms = new { text = "Your delivery moves to Friday." } },
        };
        var watch = Stopwatch.StartNew();
        var accepted = await client.PostAsJsonAsync("/api/notifications", request);
        accepted.EnsureSuccessStatusCode();
        var posted = watch.Elapsed;
        var id = (await accepted.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
        await Task.Delay(TimeSpan.FromSeconds(window));
        var progress = (await client.GetFromJsonAsync<JsonObject>($"/api/notifications/{id}"))!["progress"]!;
        watch.Restart();
        (await client.PostAsync($"/api/notifications/{id}/cancel", null)).EnsureSuccessStatusCode();
        var cancelled = watch.Elapsed;
        await using var connection = await db.OpenConnectionAsync();
        await using var command = connection.Sql("""
            with m as (select o.created_at from outbound_messages o where o.author = 'notification:' || $1)
            select count(*), extract(epoch from max(created_at) - min(created_at)),
                   (select max(c) from (select count(*) c from m group by date_trunc('second', created_at)) s)
            from m
            """, id);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        var sent = reader.GetInt64(0);
        var span = reader.IsDBNull(1) ? 0 : (double)reader.GetDecimal(1);
        var busiest = reader.IsDBNull(2) ? 0 : reader.GetInt64(2);
        var perSecond = span > 0 ? (sent - 1) / span : 0;
        Console.WriteLine($"Notification batch: {recipients} SMS recipients, Notifications:RatePerSecond:sms = {rate}, watched {window} s (POST answered in {posted.TotalMilliseconds:N0} ms, cancel in {cancelled.TotalMilliseconds:N0} ms)");
        Console.WriteLine($"  accepted into the outbox: {sent} ({progress["sending"]} sending per the API), {perSecond:N1}/s = {perSecond / rate:P0} of the limit; busiest second {busiest}");
    }

    private static double Pct(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static async Task Post(HttpClient client, string url, int i)
    {
        using var response = await client.PostAsync(url, new StringContent($$"""{"i":{{i}}}"""));
        response.EnsureSuccessStatusCode();
    }

    /// <summary>1,000 customers on Telegram, ten events each in their conversation.</summary>
    private static InboundEvent Event(string run, int i) => new()
    {
        Channel = Channel.Telegram,
        Address = $"{(run == "run" ? 7 : 8)}{i % (Math.Max(1, 1000)):D6}",
        Provider = "bench",
        ProviderEventId = $"{run}:{i}",
        OccurredAt = DateTimeOffset.UtcNow,
        Text = $"event {i}",
        CompanyAddress = "bench-bot",
    };

    /// <summary>A receiver on Kestrel that answers 204 and notes how long each delivery took since its event.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private ConcurrentBag<double> _latencies = [];
        private int _count;

        private Receiver(WebApplication app, string url)
        {
            _app = app;
            Url = url;
        }

        public string Url { get; }
        public int Count => Volatile.Read(ref _count);

        public static async Task<Receiver> StartAsync()
        {
            var port = BenchHosting.FreePort();
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            var app = builder.Build();
            var receiver = new Receiver(app, $"http://127.0.0.1:{port}");
            app.MapPost("/hook/{n}", async (HttpRequest request) =>
            {
                var body = await JsonNode.ParseAsync(request.Body);
                var at = DateTimeOffset.Parse(body!["timestamp"]!.GetValue<string>());
                receiver._latencies.Add((DateTimeOffset.UtcNow - at).TotalMilliseconds);
                Interlocked.Increment(ref receiver._count);
                return Results.NoContent();
            });
            app.MapPost("/{name}", () => Results.NoContent());
            await app.StartAsync();
            return receiver;
        }

        public void Reset()
        {
            _latencies = [];
            _count = 0;
        }

        public double[] Latencies()
        {
            var all = _latencies.ToArray();
            Array.Sort(all);
            return all;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }

    private sealed class NullSender : IChannelSender
    {
        public IReadOnlyCollection<Channel> Channels => [Channel.Sms];
        public OutboundRefusal? Check(OutboundCheck check) => null;
        public Task<SendOutcome> SendAsync(OutboundDelivery delivery, CancellationToken ct) =>
            Task.FromResult<SendOutcome>(new SendOutcome.Accepted("bench-" + delivery.MessageId, DeliveryStatus.Sent));
    }
}
