using System.Diagnostics;
using ContactCenter.Core.Bot;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Inbound;
using ContactCenter.Core.Outbound;
using ContactCenter.Core.Storage;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ContactCenter.Bench;

/// <summary>
/// Issue 6 and 12, the bot, through the running service (work pipeline, flow sessions, knowledge base, outbox):
/// <list type="number">
/// <item>N new customers each ask "How do I reset my password?" on SMS at concurrency C: bot turn throughput and
/// latency from the stored inbound event (its recorded_at) to the bot's reply accepted into the outbox (the
/// reply row's created_at), both written by the same clock, beside the bare single-INSERT baseline;</item>
/// <item>new conversations at a steady rate R for S seconds (open loop): first reply latency, stored → outbox;</item>
/// <item>knowledge-base search with K articles (the seed folder plus generated ones): latency per search.</item>
/// </list>
/// Sending is a no-op sender: delivery is the channels' own benchmark.
/// </summary>
public static class BotScenario
{
    public static async Task RunAsync(BenchDatabase database, int customers, int concurrency, int articles, int rate = 50, int seconds = 10)
    {
        var connectionString = await BenchService.FreshDatabaseAsync(database, $"bench_bot_{customers}_{concurrency}");
        await using var routingHost = new BenchService(connectionString, new Dictionary<string, string?>
        {
            ["Flows:Bots:sms"] = "messaging-bot",
            ["Work:PollInterval"] = "00:00:01",
        });
        await using var host = routingHost.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<IChannelSender, NullSender>()));
        _ = host.Server;
        var services = host.Services;
        var db = services.GetRequiredService<NpgsqlDataSource>();
        var inbox = services.GetRequiredService<Inbox>();
        await InboundScenario.EnsureBaselineTableAsync(db);
        var baselineCustomers = Enumerable.Range(0, 1000).Select(_ => Guid.NewGuid()).ToArray();

        // Warm-up: JIT, connection pools, the flow and search plans.
        await TurnsAsync(db, inbox, "warm", 50, concurrency);
        await Measure.RunAsync("warm-up", 500, concurrency, i => InboundScenario.BaselineAsync(db, baselineCustomers, "warm", i));

        var baseline = await Measure.RunAsync("bare single INSERT (baseline)", customers, concurrency,
            i => InboundScenario.BaselineAsync(db, baselineCustomers, "run", i));
        var (posting, elapsed) = await TurnsAsync(db, inbox, "run", customers, concurrency);
        var (p50, p99, max) = await TurnLatencyAsync(db, "run");
        Console.WriteLine($"Bot: {customers} new SMS conversations, first turn (flow start + greeting + KB answer), posted at concurrency {concurrency}");
        Console.WriteLine(baseline);
        Console.WriteLine(posting);
        Console.WriteLine($"{"bot turns, stored → reply in outbox",-34} {customers,8} ops {customers / elapsed.TotalSeconds,10:N0} ops/s   p50 {p50,7:N2} ms   p99 {p99,7:N2} ms   max {max,7:N1} ms");

        // Open loop: new conversations at a steady rate (each posted on its own schedule, whatever the bot's pace).
        if (rate > 0 && seconds > 0)
        {
            var count = rate * seconds;
            var started = Stopwatch.StartNew();
            var posts = Enumerable.Range(0, count).Select(async i =>
            {
                var wait = TimeSpan.FromSeconds((double)i / rate) - started.Elapsed;
                if (wait > TimeSpan.Zero) await Task.Delay(wait);
                return await inbox.ReceiveAsync(Message("steady", i), CancellationToken.None);
            }).ToArray();
            var stored = await Task.WhenAll(posts);
            var posted = started.Elapsed;
            await AnsweredAsync(db, stored);
            var (s50, s99, smax) = await TurnLatencyAsync(db, "steady");
            Console.WriteLine($"Steady: {count} new conversations at {rate}/s for {seconds} s (posted in {posted.TotalSeconds:N1} s)");
            Console.WriteLine($"{"  first reply, stored → outbox",-34} {count,8} ops {"",10}         p50 {s50,7:N2} ms   p99 {s99,7:N2} ms   max {smax,7:N1} ms");
        }

        // Closed loop: each of C customers writes, waits for the bot's reply, writes again (a new conversation each time).
        foreach (var c in new[] { 1, 4 })
        {
            var loop = await Measure.RunAsync($"closed loop, {c} at once: post → reply", 200, c, async i =>
            {
                var stored = await inbox.ReceiveAsync(Message($"loop{c}", i), CancellationToken.None);
                while (await CountAsync(db, $"""
                    select count(*) from outbound_messages where conversation_id = '{stored.ConversationId}' and idempotency_key = 'bot:{stored.EventId}'
                    """) == 0)
                    await Task.Delay(2);
            });
            var (l50, l99, lmax) = await TurnLatencyAsync(db, $"loop{c}");
            Console.WriteLine(loop);
            Console.WriteLine($"{"  of which stored → reply in outbox",-34} {200,8} ops {"",10}         p50 {l50,7:N2} ms   p99 {l99,7:N2} ms   max {lmax,7:N1} ms");
        }

        var knowledge = services.GetRequiredService<KnowledgeBase>();
        await SeedArticlesAsync(knowledge, articles);
        string[] questions = ["How do I reset my password?", "how long does shipping take", "can I return a sweater", "I want to change my email",
            "gift card balance", "¿Cómo restablezco mi contraseña?", "my parcel arrived damaged", "opening hours on saturday"];
        await Measure.RunAsync("warm-up", 200, 4, i => knowledge.SearchAsync(questions[i % questions.Length], 3, CancellationToken.None));
        Console.WriteLine($"Knowledge base: {await CountAsync(db, "select count(*) from kb_articles")} articles, best 3 of full-text search (ts_rank_cd, GIN)");
        foreach (var c in new[] { 1, concurrency })
            Console.WriteLine(await Measure.RunAsync($"KB search, concurrency {c}", 2000, c,
                i => knowledge.SearchAsync(questions[i % questions.Length], 3, CancellationToken.None)));
    }

    /// <summary>Posts the first messages through the inbox, then waits until every one has the bot's reply.</summary>
    private static async Task<(Measurement Posting, TimeSpan Elapsed)> TurnsAsync(NpgsqlDataSource db, Inbox inbox, string run, int count, int concurrency)
    {
        var watch = Stopwatch.StartNew();
        var stored = new InboundResult[count];
        var posting = await Measure.RunAsync("inbound stored (Inbox, SMS)", count, concurrency,
            async i => stored[i] = await inbox.ReceiveAsync(Message(run, i), CancellationToken.None));
        await AnsweredAsync(db, stored);
        return (posting, watch.Elapsed);
    }

    /// <summary>
    /// Waits until every one of these first messages has the bot's reply in the outbox. Each poll asks only about the
    /// messages still unanswered (one indexed look-up each): the poller shares the cores and the database with what it
    /// measures, and asking about all of them every time cost 7 ms of the database's time per poll at 3,000.
    /// </summary>
    private static async Task AnsweredAsync(NpgsqlDataSource db, IReadOnlyList<InboundResult> stored)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        var waiting = stored.ToDictionary(s => $"bot:{s.EventId}", s => s.ConversationId!.Value);
        while (waiting.Count > 0)
        {
            await using (var connection = await db.OpenConnectionAsync())
            await using (var command = connection.Sql("""
                select k.idempotency_key from unnest($1::uuid[], $2::text[]) k(conversation_id, idempotency_key)
                where exists (select 1 from outbound_messages o where o.conversation_id = k.conversation_id and o.idempotency_key = k.idempotency_key)
                """, waiting.Values.ToArray(), waiting.Keys.ToArray()))
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync()) waiting.Remove(reader.GetString(0));
            }

            if (waiting.Count == 0) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The bot did not answer {waiting.Count} messages within 5 minutes.");
            await Task.Delay(20);
        }
    }

    /// <summary>A new customer's first message: each run has its own numbers, so every message opens a conversation.</summary>
    private static InboundEvent Message(string run, int i) => new()
    {
        Channel = Channel.Sms,
        Address = $"+1{run switch { "warm" => 415, "run" => 628, "loop1" => 650, "steady" => 530, _ => 510 }}7{i:D6}",
        Provider = "bench",
        ProviderEventId = $"{run}:{i}",
        OccurredAt = DateTimeOffset.UtcNow,
        Text = "How do I reset my password?",
        CompanyAddress = "+18005551212",
    };

    private static async Task<(double P50, double P99, double Max)> TurnLatencyAsync(NpgsqlDataSource db, string run)
    {
        await using var connection = await db.OpenConnectionAsync();
        await using var command = connection.Sql($"""
            with l as (select extract(epoch from (o.created_at - e.recorded_at)) * 1000 as ms
                       from outbound_messages o join timeline_events e on o.idempotency_key = 'bot:' || e.id
                       where e.provider_id like '{run}:%')
            select percentile_cont(0.5) within group (order by ms), percentile_cont(0.99) within group (order by ms), max(ms) from l
            """);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetDouble(0), reader.GetDouble(1), (double)reader.GetDecimal(2));
    }

    /// <summary>Generated articles on contact-center topics, so searches have thousands of candidates to rank.</summary>
    private static async Task SeedArticlesAsync(KnowledgeBase knowledge, int count)
    {
        string[] topics = ["invoice", "delivery", "warranty", "account", "subscription", "coupon", "payment", "gift card", "store", "recycling",
            "installation", "battery", "screen", "size guide", "loyalty points", "newsletter", "privacy", "address", "tracking", "exchange"];
        string[] verbs = ["change", "cancel", "renew", "find", "update", "transfer", "check", "download", "activate", "report"];
        var random = new Random(6);
        var drafts = Enumerable.Range(0, count).Select(i =>
        {
            var topic = topics[random.Next(topics.Length)];
            var verb = verbs[random.Next(verbs.Length)];
            var body = string.Join(' ', Enumerable.Range(0, 60).Select(_ => random.Next(4) == 0 ? topics[random.Next(topics.Length)] : verbs[random.Next(verbs.Length)]));
            return new ArticleDraft($"bench-{i}", $"How to {verb} your {topic} ({i})", $"To {verb} your {topic}, {body}.", "en", []);
        }).ToList();
        foreach (var chunk in drafts.Chunk(500)) await knowledge.SeedAsync(chunk, CancellationToken.None);
    }

    private static async Task<long> CountAsync(NpgsqlDataSource db, string sql)
    {
        await using var connection = await db.OpenConnectionAsync();
        return (long)(await connection.Sql(sql).ExecuteScalarAsync())!;
    }

    private sealed class NullSender : IChannelSender
    {
        public IReadOnlyCollection<Channel> Channels => [Channel.Sms];
        public OutboundRefusal? Check(OutboundCheck check) => null;
        public Task<SendOutcome> SendAsync(OutboundDelivery delivery, CancellationToken ct) =>
            Task.FromResult<SendOutcome>(new SendOutcome.Accepted("bench-" + delivery.MessageId, DeliveryStatus.Sent));
    }
}
