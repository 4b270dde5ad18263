using System.Globalization;

namespace ContactCenter.Core.Scheduling;

/// <summary>
/// Opening hours as configured (bindable from configuration, YAML or JSON):
/// <c>{ "TimeZone": "America/New_York", "Weekly": { "monday": ["09:00-17:00"] }, "Holidays": ["2026-12-25"] }</c>.
/// Days without an entry are closed. "00:00-24:00" is a whole day.
/// </summary>
public sealed class BusinessHoursDefinition
{
    public string TimeZone { get; set; } = "UTC";
    public Dictionary<string, List<string>> Weekly { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    public List<string> Holidays { get; set; } = [];
}

/// <summary>
/// When the company is open: weekly intervals in a time zone, minus holidays. Answers whether it is open
/// now, and measures or adds <em>open</em> time, which is how a response clock pauses outside hours.
/// </summary>
public sealed class BusinessHours
{
    private const int MaxDaysScanned = 400;
    private readonly TimeZoneInfo _zone;
    private readonly Dictionary<DayOfWeek, (TimeSpan Open, TimeSpan Close)[]> _weekly;
    private readonly HashSet<DateOnly> _holidays;

    private BusinessHours(TimeZoneInfo zone, Dictionary<DayOfWeek, (TimeSpan, TimeSpan)[]> weekly, HashSet<DateOnly> holidays)
    {
        _zone = zone;
        _weekly = weekly;
        _holidays = holidays;
    }

    /// <summary>Open around the clock: response clocks never pause.</summary>
    public static BusinessHours AlwaysOpen { get; } = new(TimeZoneInfo.Utc,
        Enum.GetValues<DayOfWeek>().ToDictionary(d => d, _ => new[] { (TimeSpan.Zero, TimeSpan.FromDays(1)) }), []);

    public TimeZoneInfo TimeZone => _zone;

    /// <summary>Parses a definition; a wrong one throws <see cref="FormatException"/> naming the field.</summary>
    public static BusinessHours Parse(BusinessHoursDefinition definition)
    {
        TimeZoneInfo zone;
        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(definition.TimeZone);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new FormatException($"timeZone: '{definition.TimeZone}' is not a known time zone (use an IANA name like Europe/London).");
        }

        var weekly = new Dictionary<DayOfWeek, (TimeSpan, TimeSpan)[]>();
        foreach (var (dayName, ranges) in definition.Weekly)
        {
            if (!Enum.TryParse<DayOfWeek>(dayName, ignoreCase: true, out var day) || int.TryParse(dayName, out _))
                throw new FormatException($"weekly: '{dayName}' is not a day of the week.");
            weekly[day] = ranges.Select(r => ParseRange(dayName, r)).OrderBy(r => r.Item1).ToArray();
        }

        var holidays = new HashSet<DateOnly>();
        foreach (var holiday in definition.Holidays)
        {
            if (!DateOnly.TryParseExact(holiday, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                throw new FormatException($"holidays: '{holiday}' is not a date (yyyy-MM-dd).");
            holidays.Add(date);
        }

        return new BusinessHours(zone, weekly, holidays);
    }

    private static (TimeSpan, TimeSpan) ParseRange(string day, string range)
    {
        var parts = range.Split('-', StringSplitOptions.TrimEntries);
        if (parts.Length == 2 && TryTime(parts[0], out var open) && TryTime(parts[1], out var close) && open < close)
            return (open, close);
        throw new FormatException($"weekly.{day}: '{range}' is not a range like 09:00-17:30.");
    }

    private static bool TryTime(string text, out TimeSpan time)
    {
        if (text == "24:00")
        {
            time = TimeSpan.FromDays(1);
            return true;
        }

        var ok = TimeOnly.TryParseExact(text, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var t);
        time = t.ToTimeSpan();
        return ok;
    }

    public bool IsOpen(DateTimeOffset at) => OpenIntervals(at, at.AddTicks(1)).Any();

    /// <summary>How much open time lies between two instants.</summary>
    public TimeSpan OpenTimeBetween(DateTimeOffset from, DateTimeOffset to)
    {
        if (to <= from) return TimeSpan.Zero;
        var total = TimeSpan.Zero;
        foreach (var (start, end) in OpenIntervals(from, to)) total += end - start;
        return total;
    }

    /// <summary>The instant when <paramref name="openTime"/> of open time has passed after <paramref name="from"/>;
    /// null when the hours never open again within a year.</summary>
    public DateTimeOffset? AddOpenTime(DateTimeOffset from, TimeSpan openTime)
    {
        var remaining = openTime;
        foreach (var (start, end) in OpenIntervals(from, from.AddDays(MaxDaysScanned)))
        {
            var length = end - start;
            if (remaining <= length) return start + remaining;
            remaining -= length;
        }

        return null;
    }

    /// <summary>The next instant at or after <paramref name="from"/> when it is open.</summary>
    public DateTimeOffset? NextOpen(DateTimeOffset from) =>
        OpenIntervals(from, from.AddDays(MaxDaysScanned)).Select(i => (DateTimeOffset?)i.Start).FirstOrDefault();

    /// <summary>The open intervals (in UTC) that overlap [from, to), clipped to it, in order.</summary>
    private IEnumerable<(DateTimeOffset Start, DateTimeOffset End)> OpenIntervals(DateTimeOffset from, DateTimeOffset to)
    {
        var localStart = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(from, _zone).Date).AddDays(-1);
        var localEnd = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(to, _zone).Date).AddDays(1);
        for (var day = localStart; day <= localEnd; day = day.AddDays(1))
        {
            if (_holidays.Contains(day) || !_weekly.TryGetValue(day.DayOfWeek, out var ranges)) continue;
            foreach (var (open, close) in ranges)
            {
                var start = ToUtc(day, open);
                var end = ToUtc(day, close);
                if (end <= from || start >= to) continue;
                yield return (start < from ? from : start, end > to ? to : end);
            }
        }
    }

    private DateTimeOffset ToUtc(DateOnly day, TimeSpan time)
    {
        var local = day.ToDateTime(TimeOnly.MinValue).Add(time);
        // A local time skipped by a daylight-saving jump does not exist: the clock reads an hour later.
        while (_zone.IsInvalidTime(local)) local = local.AddMinutes(30);
        var offset = _zone.IsAmbiguousTime(local) ? _zone.GetAmbiguousTimeOffsets(local).Max() : _zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset).ToUniversalTime();
    }
}
