using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using ContactCenter.Channels.Twilio;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Inbound;
using ContactCenter.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ContactCenter.Bench;

/// <summary>
/// Issue 3: signed Twilio messaging webhooks (SMS form posts as Twilio sends them) through the whole service
/// on Kestrel over loopback HTTP: signature check, parsing, the core inbound path, the TwiML answer. Measured at
/// increasing concurrency, each level beside the bare single-INSERT baseline and the service's Inbox called
/// directly (what the webhook adds on top of it), in the same run.
/// </summary>
public static class TwilioMessagingScenario
{
    internal const string AuthToken = "bench-twilio-auth-token";
    internal const string AccountSid = "AC00000000000000000000000000000000";
    internal const string PublicBase = "https://contact.example.test";
    private const string Path = "/webhooks/twilio/messaging";

    public static async Task RunAsync(BenchDatabase database, int events, IReadOnlyList<int> concurrencies, int customers)
    {
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        await InboundScenario.EnsureBaselineTableAsync(dataSource);
        var port = BenchHosting.FreePort();
        await using var service = new BenchService(database.ConnectionString, new Dictionary<string, string?>
        {
            ["Routing:AutoQueue"] = "true",
            ["Twilio:AccountSid"] = AccountSid,
            ["Twilio:AuthToken"] = AuthToken,
            ["Twilio:PublicBaseUrl"] = PublicBase,
        });
        service.UseKestrel(port);
        service.StartServer();
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"),
        };

        // The service's own Inbox: the same call the webhook makes, without HTTP, signature and parsing.
        var inbox = service.Services.GetRequiredService<Inbox>();
        var run = Guid.NewGuid().ToString("N")[..8];
        var customerIds = Enumerable.Range(0, customers).Select(_ => Guid.NewGuid()).ToArray();
        // Warm-up: every customer writes once (so the measured messages land in open conversations, the
        // everyday case), and both paths get their connections, JIT and plans.
        var warm = Prepare($"w{run}", customers, customers);
        await Measure.RunAsync("warm-up", customers, 8, i => PostAsync(http, warm[i]));
        await Measure.RunAsync("warm-up", 500, 8, i => InboundScenario.BaselineAsync(dataSource, customerIds, $"w{run}", i));

        Console.WriteLine($"Twilio messaging webhooks over HTTP (Kestrel, loopback): {events} messages per level, {customers} customers");
        var sent = 0;
        foreach (var concurrency in concurrencies)
        {
            var level = $"{run}c{concurrency}";
            var messages = Prepare(level, events, customers);
            var baseline = await Measure.RunAsync($"bare single INSERT, c={concurrency}", events, concurrency,
                i => InboundScenario.BaselineAsync(dataSource, customerIds, level, i));
            var core = await Measure.RunAsync($"core Inbox path only, c={concurrency}", events, concurrency,
                i => inbox.ReceiveAsync(CoreEvent($"core{level}", i, customers), CancellationToken.None));
            var webhook = await Measure.RunAsync($"signed webhook → stored, c={concurrency}", events, concurrency,
                i => PostAsync(http, messages[i]));
            sent += events;
            Console.WriteLine(baseline);
            Console.WriteLine(core);
            Console.WriteLine(webhook);
            Console.WriteLine($"  webhook / baseline throughput {webhook.PerSecond / baseline.PerSecond:P0}; p50 x{webhook.P50 / baseline.P50:N1}, p99 x{webhook.P99 / baseline.P99:N1}");
        }

        // Twilio retrying deliveries it already made: answered from one read, nothing written.
        var retried = Prepare($"{run}c{concurrencies[^1]}", Math.Min(events, 1000), customers);
        Console.WriteLine(await Measure.RunAsync($"retried deliveries, c={concurrencies[^1]}", retried.Length, concurrencies[^1],
            i => PostAsync(http, retried[i])));

        await using var connection = await dataSource.OpenConnectionAsync();
        var stored = (long)(await connection.Sql("select count(*) from timeline_events where provider_id like $1", $"SM{run}c%")
            .ExecuteScalarAsync())!;
        Console.WriteLine($"stored {stored} of {sent} measured messages (each answered 200 with TwiML)");
        if (stored != sent) throw new InvalidOperationException("Messages answered 200 are missing from the timeline.");
    }

    /// <summary>Bodies and signatures made before the clock starts: Twilio signs on its side, not ours.</summary>
    internal static (byte[] Body, string Signature)[] Prepare(string run, int count, int customers) =>
        Enumerable.Range(0, count).Select(i =>
        {
            var sid = $"SM{run}{i:D8}";
            KeyValuePair<string, string>[] form =
            [
                new("ToCountry", "US"), new("ToState", "CA"), new("SmsMessageSid", sid), new("NumMedia", "0"), new("ToCity", "SAN FRANCISCO"),
                new("FromZip", "94105"), new("SmsSid", sid), new("FromState", "CA"), new("SmsStatus", "received"), new("FromCity", "SAN FRANCISCO"),
                new("Body", $"Hello, this is message {i}. Where is my order?"), new("FromCountry", "US"), new("To", "+18005551212"),
                new("ToZip", "94105"), new("NumSegments", "1"), new("MessageSid", sid), new("AccountSid", AccountSid),
                new("From", $"+1415555{i % customers:D4}"), new("ApiVersion", "2010-04-01"),
            ];
            var body = new FormUrlEncodedContent(form).ReadAsByteArrayAsync().GetAwaiter().GetResult();
            return (body, TwilioSignature.Compute(AuthToken, PublicBase + Path, form));
        }).ToArray();

    private static InboundEvent CoreEvent(string run, int i, int customers) => new()
    {
        Channel = Channel.Sms,
        Address = $"+1415555{i % customers:D4}",
        Provider = "twilio",
        ProviderEventId = $"SM{run}{i:D8}",
        OccurredAt = DateTimeOffset.UtcNow,
        Text = $"Hello, this is message {i}. Where is my order?",
        CompanyAddress = "+18005551212",
        Data = new JsonObject { ["to"] = "+18005551212", ["segments"] = 1 },
    };

    internal static async Task PostAsync(HttpClient http, (byte[] Body, string Signature) message)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = new ByteArrayContent(message.Body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        request.Headers.Add(TwilioSignature.Header, message.Signature);
        using var response = await http.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.OK)
            throw new InvalidOperationException($"Webhook answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        await response.Content.ReadAsByteArrayAsync();
    }
}
