using System.Collections.Concurrent;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Reactions;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Timeline;
using ContactCenter.Core.Work;
using Microsoft.Extensions.DependencyInjection;

namespace ContactCenter.Tests.Foundation;

/// <summary>Records what it sees; fails the first time it sees a message saying "fail-once".</summary>
public sealed class RecordingReaction : ITimelineReaction
{
    public ConcurrentQueue<long> Seen { get; } = new();
    private readonly ConcurrentDictionary<long, bool> _failed = new();
    public IReadOnlySet<string> EventTypes { get; } = new HashSet<string> { TimelineEventTypes.MessageReceived };

    public Task ReactAsync(TimelineEvent timelineEvent, CancellationToken ct)
    {
        Seen.Enqueue(timelineEvent.Id);
        if (timelineEvent.Text == "fail-once" && _failed.TryAdd(timelineEvent.Id, true))
            throw new InvalidOperationException("simulated failure");
        return Task.CompletedTask;
    }
}

public sealed class ReactionFixture : AppFixture
{
    public RecordingReaction Reaction { get; } = new();
    protected override void ConfigureServices(IServiceCollection services) => services.AddTimelineReaction(Reaction);
}

public class ReactionTests(ReactionFixture fx) : IClassFixture<ReactionFixture>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await fx.ResetAsync();
        fx.Reaction.Seen.Clear();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<long> PendingAsync()
    {
        await using var connection = await fx.Db.OpenConnectionAsync();
        return (long)(await connection.Sql("select count(*) from work_items").ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task EveryStoredEventIsReactedToOnceAfterCommit()
    {
        var ids = new List<long>();
        for (var i = 0; i < 5; i++)
            ids.Add((await fx.App.ReceiveAsync(Inbound.Message(Channel.Sms, "+14155550100", $"r-{i}"))).EventId);
        // A duplicate delivery creates no new reaction work.
        await fx.App.ReceiveAsync(Inbound.Message(Channel.Sms, "+14155550100", "r-0"));

        await fx.App.Service<WorkPipeline>().WaitForIdleAsync();
        Assert.Equal(0, await PendingAsync());
        Assert.Equal(ids.Order(), fx.Reaction.Seen.Order());
    }

    [Fact]
    public async Task AFailedReactionIsRetried()
    {
        var failing = await fx.App.ReceiveAsync(Inbound.Message(Channel.Sms, "+14155550100", "f-1", "fail-once"));
        await TestSupport.EventuallyAsync(async () => await PendingAsync() == 0, "the failed reaction was retried", TimeSpan.FromSeconds(30));
        Assert.Equal([failing.EventId, failing.EventId], fx.Reaction.Seen);
    }

    [Fact]
    public async Task EventsNoReactionWantsCreateNoWork()
    {
        var inbound = await fx.App.ReceiveAsync(Inbound.Message(Channel.Sms, "+14155550100", "n-1"));
        await fx.App.Service<WorkPipeline>().WaitForIdleAsync();
        await fx.App.Agent().PostJsonAsync($"/api/conversations/{inbound.ConversationId}/notes", new { text = "quiet" }, System.Net.HttpStatusCode.Created);
        Assert.Equal(0, await PendingAsync());
        Assert.Single(fx.Reaction.Seen);
    }
}
