using ContactCenter.Tests.Infrastructure;
using ContactCenter.Tests.Routing;
using ContactCenter.Tests.Voice;

namespace ContactCenter.Tests.Supervisor;

/// <summary>Every abandon counts here (no short-abandon allowance): a test caller hangs up within a second.</summary>
public sealed class NoShortAbandonFixture : VoiceFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings =>
        new Dictionary<string, string?>(base.Settings) { ["Reports:ShortAbandon"] = "00:00:00" };
}

/// <summary>The console's abandonment today per queue, from a real (TwiML-driven) call that hangs up in the queue.</summary>
public sealed class ConsoleAbandonmentTests(NoShortAbandonFixture fx) : IClassFixture<NoShortAbandonFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetCallAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_caller_who_hangs_up_in_the_queue_counts_in_todays_abandonment_of_that_queue()
    {
        var caller = new TwimlCaller(fx, "+14155550139");
        await caller.DialAsync();
        await caller.PressAsync("1");
        await caller.PressAsync("3");
        await caller.PressAsync("2");
        var conversation = await fx.ConversationOfAsync(caller);
        await caller.NotifyStatusAsync("completed", 1, 75);
        Assert.Equal("abandoned", (await fx.App.WaitForEventAsync(conversation, "call.ended")).Data("outcome"));

        var today = (await fx.App.Supervisor().GetJsonAsync("/api/queues/sales"))["today"]!;
        Assert.Equal(1, today["queuedCalls"]!.GetValue<int>());
        Assert.Equal(1, today["abandoned"]!.GetValue<int>());
        Assert.Equal(1.0, today["abandonmentRate"]!.GetValue<double>());
        var other = (await fx.App.Supervisor().GetJsonAsync("/api/queues")).AsArray().Where(q => q!["name"]!.GetValue<string>() != "sales");
        Assert.All(other, q => Assert.Equal(0, q!["today"]!["queuedCalls"]!.GetValue<int>()));
    }
}
