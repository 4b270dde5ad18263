using ContactCenter.Core.Channels;
using ContactCenter.Core.Inbound;
using ContactCenter.Core.Routing;
using ContactCenter.Core.Timeline;

namespace ContactCenter.Tests.Routing;

/// <summary>Voice targets and the Hangfire scheduler mode (each start schedules two Hangfire jobs).</summary>
public sealed class HangfireClocksFixture : RoutingFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["Sla:Scheduler"] = "Hangfire",
        ["Sla:Targets:voice:FirstResponse"] = "00:00:06",
    };
}

public class VoiceAndSchedulerTests(HangfireClocksFixture fx) : IClassFixture<HangfireClocksFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>What the voice webhooks will write: a call step on the caller's conversation.</summary>
    private Task<InboundResult> CallEventAsync(string caller, string callSid, string type) =>
        fx.App.ReceiveAsync(Inbound.Message(Channel.Voice, caller, $"{callSid}:{type}", text: null) with { Type = type });

    [Fact]
    public async Task AQueuedCallBreachesAfterTwentySecondsUnlessConnectedAndGoesToAnAgentWithVoiceRoom()
    {
        await fx.App.CreateAgentAsync(ContactCenterApp.AgentId, capacity: new { voice = 1, messaging = 0 });
        var routing = fx.App.Service<RoutingEngine>();

        // Caller 1 waits and nobody answers: the voice clock (6 s here, 20 s by default) breaches.
        var unanswered = (await CallEventAsync("+14155550181", "CA1", TimelineEventTypes.CallStarted)).ConversationId!.Value;
        Assert.IsType<RoutingOutcome.Done>(await routing.EnqueueAsync(unanswered, "phones", null, "ivr: sales", CancellationToken.None));
        var queued = await CallEventAsync("+14155550181", "CA1", TimelineEventTypes.CallQueued);
        var breach = await fx.App.WaitForEventAsync(unanswered, "sla.breached", TimeSpan.FromSeconds(20));
        Assert.Equal(queued.EventId, breach["data"]!["startedBy"]!.GetValue<long>());
        Assert.Equal(6, breach["data"]!["targetSeconds"]!.GetValue<double>());

        // Caller 2 is connected in time: no breach, first response within target.
        var answered = (await CallEventAsync("+14155550182", "CA2", TimelineEventTypes.CallStarted)).ConversationId!.Value;
        await routing.EnqueueAsync(answered, "phones", null, "ivr: sales", CancellationToken.None);
        await CallEventAsync("+14155550182", "CA2", TimelineEventTypes.CallQueued);
        await fx.App.SetStatusAsync(ContactCenterApp.AgentId, "available");
        // The oldest call goes first: caller 1 (breached, higher priority) takes the agent's one voice slot.
        Assert.Equal(ContactCenterApp.AgentId, (await fx.App.WaitForStatusAsync(unanswered, "assigned")).Assignee());
        Assert.Equal("queued", (await fx.App.ConversationAsync(answered))["status"]!.GetValue<string>());
        await CallEventAsync("+14155550182", "CA2", TimelineEventTypes.CallConnected);

        await TestSupport.EventuallyAsync(async () => (await fx.App.ClocksAsync(answered))
            .Any(c => c["kind"]!.GetValue<string>() == "first_response" && c["stopReason"]?.GetValue<string>() == "answered"), "call.connected stopped the clock");
        await Task.Delay(TimeSpan.FromSeconds(7));
        Assert.Empty(await fx.App.EventsAsync(answered, "sla.breached"));
        var clock = (await fx.App.ClocksAsync(answered)).Single(c => c["kind"]!.GetValue<string>() == "first_response");
        Assert.True(clock["withinTarget"]!.GetValue<bool>());
        Assert.Equal("voice", clock["channel"]!.GetValue<string>());

        // In this mode the checks are Hangfire jobs: two per clock start.
        await using var connection = await fx.Db.OpenConnectionAsync();
        var jobs = (long)(await Core.Storage.Db.Sql(connection,
            "select count(*) from hangfire.job where invocationdata::text like '%ClockChecks%'").ExecuteScalarAsync())!;
        Assert.True(jobs >= 4, $"expected the clock checks as Hangfire jobs, found {jobs}");
    }
}
