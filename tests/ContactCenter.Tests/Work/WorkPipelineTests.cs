using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Work;
using ContactCenter.Tests.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace ContactCenter.Tests.Work;

/// <summary>
/// A handler for test work: records every run, checks that no two items of one key ever overlap, waits on
/// PostgreSQL for a moment (as real handlers do), fails while its item's key is in <see cref="Failing"/>, and
/// returns a follow-up when the payload asks for one.
/// </summary>
public sealed class ProbeWork(NpgsqlDataSource db) : IWorkHandler
{
    public const string Kind = "test.probe";
    public ConcurrentQueue<(string Key, int Seq, long Id)> Runs { get; } = new();
    public ConcurrentDictionary<string, bool> Failing { get; } = new();
    /// <summary>Sequence numbers (payload <c>seq</c>) that fail, whatever their key.</summary>
    public ConcurrentDictionary<int, bool> FailingSeq { get; } = new();
    public int Overlaps;
    public int MaxInFlight;
    private int _inFlight;
    private readonly ConcurrentDictionary<string, int> _perKey = new();

    string IWorkHandler.Kind => Kind;

    public async Task<IReadOnlyList<NewWork>> RunAsync(WorkItem item, CancellationToken ct)
    {
        if (_perKey.AddOrUpdate(item.OrderingKey, 1, (_, n) => n + 1) > 1) Interlocked.Increment(ref Overlaps);
        var now = Interlocked.Increment(ref _inFlight);
        for (var max = MaxInFlight; now > max; max = MaxInFlight) Interlocked.CompareExchange(ref MaxInFlight, now, max);
        try
        {
            Runs.Enqueue((item.OrderingKey, item.Payload["seq"]?.GetValue<int>() ?? -1, item.Id));
            await using (var connection = await db.OpenConnectionAsync(ct))
                await connection.Sql("select pg_sleep(0.02)").ExecuteNonQueryAsync(ct);
            if (Failing.ContainsKey(item.OrderingKey) || FailingSeq.ContainsKey(item.Payload["seq"]?.GetValue<int>() ?? -1))
                throw new InvalidOperationException("simulated failure");
            return item.Payload["followUp"]?.GetValue<bool>() == true
                ? [new NewWork(Kind, item.OrderingKey, Payload: new JsonObject { ["seq"] = 1000 }, ConversationId: item.ConversationId)]
                : [];
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            _perKey.AddOrUpdate(item.OrderingKey, 0, (_, n) => n - 1);
        }
    }

    public void Reset()
    {
        Runs.Clear();
        Failing.Clear();
        FailingSeq.Clear();
        Overlaps = 0;
        MaxInFlight = 0;
    }
}

public sealed class WorkFixture : AppFixture
{
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Work:Parallelism"] = "16",
        ["Work:MaxAttempts"] = "3",
        ["Work:LeaseDuration"] = "00:00:05",
        ["Work:PollInterval"] = "00:00:00.200",
    };

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.AddSingleton<TimeProvider>(Clock);
        services.AddSingleton(sp => new ProbeWork(sp.GetRequiredService<NpgsqlDataSource>()));
        services.AddSingleton<IWorkHandler>(sp => sp.GetRequiredService<ProbeWork>());
    }

    public WorkPipeline Pipeline => App.Service<WorkPipeline>();
    public ProbeWork Handler => App.Service<ProbeWork>();

    /// <summary>Moves the fake clock on and lets the pipeline run what became due.</summary>
    public async Task AdvanceAsync(TimeSpan by)
    {
        Clock.Advance(by);
        Pipeline.Wake();
        await Pipeline.WaitForIdleAsync();
    }
}

/// <summary>The work pipeline: order per key, parallel keys, due times, retries, parking, leases, follow-ups.</summary>
public class WorkPipelineTests(WorkFixture fx) : IClassFixture<WorkFixture>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await fx.ResetAsync();
        fx.Handler.Reset();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static NewWork Probe(string key, int seq, DateTimeOffset? due = null, bool followUp = false, Guid? conversation = null) =>
        new(ProbeWork.Kind, key, due, new JsonObject { ["seq"] = seq, ["followUp"] = followUp }, conversation);

    private async Task<long> CountAsync(string where = "true")
    {
        await using var connection = await fx.Db.OpenConnectionAsync();
        return (long)(await connection.Sql($"select count(*) from work_items where {where}").ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task ItemsOfOneKeyRunInOrderAndAloneWhileKeysRunSideBySide()
    {
        // Ten keys of ten items each, written in one transaction with parallelism 16: plenty of room to go wrong.
        var work = Enumerable.Range(0, 10).SelectMany(seq => Enumerable.Range(0, 10).Select(k => Probe($"key-{k}", seq))).ToList();
        await fx.App.Service<WorkStore>().AddAsync(work, CancellationToken.None);
        await fx.Pipeline.WaitForIdleAsync();

        var runs = fx.Handler.Runs.ToList();
        Assert.Equal(100, runs.Count);
        foreach (var key in runs.GroupBy(r => r.Key))
            Assert.Equal(Enumerable.Range(0, 10), key.Select(r => r.Seq));
        Assert.Equal(0, fx.Handler.Overlaps);
        Assert.True(fx.Handler.MaxInFlight > 1, $"different keys ran side by side (at most {fx.Handler.MaxInFlight} at once)");
        Assert.Equal(0, await CountAsync());
    }

    [Fact]
    public async Task AFailureInsideARunOfOneKeyHoldsBackTheItemsBehindItWithoutCountingTheirAttempts()
    {
        // Written together, so one claim takes all three of the key; the second fails once.
        fx.Handler.FailingSeq[2] = true;
        await fx.App.Service<WorkStore>().AddAsync([Probe("conv-r", 1), Probe("conv-r", 2), Probe("conv-r", 3)], CancellationToken.None);
        await fx.Pipeline.WaitForIdleAsync();
        Assert.Equal([1, 2], fx.Handler.Runs.Select(r => r.Seq)); // 3 waits behind 2's retry (fake time stands still)
        Assert.Equal(1, await CountAsync("status = 'pending' and attempts = 1 and last_error like '%simulated failure%'")); // 2, to retry
        Assert.Equal(1, await CountAsync("status = 'pending' and attempts = 0 and last_error is null")); // 3: back untouched, never tried

        fx.Handler.FailingSeq.Clear();
        await fx.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.Equal([1, 2, 2, 3], fx.Handler.Runs.Select(r => r.Seq));
        Assert.Equal(0, fx.Handler.Overlaps);
        Assert.Equal(0, await CountAsync());
    }

    [Fact]
    public async Task ADueItemWaitsForItsTimeAndDoesNotHoldUpEarlierWorkOfItsKey()
    {
        var store = fx.App.Service<WorkStore>();
        await store.AddAsync([Probe("conv-a", 1, fx.Clock.GetUtcNow() + TimeSpan.FromMinutes(15))], CancellationToken.None);
        await store.AddAsync([Probe("conv-a", 2)], CancellationToken.None);
        await fx.Pipeline.WaitForIdleAsync();
        // Idle with the timeout still ahead: the message after it ran, the timeout did not.
        Assert.Equal([2], fx.Handler.Runs.Select(r => r.Seq));

        await fx.AdvanceAsync(TimeSpan.FromMinutes(14));
        Assert.Single(fx.Handler.Runs);
        await fx.AdvanceAsync(TimeSpan.FromMinutes(1));
        Assert.Equal([2, 1], fx.Handler.Runs.Select(r => r.Seq));
    }

    [Fact]
    public async Task FollowUpsAHandlerReturnsRunAfterIt()
    {
        await fx.App.Service<WorkStore>().AddAsync([Probe("conv-f", 1, followUp: true)], CancellationToken.None);
        await fx.Pipeline.WaitForIdleAsync();
        Assert.Equal([1, 1000], fx.Handler.Runs.Select(r => r.Seq));
        Assert.Equal(0, await CountAsync());
    }

    [Fact]
    public async Task AFailingItemIsRetriedWithBackoffThenParkedOnTheTimelineAndAnAdminSendsItBack()
    {
        var inbound = await fx.App.ReceiveAsync(Inbound.Message(Channel.Sms, "+14155550111", "p-1", at: fx.Clock.GetUtcNow()));
        var conversation = inbound.ConversationId!.Value;
        var key = conversation.ToString();
        fx.Handler.Failing[key] = true;
        await fx.App.Service<WorkStore>().AddAsync([Probe(key, 1, conversation: conversation)], CancellationToken.None);
        await fx.Pipeline.WaitForIdleAsync();
        Assert.Single(fx.Handler.Runs); // the retry waits for its backoff (fake time stands still)

        await fx.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(2, fx.Handler.Runs.Count);
        await fx.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(3, fx.Handler.Runs.Count);
        await fx.AdvanceAsync(TimeSpan.FromHours(1));
        Assert.Equal(3, fx.Handler.Runs.Count); // Work:MaxAttempts = 3: parked, not tried again

        // A later item of the conversation is not stuck behind the parked one.
        fx.Handler.Failing.Clear();
        await fx.App.Service<WorkStore>().AddAsync([Probe(key, 7, conversation: conversation)], CancellationToken.None);
        await fx.Pipeline.WaitForIdleAsync();
        Assert.Equal(7, fx.Handler.Runs.Last().Seq);

        var parked = Assert.Single((await fx.App.Admin().GetJsonAsync("/api/admin/work?status=parked")).AsArray());
        Assert.Equal(ProbeWork.Kind, parked!["kind"]!.GetValue<string>());
        Assert.Equal(3, parked["attempts"]!.GetValue<int>());
        Assert.Contains("simulated failure", parked["lastError"]!.GetValue<string>());
        var id = parked["id"]!.GetValue<long>();

        var onTimeline = Assert.Single(await fx.App.EventsAsync(conversation, "work.parked"));
        Assert.Equal(id, onTimeline["data"]!["workId"]!.GetValue<long>());
        Assert.Equal("InvalidOperationException", onTimeline["data"]!["error"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.Forbidden, (await fx.App.Supervisor().GetAsync("/api/admin/work?status=parked")).StatusCode);
        await (await fx.App.Admin().GetAsync("/api/admin/work?status=lost")).ProblemAsync(HttpStatusCode.BadRequest);
        await (await fx.App.Admin().PostAsync("/api/admin/work/999999/retry", null)).ProblemAsync(HttpStatusCode.NotFound);

        Assert.Equal(HttpStatusCode.Accepted, (await fx.App.Admin().PostAsync($"/api/admin/work/{id}/retry", null)).StatusCode);
        await fx.Pipeline.WaitForIdleAsync();
        Assert.Equal([1, 1, 1, 7, 1], fx.Handler.Runs.Select(r => r.Seq));
        Assert.Equal(0, await CountAsync());
    }

    [Fact]
    public async Task AnItemClaimedByAKilledInstanceComesBackWhenItsLeaseRunsOut()
    {
        // What kill -9 leaves: a running item whose owner stopped renewing its lease.
        var now = fx.Clock.GetUtcNow();
        await using (var connection = await fx.Db.OpenConnectionAsync())
        {
            await connection.Sql("""
                insert into work_items (kind, ordering_key, order_at, due_at, status, attempts, lease_owner, lease_until, payload, created_at)
                values ($1, 'conv-k', $2, $2, 'running', 1, 'killed-instance', $3, '{"seq": 1}', $2)
                """, ProbeWork.Kind, now, now + TimeSpan.FromSeconds(5)).ExecuteNonQueryAsync();
        }

        var store = fx.App.Service<WorkStore>();
        await store.AddAsync([Probe("conv-k", 2)], CancellationToken.None);
        // The dead owner's item still holds its key: nothing of it can be claimed, by anyone.
        Assert.Empty(await store.ClaimAsync("test", 10, 10, TimeSpan.FromSeconds(5), CancellationToken.None));
        Assert.Equal(0, await store.ReclaimExpiredAsync("test", CancellationToken.None));

        fx.Clock.Advance(TimeSpan.FromSeconds(6));
        await TestSupport.EventuallyAsync(async () => await CountAsync() == 0, "the abandoned item and the one after it ran");
        Assert.Equal([1, 2], fx.Handler.Runs.Select(r => r.Seq));
    }
}
