using System.Net.Http.Headers;
using System.Text.Json;
using ContactCenter.Core.Storage;
using Npgsql;

namespace ContactCenter.Bench;

/// <summary>
/// Issue 12, the timeline page: one customer with N events (and as many again spread over other customers, so the
/// table is not theirs alone), <c>GET /api/customers/{id}/timeline?limit=50</c> over loopback HTTP: the newest page,
/// and a page deep in the history through its cursor, beside GET /health/live (the bare round trip) in the same run.
/// </summary>
public static class TimelineScenario
{
    private const string Key = "bench-timeline-supervisor-key";

    public static async Task RunAsync(BenchDatabase database, int events, int requests)
    {
        var port = BenchHosting.FreePort();
        await using var service = new BenchService(database.ConnectionString, new Dictionary<string, string?>
        {
            ["Auth:ApiKeys:0:Name"] = "Bench supervisor",
            ["Auth:ApiKeys:0:Key"] = Key,
            ["Auth:ApiKeys:0:Role"] = "supervisor",
        });
        service.UseKestrel(port);
        service.StartServer();
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"),
            Timeout = Timeout.InfiniteTimeSpan,
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        await using var db = NpgsqlDataSource.Create(database.ConnectionString);
        var customer = await SeedAsync(db, events);

        // A cursor about halfway down the history: walk there once through the API's own cursors.
        string? deep = null;
        for (var page = 0; page < Math.Min(events / 50 / 2, 1000); page++)
            deep = await NextAsync(http, $"/api/customers/{customer}/timeline?limit=50{(deep is null ? "" : "&before=" + Uri.EscapeDataString(deep))}");

        await Measure.RunAsync("warm-up", 200, 4, _ => http.GetStringAsync($"/api/customers/{customer}/timeline?limit=50"));
        Console.WriteLine($"Timeline: one customer with {events:N0} events ({await CountAsync(db):N0} in the table), pages of 50 over HTTP");
        foreach (var c in new[] { 1, 4 })
        {
            Console.WriteLine(await Measure.RunAsync($"GET /health/live, c={c}", requests, c, _ => http.GetStringAsync("/health/live")));
            Console.WriteLine(await Measure.RunAsync($"newest page of 50, c={c}", requests, c,
                _ => http.GetStringAsync($"/api/customers/{customer}/timeline?limit=50")));
            Console.WriteLine(await Measure.RunAsync($"page halfway down, c={c}", requests, c,
                _ => http.GetStringAsync($"/api/customers/{customer}/timeline?limit=50&before={Uri.EscapeDataString(deep!)}")));
        }
    }

    private static async Task<string?> NextAsync(HttpClient http, string url)
    {
        using var page = JsonDocument.Parse(await http.GetStringAsync(url));
        return page.RootElement.GetProperty("next").GetString();
    }

    /// <summary>Rows written in SQL, without the insert triggers (desk and webhook notifications of 200,000 events).</summary>
    private static async Task<Guid> SeedAsync(NpgsqlDataSource db, int events)
    {
        var customer = Guid.NewGuid();
        await using var connection = await db.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await connection.Sql("set local session_replication_role = replica").ExecuteNonQueryAsync();
        await connection.Sql("insert into customers (id, name, created_at) values ($1, 'Timeline bench', now())", customer).ExecuteNonQueryAsync();
        await connection.Sql("""
            insert into customers (id, name, created_at) select gen_random_uuid(), 'other ' || g, now() from generate_series(1, 1000) g
            """).ExecuteNonQueryAsync();
        await connection.Sql("""
            insert into timeline_events (customer_id, channel, type, direction, occurred_at, recorded_at, text, dedupe_key, data)
            select $1, 'sms', case when g % 2 = 0 then 'message.received' else 'message.sent' end,
                   case when g % 2 = 0 then 'inbound' else 'outbound' end,
                   now() - make_interval(secs => $2 - g), now(), 'message number ' || g, 'bench-tl:' || g, '{}'::jsonb
            from generate_series(1, $2) g
            """, customer, events).ExecuteNonQueryAsync();
        await connection.Sql("""
            insert into timeline_events (customer_id, channel, type, direction, occurred_at, recorded_at, text, dedupe_key, data)
            select c.id, 'sms', 'message.received', 'inbound', now() - make_interval(secs => g), now(), 'other ' || g, 'bench-tlo:' || c.id || ':' || g, '{}'::jsonb
            from (select id from customers where name like 'other %') c, generate_series(1, $1 / 1000) g
            """, events).ExecuteNonQueryAsync();
        await tx.CommitAsync();
        await connection.Sql("analyze timeline_events").ExecuteNonQueryAsync();
        return customer;
    }

    private static async Task<long> CountAsync(NpgsqlDataSource db)
    {
        await using var connection = await db.OpenConnectionAsync();
        return (long)(await connection.Sql("select count(*) from timeline_events").ExecuteScalarAsync())!;
    }
}
