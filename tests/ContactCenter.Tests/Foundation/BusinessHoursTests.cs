using ContactCenter.Core.Scheduling;

namespace ContactCenter.Tests.Foundation;

public class BusinessHoursTests
{
    private static BusinessHours NewYorkOffice() => BusinessHours.Parse(new BusinessHoursDefinition
    {
        TimeZone = "America/New_York",
        Weekly = new(StringComparer.OrdinalIgnoreCase)
        {
            ["monday"] = ["09:00-17:00"], ["tuesday"] = ["09:00-17:00"], ["wednesday"] = ["09:00-12:00", "13:00-17:00"],
            ["thursday"] = ["09:00-17:00"], ["friday"] = ["09:00-17:00"],
        },
        Holidays = ["2026-12-25"],
    });

    // 2026-11-23 is a Monday; New York is UTC-5 in November.
    [Theory]
    [InlineData("2026-11-23T14:00:00Z", true)]   // Mon 09:00 local
    [InlineData("2026-11-23T13:59:59Z", false)]  // Mon 08:59:59
    [InlineData("2026-11-23T22:00:00Z", false)]  // Mon 17:00 closes
    [InlineData("2026-11-25T17:30:00Z", false)]  // Wed 12:30 lunch
    [InlineData("2026-11-28T15:00:00Z", false)]  // Saturday
    [InlineData("2026-12-25T15:00:00Z", false)]  // Christmas, a Friday
    [InlineData("2026-12-24T15:00:00Z", true)]
    public void KnowsWhenItIsOpen(string at, bool open) =>
        Assert.Equal(open, NewYorkOffice().IsOpen(DateTimeOffset.Parse(at)));

    [Fact]
    public void AddsOpenTimeAcrossNightsAndWeekends()
    {
        var hours = NewYorkOffice();
        // Friday 16:50 local + 20 open minutes = Monday 09:10 local.
        var due = hours.AddOpenTime(DateTimeOffset.Parse("2026-11-27T21:50:00Z"), TimeSpan.FromMinutes(20));
        Assert.Equal(DateTimeOffset.Parse("2026-11-30T14:10:00Z"), due);
        // Outside hours the clock starts at the next opening.
        Assert.Equal(DateTimeOffset.Parse("2026-11-23T14:05:00Z"),
            hours.AddOpenTime(DateTimeOffset.Parse("2026-11-23T03:00:00Z"), TimeSpan.FromMinutes(5)));
        Assert.Equal(TimeSpan.FromMinutes(20),
            hours.OpenTimeBetween(DateTimeOffset.Parse("2026-11-27T21:50:00Z"), DateTimeOffset.Parse("2026-11-30T14:10:00Z")));
    }

    [Fact]
    public void FollowsDaylightSavingTime()
    {
        var hours = NewYorkOffice();
        // 2026-03-09 is the Monday after the spring change: 09:00 local is 13:00 UTC, not 14:00.
        Assert.True(hours.IsOpen(DateTimeOffset.Parse("2026-03-09T13:00:00Z")));
        Assert.False(hours.IsOpen(DateTimeOffset.Parse("2026-03-09T12:59:00Z")));
    }

    [Fact]
    public void AlwaysOpenNeverPauses()
    {
        var from = DateTimeOffset.Parse("2026-11-28T03:00:00Z");
        Assert.Equal(from.AddMinutes(5), BusinessHours.AlwaysOpen.AddOpenTime(from, TimeSpan.FromMinutes(5)));
        Assert.True(BusinessHours.AlwaysOpen.IsOpen(from));
    }

    [Theory]
    [InlineData("Mars/Olympus", "monday", "09:00-17:00", "timeZone")]
    [InlineData("UTC", "funday", "09:00-17:00", "weekly")]
    [InlineData("UTC", "monday", "17:00-09:00", "weekly.monday")]
    [InlineData("UTC", "monday", "9am-5pm", "weekly.monday")]
    public void ABadDefinitionNamesTheField(string zone, string day, string range, string field)
    {
        var error = Assert.Throws<FormatException>(() => BusinessHours.Parse(new BusinessHoursDefinition
        {
            TimeZone = zone,
            Weekly = new() { [day] = [range] },
        }));
        Assert.StartsWith(field, error.Message);
    }

    [Fact]
    public void NeverOpenHoursHaveNoDeadline() =>
        Assert.Null(BusinessHours.Parse(new BusinessHoursDefinition()).AddOpenTime(DateTimeOffset.UtcNow, TimeSpan.FromMinutes(1)));
}
