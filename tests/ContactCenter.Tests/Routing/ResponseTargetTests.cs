using System.Net;
using ContactCenter.Core.ResponseTargets;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Work;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ContactCenter.Tests.Routing;

/// <summary>The routing host on a clock the test moves: a 3-second target passes without waiting 3 seconds.</summary>
public sealed class ResponseTargetFixture : RoutingFixture
{
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    protected override void ConfigureServices(IServiceCollection services)
    {
        base.ConfigureServices(services);
        services.AddSingleton<TimeProvider>(Clock);
    }

    /// <summary>Moves the clock on, runs the checks now due, and waits for the work they cause.</summary>
    public async Task AdvanceAsync(TimeSpan by)
    {
        Clock.Advance(by);
        // The deadline worker may have claimed a check itself (its timer fires on the fake clock too): wait for it.
        await TestSupport.EventuallyAsync(async () =>
        {
            await App.Service<DeadlineWorker>().RunOnceAsync(TimeSpan.Zero, CancellationToken.None);
            await using var connection = await Db.OpenConnectionAsync();
            return (long)(await connection.Sql("select count(*) from response_clocks where next_check_at <= $1", Clock.GetUtcNow())
                .ExecuteScalarAsync())! == 0;
        }, "every check due on the moved clock ran");
        await App.Service<WorkPipeline>().WaitForIdleAsync();
    }
}

/// <summary>Response clocks through the real path: webchat messages in, agent answers out, the deadline worker running on a fake clock.</summary>
public class ResponseTargetTests(ResponseTargetFixture fx) : IClassFixture<ResponseTargetFixture>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await fx.ResetAsync();
        fx.Sender.Reset();
        // Real time only moves forward, so this never moves the fake clock back.
        if (DateTimeOffset.UtcNow > fx.Clock.GetUtcNow()) fx.Clock.SetUtcNow(DateTimeOffset.UtcNow);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private Task AnswerAsync(Guid conversation, string text = "Hello, how can I help?") =>
        fx.App.Agent().PostJsonAsync($"/api/conversations/{conversation}/messages", new { text }, HttpStatusCode.Accepted);

    [Fact]
    public async Task AnUnansweredConversationWarnsThenBreachesOnceAndEscalates()
    {
        var conversation = await fx.App.CustomerWritesAsync("visitor-breach", "Is anyone there?");
        var queued = await fx.App.WaitForStatusAsync(conversation, "queued");
        Assert.Equal("general", queued["queue"]!.GetValue<string>());
        Assert.Equal(0, queued["priority"]!.GetValue<int>());

        await fx.AdvanceAsync(TimeSpan.FromSeconds(2.5));
        Assert.Single(await fx.App.EventsAsync(conversation, "sla.warning"));
        Assert.Empty(await fx.App.EventsAsync(conversation, "sla.breached"));
        await fx.AdvanceAsync(TimeSpan.FromSeconds(1));
        var breach = await fx.App.WaitForEventAsync(conversation, "sla.breached");
        var warning = (await fx.App.EventsAsync(conversation, "sla.warning")).Single();
        var message = (await fx.App.EventsAsync(conversation, "message.received")).Single();
        Assert.Equal("first_response", breach["data"]!["kind"]!.GetValue<string>());
        Assert.Equal(message["id"]!.GetValue<long>(), breach["data"]!["startedBy"]!.GetValue<long>());
        Assert.Equal(3, breach["data"]!["targetSeconds"]!.GetValue<double>());
        // The warning comes at 80 % of the target, before the breach.
        Assert.True(warning["occurredAt"]!.GetValue<DateTimeOffset>() < breach["occurredAt"]!.GetValue<DateTimeOffset>());
        Assert.True(breach["occurredAt"]!.GetValue<DateTimeOffset>() >= breach["data"]!["dueAt"]!.GetValue<DateTimeOffset>());

        // Escalation: the priority went up; supervisors see the alert on the queue.
        var escalated = await fx.App.ConversationAsync(conversation);
        Assert.Equal(10, escalated["priority"]!.GetValue<int>());
        var queue = await fx.App.Supervisor().GetJsonAsync("/api/queues/general");
        var alert = Assert.Single(queue["alerts"]!.AsArray());
        Assert.Equal(conversation.ToString(), alert!["conversationId"]!.GetValue<string>());
        Assert.Equal(1, queue["today"]!["breached"]!.GetValue<int>());
        Assert.Equal(0, queue["today"]!["withinTargetShare"]!.GetValue<double>());

        // Recorded once, however often the checks run again.
        await fx.AdvanceAsync(TimeSpan.FromSeconds(1.5));
        await fx.AdvanceAsync(TimeSpan.FromSeconds(1.5));
        Assert.Single(await fx.App.EventsAsync(conversation, "sla.breached"));
        Assert.Single(await fx.App.EventsAsync(conversation, "sla.warning"));

        // A late answer stops the clock; the first response time is computable from the stored clock.
        await AnswerAsync(conversation);
        await TestSupport.EventuallyAsync(async () => (await fx.App.ClocksAsync(conversation))
            .Any(c => c["kind"]!.GetValue<string>() == "first_response" && c["stoppedAt"] is not null), "the late answer stopped the clock");
        var clock = (await fx.App.ClocksAsync(conversation)).Single(c => c["kind"]!.GetValue<string>() == "first_response");
        Assert.Equal("answered", clock["stopReason"]!.GetValue<string>());
        Assert.False(clock["withinTarget"]!.GetValue<bool>());
        Assert.True(clock["elapsedSeconds"]!.GetValue<double>() > 3);
    }

    [Fact]
    public async Task AConversationAnsweredInTimeNeverBreaches()
    {
        var conversation = await fx.App.CustomerWritesAsync("visitor-fast", "Hi");
        await fx.App.WaitForStatusAsync(conversation, "queued");
        await AnswerAsync(conversation);

        await TestSupport.EventuallyAsync(async () => (await fx.App.ClocksAsync(conversation))
            .Any(c => c["kind"]!.GetValue<string>() == "first_response" && c["stoppedAt"] is not null), "the answer stopped the clock");
        await fx.AdvanceAsync(TimeSpan.FromSeconds(4)); // past the 3 s target
        var breaches = await fx.App.EventsAsync(conversation, "sla.breached");
        Assert.True(breaches.Count == 0, string.Join("\n", (await fx.App.EventsAsync(conversation)).Select(e => e.ToJsonString()))
            + "\n" + string.Join("\n", (await fx.App.ClocksAsync(conversation)).Select(e => e.ToJsonString())));
        Assert.Empty(await fx.App.EventsAsync(conversation, "sla.warning"));

        var clock = (await fx.App.ClocksAsync(conversation)).Single(c => c["kind"]!.GetValue<string>() == "first_response");
        Assert.True(clock["withinTarget"]!.GetValue<bool>());
        Assert.True(clock["elapsedSeconds"]!.GetValue<double>() < 3);
        var queue = await fx.App.Supervisor().GetJsonAsync("/api/queues/general");
        Assert.Equal(1, queue["today"]!["answeredWithinTarget"]!.GetValue<int>());
        Assert.Equal(1, queue["today"]!["withinTargetShare"]!.GetValue<double>());
    }

    [Fact]
    public async Task AnAnswerAfterTheWarningStillMeetsTheTarget()
    {
        // 10 s: the warning at 8 s leaves time to answer on a busy machine.
        await fx.App.PutQueueAsync("general", new { targets = new { firstResponse = "00:00:10" } });
        var conversation = await fx.App.CustomerWritesAsync("visitor-warned");
        await fx.App.WaitForStatusAsync(conversation, "queued");
        await fx.AdvanceAsync(TimeSpan.FromSeconds(8.5));
        var warning = await fx.App.WaitForEventAsync(conversation, "sla.warning");
        Assert.Equal("first_response", warning["data"]!["kind"]!.GetValue<string>());
        Assert.Empty(await fx.App.EventsAsync(conversation, "sla.breached"));
        await AnswerAsync(conversation);

        await fx.AdvanceAsync(TimeSpan.FromSeconds(3)); // past the deadline
        Assert.Empty(await fx.App.EventsAsync(conversation, "sla.breached"));
        var clock = (await fx.App.ClocksAsync(conversation)).Single(c => c["kind"]!.GetValue<string>() == "first_response");
        Assert.True(clock["withinTarget"]!.GetValue<bool>());
        Assert.NotNull(clock["warnedAt"]);
    }

    [Fact]
    public async Task ACustomerMessageAfterAnAnswerStartsTheNextResponseClock()
    {
        var conversation = await fx.App.CustomerWritesAsync("visitor-next", "Question one");
        await fx.App.WaitForStatusAsync(conversation, "queued");
        await AnswerAsync(conversation, "Answer one");
        await fx.App.ReceiveAsync(Inbound.Message(Core.Channels.Channel.Webchat, "visitor-next", "second", "Question two", at: fx.Clock.GetUtcNow()));
        await fx.App.Service<WorkPipeline>().WaitForIdleAsync();

        await fx.AdvanceAsync(TimeSpan.FromSeconds(4));
        var breach = await fx.App.WaitForEventAsync(conversation, "sla.breached");
        Assert.Equal("next_response", breach["data"]!["kind"]!.GetValue<string>());
        var second = (await fx.App.EventsAsync(conversation, "message.received")).Single(e => e["text"]!.GetValue<string>() == "Question two");
        Assert.Equal(second["id"]!.GetValue<long>(), breach["data"]!["startedBy"]!.GetValue<long>());
        var kinds = (await fx.App.ClocksAsync(conversation)).Select(c => c["kind"]!.GetValue<string>()).Order().ToList();
        Assert.Equal(["first_response", "next_response", "resolution"], kinds);
    }

    [Fact]
    public async Task ABreachRunsTheQueuesEscalationOverflow()
    {
        await fx.App.PutQueueAsync("general", new
        {
            targets = new { firstResponse = "00:00:02" },
            escalation = new { raisePriority = 25, overflowTo = "escalations" },
        });
        await fx.App.PutQueueAsync("escalations", new { priority = 5 });

        var conversation = await fx.App.CustomerWritesAsync("visitor-escalate");
        await fx.App.WaitForStatusAsync(conversation, "queued");
        await fx.AdvanceAsync(TimeSpan.FromSeconds(3));
        var overflow = await fx.App.WaitForEventAsync(conversation, "conversation.overflowed");
        Assert.Equal("general", overflow["data"]!["from"]!.GetValue<string>());
        Assert.Equal("escalations", overflow["data"]!["to"]!.GetValue<string>());
        var breach = (await fx.App.EventsAsync(conversation, "sla.breached")).Single();
        Assert.Equal(2, breach["data"]!["targetSeconds"]!.GetValue<double>()); // the queue's override
        var moved = await fx.App.ConversationAsync(conversation);
        Assert.Equal("escalations", moved["queue"]!.GetValue<string>());
        Assert.Equal(25, moved["priority"]!.GetValue<int>());

        var queue = await fx.App.Supervisor().GetJsonAsync("/api/queues/escalations");
        var waiting = Assert.Single(queue["conversations"]!.AsArray());
        Assert.True(waiting!["target"]!["breached"]!.GetValue<bool>());
        Assert.True(waiting["target"]!["remainingSeconds"]!.GetValue<double>() < 0);
    }

    [Fact]
    public async Task AResolvedConversationStopsItsClocksAndNeverBreaches()
    {
        var conversation = await fx.App.CustomerWritesAsync("visitor-resolved");
        await fx.App.WaitForStatusAsync(conversation, "queued");
        await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversation}/resolve", new { }, HttpStatusCode.OK);
        await TestSupport.EventuallyAsync(async () => (await fx.App.ClocksAsync(conversation)).All(c => c["stoppedAt"] is not null),
            "every clock stopped");
        await fx.AdvanceAsync(TimeSpan.FromSeconds(4));
        Assert.Empty(await fx.App.EventsAsync(conversation, "sla.breached"));
        var clocks = await fx.App.ClocksAsync(conversation);
        Assert.All(clocks, c => Assert.Equal("resolved", c["stopReason"]!.GetValue<string>()));
        var resolution = clocks.Single(c => c["kind"]!.GetValue<string>() == "resolution");
        Assert.True(resolution["withinTarget"]!.GetValue<bool>());
        Assert.Equal(0, (await fx.App.Supervisor().GetJsonAsync("/api/queues/general"))["waiting"]!.GetValue<int>());
    }
}
