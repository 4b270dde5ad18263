using System.Net;
using ContactCenter.Core.Channels;

namespace ContactCenter.Tests.Foundation;

public class TimelinePagingTests(AppFixture fx) : IClassFixture<AppFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task PagingWhileInsertingReturnsEveryEventOnceNewestFirst()
    {
        var start = DateTimeOffset.UtcNow.AddHours(-3);
        var first = await fx.App.ReceiveAsync(Inbound.Message(Channel.Sms, "+14155550100", "p-0", at: start));
        var original = new HashSet<string> { first.EventId.ToString() };
        for (var i = 1; i < 120; i++)
        {
            // Some share a timestamp: the id breaks the tie, so no event hides behind another.
            var at = start.AddSeconds(i - i % 3);
            original.Add((await fx.App.ReceiveAsync(Inbound.Message(Channel.Sms, "+14155550100", $"p-{i}", at: at))).EventId.ToString());
        }

        var agent = fx.App.Agent();
        using var stop = new CancellationTokenSource();
        var inserted = 0;
        var inserting = Task.Run(async () =>
        {
            // New events during the read: newer ones, and late-arriving older ones, interleaved.
            for (var i = 0; !stop.IsCancellationRequested && i < 200; i++)
            {
                var at = i % 2 == 0 ? DateTimeOffset.UtcNow : start.AddSeconds(Random.Shared.Next(0, 120));
                await fx.App.ReceiveAsync(Inbound.Message(Channel.Sms, "+14155550100", $"late-{i}", at: at));
                Interlocked.Increment(ref inserted);
            }
        });

        var seen = new List<(string Id, DateTimeOffset At)>();
        string? cursor = null;
        do
        {
            var page = await agent.GetJsonAsync($"/api/customers/{first.CustomerId}/timeline?limit=7" + (cursor is null ? "" : $"&before={cursor}"));
            seen.AddRange(page["events"]!.AsArray().Select(e => (e!["id"]!.ToString(), e["occurredAt"]!.GetValue<DateTimeOffset>())));
            cursor = page["next"]?.GetValue<string>();
            await Task.Delay(5);
        } while (cursor is not null);

        await stop.CancelAsync();
        await inserting;

        Assert.True(inserted > 0, "events were inserted during paging");
        Assert.Equal(seen.Count, seen.Select(s => s.Id).Distinct().Count());
        Assert.Subset(seen.Select(s => s.Id).ToHashSet(), original);
        for (var i = 1; i < seen.Count; i++)
            Assert.True(seen[i - 1].At >= seen[i].At, "newest first");
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=201")]
    [InlineData("before=garbage")]
    [InlineData("before=bm90LWEtY3Vyc29y")]
    public async Task BadPagingParametersAre400(string query)
    {
        var first = await fx.App.ReceiveAsync(Inbound.Message(Channel.Sms, "+14155550100", "x"));
        var response = await fx.App.Agent().GetAsync($"/api/customers/{first.CustomerId}/timeline?{query}");
        await response.ProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task UnknownCustomerTimelineIs404()
    {
        var response = await fx.App.Agent().GetAsync($"/api/customers/{Guid.NewGuid()}/timeline");
        await response.ProblemAsync(HttpStatusCode.NotFound);
    }
}
