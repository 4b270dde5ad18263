using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ContactCenter.Channels.Meta;
using ContactCenter.Channels.Telegram;
using ContactCenter.Core;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Customers;
using ContactCenter.Core.Inbound;
using ContactCenter.Core.Storage;
using Hangfire;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using Telegram.Bot;
using Telegram.Bot.Types;

namespace ContactCenter.Bench;

/// <summary>
/// Telegram, Messenger and Instagram: what the adapters add to the core inbound path (parsing, the Meta
/// signature over the raw body), and what Telegram's PostgreSQL-backed send pacing costs per send, beside
/// the bare single INSERT baseline of the same run.
/// </summary>
public static class ChannelsScenario
{
    private const string AppSecret = "bench-app-secret";

    public static async Task RunAsync(BenchDatabase database, int events, int concurrency)
    {
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            await connection.Sql("""
                create table if not exists bench_baseline (
                    id bigint generated always as identity primary key, customer_id uuid not null, occurred_at timestamptz not null,
                    text text, dedupe_key text unique, data jsonb not null default '{}')
                """).ExecuteNonQueryAsync();
        }

        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton(dataSource)
            .AddSingleton<IBackgroundJobClient>(_ => throw new InvalidOperationException("not used by the inbound path"))
            .AddContactCenterCore(new ConfigurationBuilder().Build())
            .BuildServiceProvider();
        var inbox = services.GetRequiredService<Inbox>();
        var addresses = services.GetRequiredService<AddressNormalizer>();
        var run = Random.Shared.Next(1, 2000);
        const int customers = 1000;
        // Pacing with limits so high nothing waits: the figure is the reservation's own cost, contention included.
        var pacer = new TelegramPacer(dataSource, Options.Create(new TelegramOptions
        {
            PerChatInterval = TimeSpan.FromMilliseconds(1), MessagesPerSecond = 1_000_000, MaxPacingWait = TimeSpan.FromSeconds(3),
        }), TimeProvider.System);

        // The first `customers` bodies warm each path up and create its customers and conversations, so every
        // path is measured on known customers writing into open conversations (the common case).
        var telegramBodies = Enumerable.Range(0, customers + events).Select(i => TelegramUpdate(run * 1_000_000 + i, 5_000_000 + i % customers)).ToArray();
        var metaBodies = Enumerable.Range(0, customers + events).Select(i => MetaBody($"m_{run}_{i}", (9_000_000 + i % customers).ToString())).ToArray();
        var signatures = metaBodies.Select(Sign).ToArray();

        Task TelegramAsync(int i)
        {
            var update = JsonSerializer.Deserialize<Update>(telegramBodies[i], JsonBotAPI.Options)!;
            var plan = TelegramUpdates.Plan(update, "123456", addresses, DateTimeOffset.UtcNow);
            return inbox.ReceiveAsync(plan.Event!, CancellationToken.None);
        }

        async Task MetaAsync(int i)
        {
            if (!MetaWebhook.SignatureMatches(signatures[i], metaBodies[i], AppSecret)) throw new InvalidOperationException("signature");
            var notification = JsonSerializer.Deserialize<MetaNotification>(metaBodies[i], MetaNotification.Json)!;
            foreach (var action in MetaEvents.Plan(notification, DateTimeOffset.UtcNow))
                if (action is MetaAction.Store store) await inbox.ReceiveAsync(store.Event, CancellationToken.None);
        }

        await Measure.RunAsync("warm-up", 300, concurrency, i => BaselineAsync(dataSource, $"w{run}", i));
        await Measure.RunAsync("warm-up", customers, concurrency, i => CoreAsync(inbox, customers, $"w{run}", i));
        await Measure.RunAsync("warm-up", customers, concurrency, TelegramAsync);
        await Measure.RunAsync("warm-up", customers, concurrency, MetaAsync);

        var baseline = await Measure.RunAsync("bare single INSERT (baseline)", events, concurrency, i => BaselineAsync(dataSource, $"b{run}", i));
        var core = await Measure.RunAsync("core inbound path (Inbox)", events, concurrency, i => CoreAsync(inbox, customers, $"c{run}", i));
        var telegram = await Measure.RunAsync("telegram update → Inbox", events, concurrency, i => TelegramAsync(customers + i));
        var meta = await Measure.RunAsync("meta signed POST → Inbox", events, concurrency, i => MetaAsync(customers + i));
        var pacing = await Measure.RunAsync("telegram send pacing reservation", events, concurrency,
            i => pacer.ReserveAsync($"{run}{i % customers}", CancellationToken.None));

        Console.WriteLine($"Channels: {events} events each, concurrency {concurrency}, {customers} customers");
        foreach (var m in new[] { baseline, core, telegram, meta, pacing }) Console.WriteLine(m);
        Console.WriteLine($"telegram / core throughput: {telegram.PerSecond / core.PerSecond:P0}; meta / core: {meta.PerSecond / core.PerSecond:P0}; " +
                          $"pacing / baseline: {pacing.PerSecond / baseline.PerSecond:P0}");
    }

    private static byte[] TelegramUpdate(long updateId, long user) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["update_id"] = updateId,
        ["message"] = new JsonObject
        {
            ["message_id"] = updateId % 1_000_000,
            ["from"] = new JsonObject { ["id"] = user, ["is_bot"] = false, ["first_name"] = "Bench" },
            ["chat"] = new JsonObject { ["id"] = user, ["type"] = "private" },
            ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["text"] = "Where is my order?",
        },
    }.ToJsonString());

    private static byte[] MetaBody(string mid, string sender) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["object"] = "page",
        ["entry"] = new JsonArray(new JsonObject
        {
            ["id"] = "1100",
            ["time"] = 1700000000000,
            ["messaging"] = new JsonArray(new JsonObject
            {
                ["sender"] = new JsonObject { ["id"] = sender },
                ["recipient"] = new JsonObject { ["id"] = "1100" },
                ["timestamp"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
                ["message"] = new JsonObject { ["mid"] = mid, ["text"] = "Where is my order?" },
            }),
        }),
    }.ToJsonString());

    private static string Sign(byte[] body) =>
        "sha256=" + Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(Encoding.UTF8.GetBytes(AppSecret), body));

    private static async Task BaselineAsync(NpgsqlDataSource dataSource, string run, int i)
    {
        await using var command = dataSource.CreateCommand(
            "insert into bench_baseline (customer_id, occurred_at, text, dedupe_key, data) values ($1, $2, $3, $4, $5)");
        command.Parameters.Add(new NpgsqlParameter { Value = Guid.NewGuid() });
        command.Parameters.Add(new NpgsqlParameter { Value = DateTimeOffset.UtcNow });
        command.Parameters.Add(new NpgsqlParameter { Value = $"message {i}" });
        command.Parameters.Add(new NpgsqlParameter { Value = $"bench:{run}:{i}" });
        command.Parameters.Add(Db.Jsonb("""{"telegram":{"updateId":1}}"""));
        await command.ExecuteNonQueryAsync();
    }

    private static Task CoreAsync(Inbox inbox, int customers, string run, int i) =>
        inbox.ReceiveAsync(new InboundEvent
        {
            Channel = Channel.Telegram,
            Address = (7_000_000 + i % customers).ToString(),
            Provider = "bench",
            ProviderEventId = $"{run}:{i}",
            OccurredAt = DateTimeOffset.UtcNow,
            Text = "Where is my order?",
            CompanyAddress = "123456",
            Data = new JsonObject { ["telegram"] = new JsonObject { ["updateId"] = i } },
        }, CancellationToken.None);
}
