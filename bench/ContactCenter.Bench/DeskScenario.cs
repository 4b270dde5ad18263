using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ContactCenter.Channels.Twilio;
using ContactCenter.Core.Storage;
using Npgsql;

namespace ContactCenter.Bench;

/// <summary>
/// Issue 13, the agent desk, on the whole service over loopback HTTP: the inbox of an agent with 50 conversations
/// and 10,000 waiting in their queue (beside GET /health/live, the bare HTTP round trip, in the same run); a new
/// inbound message reaching 50 open desks' live streams at 100 messages/s, from the webhook's answer; memory of
/// the process with 500 open desks.
/// </summary>
public static class DeskScenario
{
    private const string AuthToken = "bench-twilio-auth-token";
    private const string AccountSid = "AC00000000000000000000000000000000";
    private const string PublicBase = "https://contact.example.test";
    private const string AgentKey = "bench-desk-agent-key-01";
    private const string AgentId = "bench-agent";

    public static async Task RunAsync(BenchDatabase database, int assigned, int waiting, int desks, int rate, int seconds, int memoryDesks)
    {
        var port = BenchHosting.FreePort();
        // New conversations wait in the bench queue (the agent is away, so nothing is assigned). The agent key is a scoped
        // agent who works that queue: their desk lists and hears only conversations there.
        await using var service = new BenchService(database.ConnectionString, new Dictionary<string, string?>
        {
            ["Routing:AutoQueue"] = "true",
            ["Routing:DefaultQueue"] = "desk-bench",
            ["Twilio:AccountSid"] = AccountSid,
            ["Twilio:AuthToken"] = AuthToken,
            ["Twilio:PublicBaseUrl"] = PublicBase,
            ["Auth:ApiKeys:0:Name"] = "Bench agent",
            ["Auth:ApiKeys:0:Key"] = AgentKey,
            ["Auth:ApiKeys:0:Role"] = "agent",
            ["Auth:ApiKeys:0:AgentId"] = AgentId,
            ["Auth:ApiKeys:0:Queues:0"] = "desk-bench",
        });
        service.UseKestrel(port);
        service.StartServer();
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"),
            Timeout = Timeout.InfiniteTimeSpan,
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AgentKey);
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        await SeedAsync(dataSource, assigned, waiting);

        await InboxAsync(http, assigned, waiting);
        await LiveAsync(http, dataSource, desks, rate, seconds);
        await MemoryAsync(http, memoryDesks);
    }

    private static async Task InboxAsync(HttpClient http, int assigned, int waiting)
    {
        await Measure.RunAsync("warm-up", 50, 2, _ => GetAsync(http, "/api/desk/inbox"));
        var first = JsonDocument.Parse(await GetAsync(http, "/api/desk/inbox")).RootElement;
        Console.WriteLine($"Desk inbox: {first.GetProperty("mine").GetArrayLength()} assigned, {first.GetProperty("waitingTotal").GetInt32()} waiting " +
                          $"(first {first.GetProperty("waiting").GetArrayLength()} listed), seeded {assigned} / {waiting}");
        if (first.GetProperty("mine").GetArrayLength() != assigned || first.GetProperty("waitingTotal").GetInt32() != waiting)
            throw new InvalidOperationException("The inbox does not show what was seeded; the figures would measure something else.");
        foreach (var concurrency in new[] { 1, 4 })
        {
            var baseline = await Measure.RunAsync($"GET /health/live, c={concurrency}", 300, concurrency, _ => GetAsync(http, "/health/live"));
            var inbox = await Measure.RunAsync($"GET /api/desk/inbox, c={concurrency}", 300, concurrency, _ => GetAsync(http, "/api/desk/inbox"));
            Console.WriteLine(baseline);
            Console.WriteLine(inbox);
            Console.WriteLine($"  inbox / bare HTTP: p50 x{inbox.P50 / baseline.P50:N1}, p99 x{inbox.P99 / baseline.P99:N1}");
        }
    }

    /// <summary>Desks listening; inbound messages at a steady rate; each message's arrival at each desk, from the webhook's answer.</summary>
    private static async Task LiveAsync(HttpClient http, NpgsqlDataSource dataSource, int desks, int rate, int seconds)
    {
        var arrivals = new ConcurrentQueue<(long EventId, long At)>();
        using var stop = new CancellationTokenSource();
        var listeners = Enumerable.Range(0, desks).Select(_ => ListenAsync(http, arrivals, null, stop.Token)).ToList();
        await WaitForAsync(() => arrivals.Count(a => a.EventId == -1) >= desks, "every desk said hello");

        var run = Guid.NewGuid().ToString("N")[..8];
        // One message from each number first, so the measured ones arrive on conversations already in the agent's queue.
        const int Numbers = 500;
        await Task.WhenAll(Enumerable.Range(0, Numbers).Select(n => PostMessageAsync(http, $"SMwarm{run}{n:D8}", $"+1415666{n:D4}", "Hello")));
        for (var waited = Stopwatch.StartNew(); await QueuedAsync(dataSource) < Numbers; await Task.Delay(100))
            if (waited.Elapsed > TimeSpan.FromMinutes(2)) throw new TimeoutException("The warm-up conversations were not all queued.");
        var count = rate * seconds;
        var answered = new long[count];
        var sends = new List<Task>(count);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / rate);
            if (due > clock.Elapsed) await Task.Delay(due - clock.Elapsed);
            var index = i;
            sends.Add(Task.Run(async () =>
            {
                await PostMessageAsync(http, $"SMdesk{run}{index:D8}", $"+1415666{index % Numbers:D4}", $"Message {index}");
                answered[index] = Stopwatch.GetTimestamp();
            }));
        }

        await Task.WhenAll(sends);
        var sendSeconds = clock.Elapsed.TotalSeconds;
        var ids = new Dictionary<long, int>();
        await using (var connection = await dataSource.OpenConnectionAsync())
        await using (var command = connection.Sql("select id, provider_id from timeline_events where type = 'message.received' and provider_id like $1",
                         $"SMdesk{run}%"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) ids[reader.GetInt64(0)] = int.Parse(reader.GetString(1)[^8..]);
        }

        await WaitForAsync(() => arrivals.Count(a => ids.ContainsKey(a.EventId)) >= ids.Count * desks, "every desk heard every message", TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        await Task.WhenAll(listeners.Select(l => l.ContinueWith(_ => { })));
        var latencies = arrivals.Where(a => ids.ContainsKey(a.EventId))
            .Select(a => Math.Max(0, Stopwatch.GetElapsedTime(answered[ids[a.EventId]], a.At).TotalMilliseconds)).Order().ToArray();
        Console.WriteLine($"Live desks: {desks} open desks, {count} inbound WhatsApp/SMS webhooks at {count / sendSeconds:N0}/s (target {rate}/s), " +
                          $"{ids.Count} stored, {latencies.Length} arrivals (expected {ids.Count * desks})");
        Console.WriteLine(new Measurement("webhook answered → on every desk", latencies.Length, TimeSpan.FromSeconds(sendSeconds), latencies));
    }

    private static async Task<long> QueuedAsync(NpgsqlDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        return (long)(await connection.Sql("select count(*) from queue_entries where queue = 'desk-bench' and channel = 'sms'").ExecuteScalarAsync())!;
    }

    private static async Task MemoryAsync(HttpClient http, int count)
    {
        var before = Snapshot();
        var hellos = new ConcurrentQueue<(long, long)>();
        using var stop = new CancellationTokenSource();
        var listeners = Enumerable.Range(0, count).Select(_ => ListenAsync(http, hellos, null, stop.Token)).ToList();
        await WaitForAsync(() => hellos.Count >= count, $"{count} desks connected", TimeSpan.FromSeconds(60));
        var after = Snapshot();
        Console.WriteLine($"Memory with {count} open desks (service and the simulated desks in one process): managed heap " +
                          $"{before.Heap / 1e6:N1} → {after.Heap / 1e6:N1} MB ({(after.Heap - before.Heap) / 1024.0 / count:N1} KB per desk), " +
                          $"working set {before.WorkingSet / 1e6:N0} → {after.WorkingSet / 1e6:N0} MB");
        await stop.CancelAsync();
        await Task.WhenAll(listeners.Select(l => l.ContinueWith(_ => { })));
    }

    private static (long Heap, long WorkingSet) Snapshot()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return (GC.GetTotalMemory(true), Process.GetCurrentProcess().WorkingSet64);
    }

    /// <summary>One desk's live stream: records (eventId, time) for every message.received change, (-1, time) for hello.</summary>
    private static async Task ListenAsync(HttpClient http, ConcurrentQueue<(long, long)> arrivals, object? _, CancellationToken ct)
    {
        try
        {
            using var response = await http.GetAsync("/api/desk/live", HttpCompletionOption.ResponseHeadersRead, ct);
            response.EnsureSuccessStatusCode();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
            var name = "";
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line[7..];
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    if (name == "hello") arrivals.Enqueue((-1, Stopwatch.GetTimestamp()));
                    else if (name == "change" && line.Contains("\"message.received\"", StringComparison.Ordinal))
                    {
                        var at = Stopwatch.GetTimestamp();
                        using var data = JsonDocument.Parse(line.AsMemory(6));
                        arrivals.Enqueue((data.RootElement.GetProperty("eventId").GetInt64(), at));
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > (timeout ?? TimeSpan.FromSeconds(30))) throw new TimeoutException($"Timed out waiting until {what}.");
            await Task.Delay(20);
        }
    }

    private static async Task<string> GetAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"GET {path}: {(int)response.StatusCode} {body}");
        return body;
    }

    private static async Task PostMessageAsync(HttpClient http, string sid, string from, string text)
    {
        KeyValuePair<string, string>[] form =
        [
            new("SmsMessageSid", sid), new("NumMedia", "0"), new("SmsSid", sid), new("SmsStatus", "received"), new("Body", text),
            new("To", "+18005551212"), new("NumSegments", "1"), new("MessageSid", sid), new("AccountSid", AccountSid), new("From", from),
            new("ApiVersion", "2010-04-01"),
        ];
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/twilio/messaging") { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add(TwilioSignature.Header, TwilioSignature.Compute(AuthToken, PublicBase + "/webhooks/twilio/messaging", form));
        using var response = await http.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.OK)
            throw new InvalidOperationException($"Webhook answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>The agent's queue with <paramref name="waiting"/> conversations (each with a running response clock) and <paramref name="assigned"/> of theirs.</summary>
    private static async Task SeedAsync(NpgsqlDataSource dataSource, int assigned, int waiting)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var cmd = new NpgsqlCommand("""
            insert into routing_queues (name, created_at, updated_at) values ('desk-bench', now(), now()) on conflict do nothing;
            update agents set status = 'away', capacity = jsonb_build_object('messaging', @assigned + 10) where id = @agent;
            create temp table seed as
                select gen_random_uuid() as customer_id, gen_random_uuid() as conversation_id, g as n from generate_series(1, @assigned + @waiting) g;
            insert into customers (id, name, created_at) select customer_id, 'Bench customer ' || n, now() from seed;
            insert into conversations (id, customer_id, channel, customer_address, status, queue, assignee, opened_at)
                select conversation_id, customer_id, 'webchat', 'visitor-' || n, case when n <= @assigned then 'assigned' else 'queued' end,
                       'desk-bench', case when n <= @assigned then @agent end, now() - (n || ' seconds')::interval from seed;
            insert into timeline_events (customer_id, conversation_id, channel, type, direction, occurred_at, recorded_at, text)
                select customer_id, conversation_id, 'webchat', 'message.received', 'inbound', now() - (n || ' seconds')::interval, now(),
                       'Hello, I need help with order ' || n from seed, generate_series(1, 3);
            insert into queue_entries (conversation_id, queue, channel, bucket, priority, rank, waiting_since, entered_at)
                select conversation_id, 'desk-bench', 'webchat', 'messaging', 0, 0, now() - (n || ' seconds')::interval, now() from seed where n > @assigned;
            insert into response_clocks (conversation_id, kind, channel, queue, started_by, started_at, target, due_at)
                select s.conversation_id, 'first_response', 'webchat', 'desk-bench',
                       (select min(id) from timeline_events t where t.conversation_id = s.conversation_id), now(), interval '10 minutes',
                       now() + ((s.n % 600) || ' seconds')::interval from seed s;
            analyze;
            """, connection);
        cmd.Parameters.AddWithValue("assigned", assigned);
        cmd.Parameters.AddWithValue("waiting", waiting);
        cmd.Parameters.AddWithValue("agent", AgentId);
        await cmd.ExecuteNonQueryAsync();
    }
}
