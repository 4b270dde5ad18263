using System.Globalization;
using ContactCenter.Core.Channels;

namespace ContactCenter.Core.Reports;

/// <summary><c>Reports:*</c>.</summary>
public sealed class ReportOptions
{
    /// <summary>A resolved conversation counts as resolved on first contact when the customer does not come back within this.</summary>
    public TimeSpan FcrWindow { get; set; } = TimeSpan.FromDays(7);
    /// <summary>Callers who hang up within this of entering the queue are not counted as abandoned (misdials, second thoughts).</summary>
    public TimeSpan ShortAbandon { get; set; } = TimeSpan.FromSeconds(5);
}

public static class ReportNames
{
    public const string Volume = "volume";
    public const string ResponseTimes = "response-times";
    public const string HandleTimes = "handle-times";
    public const string Resolution = "resolution";
    public const string Satisfaction = "satisfaction";
    public const string Bot = "bot";
    public const string Abandonment = "abandonment";
    public static readonly IReadOnlyList<string> All = [Volume, ResponseTimes, HandleTimes, Resolution, Satisfaction, Bot, Abandonment];
}

public enum ReportGrain { Day, Hour }

/// <summary>
/// What a report covers: [<see cref="Start"/>, <see cref="End"/>) in <see cref="Zone"/>, cut into days or hours of
/// that zone, for the conversations the filters select (their channel, queue, assignee and tags as they are now).
/// </summary>
public sealed record ReportQuery(
    string Report, DateTimeOffset Start, DateTimeOffset End, TimeZoneInfo Zone, ReportGrain By,
    string? Channel, string? Queue, string? Agent, string? Tag, bool BusinessHours)
{
    public const int MaxDays = 400;

    /// <summary>
    /// Reads the query string. <paramref name="from"/> and <paramref name="to"/> are dates (yyyy-MM-dd; <c>to</c>
    /// is the last day included) or local date-times (yyyy-MM-ddTHH:mm; <c>to</c> excluded) in the time zone.
    /// Errors come back as sentences for a 400.
    /// </summary>
    public static (ReportQuery? Query, IReadOnlyList<string> Errors) Parse(
        string report, string? from, string? to, string? timeZone, string? by, string? channel, string? queue,
        string? agent, string? tag, string? businessHours)
    {
        var errors = new List<string>();
        if (!ReportNames.All.Contains(report)) errors.Add($"Unknown report '{report}'; one of {string.Join(", ", ReportNames.All)}.");
        var zone = TimeZoneInfo.Utc;
        if (!string.IsNullOrWhiteSpace(timeZone))
        {
            try { zone = TimeZoneInfo.FindSystemTimeZoneById(timeZone); }
            catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
            {
                errors.Add($"'timeZone': '{timeZone}' is not a known time zone (use an IANA name like Europe/London).");
            }
        }

        var start = Local(from, "from", isEnd: false, zone, errors);
        var end = Local(to, "to", isEnd: true, zone, errors);
        if (start is { } s && end is { } en)
        {
            if (en <= s) errors.Add("'to' must be after 'from'.");
            else if (en - s > TimeSpan.FromDays(MaxDays)) errors.Add($"A report covers at most {MaxDays} days.");
        }

        var grain = ReportGrain.Day;
        if (by is { Length: > 0 } && !Enum.TryParse(by, ignoreCase: true, out grain) || int.TryParse(by, out _))
            errors.Add("'by' must be 'day' or 'hour'.");
        if (grain == ReportGrain.Hour && start is { } hs && end is { } he && he - hs > TimeSpan.FromDays(31))
            errors.Add("Hourly reports cover at most 31 days.");
        if (channel is { Length: > 0 } && !ChannelNames.TryParse(channel, out _)) errors.Add($"'channel': unknown channel '{channel}'.");
        var hours = false;
        if (businessHours is { Length: > 0 } && !bool.TryParse(businessHours, out hours)) errors.Add("'businessHours' must be true or false.");
        if (errors.Count > 0 || start is null || end is null) return (null, errors);
        return (new ReportQuery(report, start.Value, end.Value, zone, grain, Blank(channel), Blank(queue), Blank(agent), Blank(tag), hours), errors);
    }

    /// <summary>The start of the period an instant falls in, as a local date-time of the zone.</summary>
    public DateTime PeriodOf(DateTimeOffset instant)
    {
        var local = TimeZoneInfo.ConvertTime(instant, Zone).DateTime;
        return By == ReportGrain.Day ? local.Date : local.Date.AddHours(local.Hour);
    }

    /// <summary>Every period of the range, empty ones too (a chart has a point for each).</summary>
    public IEnumerable<DateTime> Periods()
    {
        var last = PeriodOf(End.AddTicks(-1));
        for (var p = PeriodOf(Start); p <= last; p = By == ReportGrain.Day ? p.AddDays(1) : p.AddHours(1)) yield return p;
    }

    public string Label(DateTime period) => By == ReportGrain.Day
        ? period.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
        : period.ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture);

    public bool Contains(DateTimeOffset instant) => instant >= Start && instant < End;

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static DateTimeOffset? Local(string? value, string name, bool isEnd, TimeZoneInfo zone, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add($"'{name}' is required (yyyy-MM-dd).");
            return null;
        }

        DateTime local;
        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            local = date.ToDateTime(TimeOnly.MinValue).AddDays(isEnd ? 1 : 0);
        else if (!DateTime.TryParseExact(value, ["yyyy-MM-ddTHH:mm", "yyyy-MM-ddTHH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out local))
        {
            errors.Add($"'{name}': '{value}' is not a date (yyyy-MM-dd) or a local date-time (yyyy-MM-ddTHH:mm).");
            return null;
        }

        // A local time skipped by a daylight-saving jump is read as the moment just after the jump.
        while (zone.IsInvalidTime(local)) local = local.AddMinutes(30);
        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
    }
}
