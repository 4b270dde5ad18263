using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace ContactCenter.Bench;

/// <summary>
/// Issue 17, web chat, on the whole service over loopback HTTP: a new visitor's first bot answer (session, live
/// stream, "hello", until the bot's reply arrives on the stream); memory with many visitors connected to one
/// instance; agents' messages at a steady rate reaching the visitor's stream, from the API's 202. The bare HTTP
/// round trip (GET /health/live) of the same run is the baseline.
/// </summary>
public static class WebchatScenario
{
    private const string AgentKey = "bench-webchat-agent-key";
    private const string Origin = "http://shop.bench.example";

    public static async Task RunAsync(BenchDatabase database, int visitors, int newVisitors, int rate, int seconds)
    {
        var port = BenchHosting.FreePort();
        await using var service = new BenchService(database.ConnectionString, new Dictionary<string, string?>
        {
            ["Webchat:Widgets:bench:Origins:0"] = Origin,
            ["Webchat:VisitorRequestsPerMinute"] = "1000000",
            ["Webchat:IpRequestsPerMinute"] = "100000000",
            ["Flows:Bots:webchat"] = "messaging-bot",
            ["Auth:ApiKeys:0:Name"] = "Bench agent",
            ["Auth:ApiKeys:0:Key"] = AgentKey,
            ["Auth:ApiKeys:0:Role"] = "agent",
            ["Auth:ApiKeys:0:AgentId"] = "bench-agent",
            ["Auth:ApiKeys:0:AllConversations"] = "true",
        });
        service.UseKestrel(port);
        service.StartServer();
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"),
            Timeout = Timeout.InfiniteTimeSpan,
        };
        http.DefaultRequestHeaders.Add("Origin", Origin);

        await Measure.RunAsync("warm-up", 50, 2, _ => http.GetStringAsync("/health/live"));
        var baseline = await Measure.RunAsync("GET /health/live, c=4", 400, 4, _ => http.GetStringAsync("/health/live"));
        Console.WriteLine(baseline);

        // A new visitor: session, stream, first message, the bot's answer on the stream. Warmed up first like every other
        // scenario: the first visitors pay for compiling the whole path (widget session, bot, flow, outbox, stream), and
        // at c=4 those few cold ones were the p99 of a hundred.
        async Task FirstAnswerAsync()
        {
            using var stop = new CancellationTokenSource();
            var visitor = await StartAsync(http);
            var answered = new TaskCompletionSource();
            var listening = ListenAsync(http, visitor.Token, (name, data) => { if (name == "message" && data.Contains("\"bot.reply\"", StringComparison.Ordinal)) answered.TrySetResult(); }, stop.Token);
            await SayAsync(http, visitor.Token, "hello");
            await answered.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await stop.CancelAsync();
            await listening;
        }

        await Measure.RunAsync("warm-up", 40, 4, _ => FirstAnswerAsync());
        var firstAnswers = await Measure.RunAsync("new visitor → first bot answer, c=4", newVisitors, 4, _ => FirstAnswerAsync());
        Console.WriteLine(firstAnswers);
        Console.WriteLine($"  first bot answer / bare HTTP: p50 x{firstAnswers.P50 / baseline.P50:N1}, p99 x{firstAnswers.P99 / baseline.P99:N1}");

        // Many visitors connected at once, each with a conversation an agent can answer.
        var before = Snapshot();
        var arrivals = new ConcurrentQueue<(string Text, long At)>();
        var hellos = 0;
        using var stopAll = new CancellationTokenSource();
        var connected = new (string Token, Guid Conversation)[visitors];
        var connect = Stopwatch.StartNew();
        await Parallel.ForAsync(0, visitors, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
        {
            var visitor = await StartAsync(http);
            var conversation = await SayAsync(http, visitor.Token, "hi, a question about order " + i);
            connected[i] = (visitor.Token, conversation);
        });
        var listeners = connected.Select(v => ListenAsync(http, v.Token, (name, data) =>
        {
            if (name == "hello") Interlocked.Increment(ref hellos);
            else if (name == "message" && data.Contains("\"from\":\"agent\"", StringComparison.Ordinal))
            {
                var at = Stopwatch.GetTimestamp();
                arrivals.Enqueue((JsonDocument.Parse(data).RootElement.GetProperty("text").GetString()!, at));
            }
        }, stopAll.Token)).ToList();
        await WaitForAsync(() => Volatile.Read(ref hellos) >= visitors, $"{visitors} visitors connected", TimeSpan.FromSeconds(120));
        var feed = (ContactCenter.Channels.Webchat.WebchatFeed)service.Services.GetService(typeof(ContactCenter.Channels.Webchat.WebchatFeed))!;
        Console.WriteLine($"{visitors} visitors started, wrote and connected in {connect.Elapsed.TotalSeconds:N1} s; live connections on the instance: {feed.Connections}");
        var after = Snapshot();
        Console.WriteLine($"Memory with {visitors} connected visitors (service and the simulated visitors in one process): managed heap " +
                          $"{before.Heap / 1e6:N1} → {after.Heap / 1e6:N1} MB ({(after.Heap - before.Heap) / 1024.0 / visitors:N1} KB per visitor), " +
                          $"working set {before.WorkingSet / 1e6:N0} → {after.WorkingSet / 1e6:N0} MB");

        // Agents answer at a steady rate, each message to a random connected visitor.
        using var agent = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = http.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        agent.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AgentKey);
        var count = rate * seconds;
        var answeredAt = new long[count];
        var sends = new List<Task>(count);
        var run = Guid.NewGuid().ToString("N")[..6];
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / rate);
            if (due > clock.Elapsed) await Task.Delay(due - clock.Elapsed);
            var index = i;
            var target = connected[Random.Shared.Next(visitors)].Conversation;
            sends.Add(Task.Run(async () =>
            {
                using var response = await agent.PostAsJsonAsync($"/api/conversations/{target}/messages", new { text = $"bench {run} {index}" });
                if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"Agent send answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                answeredAt[index] = Stopwatch.GetTimestamp();
            }));
        }

        await Task.WhenAll(sends);
        var sendSeconds = clock.Elapsed.TotalSeconds;
        var prefix = $"bench {run} ";
        await WaitForAsync(() => arrivals.Count(a => a.Text.StartsWith(prefix, StringComparison.Ordinal)) >= count, "every message reached its visitor", TimeSpan.FromSeconds(60));
        await stopAll.CancelAsync();
        await Task.WhenAll(listeners);
        var latencies = arrivals.Where(a => a.Text.StartsWith(prefix, StringComparison.Ordinal))
            .Select(a => Math.Max(0, Stopwatch.GetElapsedTime(answeredAt[int.Parse(a.Text[prefix.Length..])], a.At).TotalMilliseconds)).Order().ToArray();
        var live = new Measurement($"agent 202 → visitor's stream, {visitors} connected", latencies.Length, TimeSpan.FromSeconds(sendSeconds), latencies);
        Console.WriteLine($"Agent messages: {count} at {count / sendSeconds:N0}/s (target {rate}/s), {latencies.Length} arrivals (expected {count}, duplicates {latencies.Length - count})");
        Console.WriteLine(live);
        Console.WriteLine($"  agent message → visitor / bare HTTP: p50 x{live.P50 / baseline.P50:N1}, p99 x{live.P99 / baseline.P99:N1}");
    }

    private static async Task<(string Token, Guid Id)> StartAsync(HttpClient http)
    {
        using var response = await http.PostAsJsonAsync("/webchat/sessions", new { widgetId = "bench" });
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"Session answered {(int)response.StatusCode}: {body}");
        var root = JsonDocument.Parse(body).RootElement;
        return (root.GetProperty("token").GetString()!, root.GetProperty("visitorId").GetGuid());
    }

    private static async Task<Guid> SayAsync(HttpClient http, string token, string text)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webchat/messages") { Content = JsonContent.Create(new { text, clientId = Guid.NewGuid().ToString("N") }) };
        request.Headers.Add("X-Webchat-Token", token);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"Message answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("conversationId").GetGuid();
    }

    private static async Task ListenAsync(HttpClient http, string token, Action<string, string> onEvent, CancellationToken ct)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/webchat/stream");
            request.Headers.Add("X-Webchat-Token", token);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            response.EnsureSuccessStatusCode();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
            var name = "";
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line[7..];
                else if (line.StartsWith("data: ", StringComparison.Ordinal)) onEvent(name, line[6..]);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException)
        {
        }
    }

    private static (long Heap, long WorkingSet) Snapshot()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return (GC.GetTotalMemory(true), Process.GetCurrentProcess().WorkingSet64);
    }

    private static async Task WaitForAsync(Func<bool> condition, string what, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > timeout) throw new TimeoutException($"Timed out waiting until {what}.");
            await Task.Delay(20);
        }
    }
}
