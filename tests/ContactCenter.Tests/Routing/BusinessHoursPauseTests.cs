using ContactCenter.Core.Channels;
using Microsoft.Extensions.DependencyInjection;

namespace ContactCenter.Tests.Routing;

/// <summary>Real time moved by an offset: the service believes it is a moment before closing time.</summary>
public sealed class ShiftedTimeProvider : TimeProvider
{
    public TimeSpan Offset { get; set; }
    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
}

public sealed class PausedClockFixture : RoutingFixture
{
    public ShiftedTimeProvider Clock { get; } = new();

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["Sla:Targets:sms:FirstResponse"] = "00:00:04",
        ["Routing:Channels:sms:Queue"] = "around-the-clock",
    };

    protected override void ConfigureServices(IServiceCollection services)
    {
        base.ConfigureServices(services);
        services.AddSingleton<TimeProvider>(Clock);
    }
}

public class BusinessHoursPauseTests(PausedClockFixture fx) : IClassFixture<PausedClockFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetAsync();

    public Task DisposeAsync()
    {
        fx.Clock.Offset = TimeSpan.Zero;
        return Task.CompletedTask;
    }

    [Fact]
    public async Task AClockPausesWhenTheQueueClosesAndResumesWhenItOpens()
    {
        // Open 09:00–10:00 UTC on weekdays; the service's time is two seconds before Monday's closing.
        var monday = NextMonday(DateTimeOffset.UtcNow.AddDays(2));
        var hours = new[] { "09:00-10:00" };
        await fx.App.PutQueueAsync("general", new
        {
            targets = new { firstResponse = "00:00:04" },
            businessHours = new { timeZone = "UTC", weekly = new { monday = hours, tuesday = hours } },
        });
        await fx.App.PutQueueAsync("around-the-clock", new { });
        fx.Clock.Offset = monday.AddHours(9).AddMinutes(59).AddSeconds(58) - DateTimeOffset.UtcNow;

        var paused = await fx.App.CustomerWritesAsync("v-evening");
        var control = (await fx.App.ReceiveAsync(Inbound.Message(Channel.Sms, "+14155550177", "control-1"))).ConversationId!.Value;
        await fx.App.WaitForStatusAsync(paused, "queued");

        // The control clock (no business hours) breaches; the paused one neither warns nor breaches.
        await fx.App.WaitForEventAsync(control, "sla.breached", TimeSpan.FromSeconds(15));
        await Task.Delay(1000);
        Assert.Empty(await fx.App.EventsAsync(paused, "sla.warning"));
        Assert.Empty(await fx.App.EventsAsync(paused, "sla.breached"));

        // The time left is what was left at closing; it is due two seconds into Tuesday's opening.
        var clock = (await fx.App.ClocksAsync(paused)).Single(c => c["kind"]!.GetValue<string>() == "first_response");
        var started = clock["startedAt"]!.GetValue<DateTimeOffset>();
        var due = clock["dueAt"]!.GetValue<DateTimeOffset>();
        var tuesdayOpening = monday.AddDays(1).AddHours(9);
        var usedBeforeClosing = monday.AddHours(10) - started;
        Assert.Equal(tuesdayOpening + (TimeSpan.FromSeconds(4) - usedBeforeClosing), due, TimeSpan.FromMilliseconds(1));

        var queue = await fx.App.Supervisor().GetJsonAsync("/api/queues/general");
        Assert.False(queue["open"]!.GetValue<bool>());
        var waiting = queue["conversations"]!.AsArray().Single()!;
        Assert.True(waiting["target"]!["paused"]!.GetValue<bool>());
        var remaining = waiting["target"]!["remainingSeconds"]!.GetValue<double>();
        Assert.InRange(remaining, (TimeSpan.FromSeconds(4) - usedBeforeClosing).TotalSeconds - 0.01, 4);

        // Tuesday, a moment after opening plus the time left: the clock resumes and breaches.
        fx.Clock.Offset = due.AddSeconds(-1) - DateTimeOffset.UtcNow;
        var breach = await fx.App.WaitForEventAsync(paused, "sla.breached", TimeSpan.FromSeconds(15));
        Assert.True(breach["occurredAt"]!.GetValue<DateTimeOffset>() >= due);
    }

    private static DateTimeOffset NextMonday(DateTimeOffset from)
    {
        var day = new DateTimeOffset(from.UtcDateTime.Date, TimeSpan.Zero);
        while (day.DayOfWeek != DayOfWeek.Monday) day = day.AddDays(1);
        return day;
    }
}
