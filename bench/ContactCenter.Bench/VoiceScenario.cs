using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using ContactCenter.Channels.Twilio;
using ContactCenter.Core.Flows;
using ContactCenter.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;

namespace ContactCenter.Bench;

/// <summary>
/// Issue 4: IVR turn latency, signed voice webhook in → TwiML out, through the whole service on Kestrel over
/// loopback HTTP. Each simulated call walks the shipped main IVR: the call comes in (call.started, flow start),
/// English, billing, hold (into the routing queue, call.queued, the wait loop with place in line), then one
/// round of the wait loop; every turn follows the action URL of the TwiML before it, as Twilio would. Many
/// calls run at once; the bare single-INSERT baseline is measured at the same concurrency in the same run.
/// </summary>
public static partial class VoiceScenario
{
    private const string AuthToken = "bench-twilio-auth-token";
    private const string AccountSid = "AC00000000000000000000000000000000";
    private const string PublicBase = "https://contact.example.test";
    private static readonly string[] Keys = ["1", "1", "2"];

    /// <param name="thinkMs">Pause between a caller's turns (each drawn from 0.5–1.5 × this): 0 is a closed loop that measures
    /// saturation; a few seconds is a caller listening to prompts, so 200 calls at once make a realistic load.</param>
    public static async Task RunAsync(BenchDatabase database, int calls, int concurrency, int thinkMs)
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
        }, services =>
        {
            // The IVR's clock on a Monday morning, so the line is open.
            services.RemoveAll<FlowDriver>();
            services.AddSingleton(sp => new FlowDriver(sp.GetServices<IFlowActionResolver>(), new MondayMorning()));
        });
        service.UseKestrel(port);
        service.StartServer();
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"),
        };

        var run = Guid.NewGuid().ToString("N")[..8];
        var customers = Enumerable.Range(0, 1000).Select(_ => Guid.NewGuid()).ToArray();
        await WalkAsync(http, $"w{run}", Math.Min(calls, 200), 16, 0); // warm-up: connections, JIT, plans
        await Measure.RunAsync("warm-up", 500, 16, i => InboundScenario.BaselineAsync(dataSource, customers, $"w{run}", i));

        Console.WriteLine($"Voice IVR turns over HTTP (Kestrel, loopback): {calls} calls of {Keys.Length + 2} turns, {concurrency} calls at once, " +
                          $"{(thinkMs == 0 ? "no pause between turns (saturation)" : $"~{thinkMs} ms between a caller's turns")}");
        var baseline = await Measure.RunAsync($"bare single INSERT, c={concurrency}", calls * (Keys.Length + 2), concurrency,
            i => InboundScenario.BaselineAsync(dataSource, customers, run, i));
        var single = await Measure.RunAsync("bare single INSERT, c=1", 500, 1, i => InboundScenario.BaselineAsync(dataSource, customers, $"s{run}", i));
        var (all, byTurn) = await WalkAsync(http, run, calls, concurrency, thinkMs);
        Console.WriteLine(single);
        Console.WriteLine(baseline);
        Console.WriteLine(all);
        foreach (var turn in byTurn) Console.WriteLine(turn);
        Console.WriteLine($"  a turn's p50 is {all.P50 / single.P50:N1} uncontended INSERTs (c=1); with no pause, turns/s vs INSERTs/s at c={concurrency}: " +
                          $"{all.PerSecond / baseline.PerSecond:P0} (with pauses the turn rate is set by the callers, not the service)");

        await using var connection = await dataSource.OpenConnectionAsync();
        var queued = (long)(await connection.Sql("select count(*) from timeline_events where type = 'call.queued' and provider_id like $1", $"CA{run}%")
            .ExecuteScalarAsync())!;
        Console.WriteLine($"{queued} of {calls} measured calls are on the timeline as call.queued");
        if (queued != calls) throw new InvalidOperationException("Calls answered with TwiML are missing from the timeline.");
    }

    /// <summary>Runs the calls, <paramref name="concurrency"/> at a time; latencies per turn, overall and by turn.</summary>
    private static async Task<(Measurement All, List<Measurement> ByTurn)> WalkAsync(HttpClient http, string run, int calls, int concurrency, int thinkMs)
    {
        var turns = Keys.Length + 2;
        var latencies = new double[calls * turns];
        var next = -1;
        var total = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            // With pauses, calls start spread over one call's length, so about `concurrency` calls are in progress at
            // any time instead of all arriving in the same instant.
            if (thinkMs > 0) await Task.Delay(worker * thinkMs * turns / concurrency);
            int call;
            while ((call = Interlocked.Increment(ref next)) < calls)
            {
                var sid = $"CA{run}{call:D24}";
                var from = $"+1415556{call % 10000:D4}";
                var url = "/webhooks/twilio/voice";
                for (var turn = 0; turn < turns; turn++)
                {
                    List<KeyValuePair<string, string>> form =
                    [
                        new("CallSid", sid), new("AccountSid", AccountSid), new("From", from), new("To", "+18005551212"),
                        new("CallStatus", "in-progress"), new("Direction", "inbound"), new("ApiVersion", "2010-04-01"),
                    ];
                    if (turn is > 0 and <= 3) form.Add(new("Digits", Keys[turn - 1]));
                    var start = Stopwatch.GetTimestamp();
                    var twiml = await PostAsync(http, url, form);
                    latencies[call * turns + turn] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    // The next request goes where the TwiML points: the Gather's action, then the wait loop's Redirect.
                    url = turn < 3 ? Attribute(twiml, "Gather", "action") : RedirectTarget().Match(twiml).Groups[1].Value;
                    url = url.Replace("&amp;", "&", StringComparison.Ordinal)[PublicBase.Length..];
                    if (thinkMs > 0) await Task.Delay((int)(thinkMs * (0.5 + Random.Shared.NextDouble())));
                }
            }
        })));
        total.Stop();

        var names = new[] { "call comes in", "language (1)", "main menu (1)", "callback offer (2) → queue", "wait loop round" };
        var byTurn = names.Select((name, t) =>
        {
            var own = Enumerable.Range(0, calls).Select(c => latencies[c * turns + t]).Order().ToArray();
            return new Measurement($"  {name}", calls, total.Elapsed, own);
        }).ToList();
        return (new Measurement($"IVR turn (webhook → TwiML), c={concurrency}", latencies.Length, total.Elapsed, latencies.Order().ToArray()), byTurn);
    }

    private static string Attribute(string twiml, string element, string attribute)
    {
        var match = Regex.Match(twiml, $"<{element} [^>]*{attribute}=\"([^\"]+)\"");
        return match.Success ? match.Groups[1].Value : throw new InvalidOperationException($"No {element} {attribute} in {twiml}");
    }

    [GeneratedRegex("<Redirect[^>]*>([^<]+)</Redirect>")]
    private static partial Regex RedirectTarget();

    private static async Task<string> PostAsync(HttpClient http, string pathAndQuery, List<KeyValuePair<string, string>> form)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, pathAndQuery) { Content = new FormUrlEncodedContent(form) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        request.Headers.Add(TwilioSignature.Header, TwilioSignature.Compute(AuthToken, PublicBase + pathAndQuery, form));
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"{pathAndQuery} answered {(int)response.StatusCode}: {body}");
        return body;
    }

    private sealed class MondayMorning : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => DateTimeOffset.Parse("2026-11-23T15:00:00Z", global::System.Globalization.CultureInfo.InvariantCulture);
    }
}
