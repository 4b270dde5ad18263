namespace ContactCenter.Core.Reports;

/// <summary>One row of a report: its period (or "total") and one value per column (null: nothing to measure).</summary>
public sealed record ReportRow(string Period, IReadOnlyList<double?> Values);

/// <summary>A report as the API answers it (JSON rows or CSV): a row per period of the range and a total.</summary>
public sealed record ReportTable(string Report, IReadOnlyList<string> Columns, IReadOnlyList<ReportRow> Rows, ReportRow Total);

/// <summary>Builds a report from facts: each fact lands in the period of its instant, then every period is summarised.</summary>
internal sealed class ReportBuilder<TFact>(ReportQuery query, IReadOnlyList<string> columns, Func<IReadOnlyList<TFact>, double?[]> summarise)
{
    private readonly Dictionary<DateTime, List<TFact>> _byPeriod = [];
    private readonly List<TFact> _all = [];

    /// <summary>Facts outside the range are left out, so callers may read a little wider than the range.</summary>
    public void Add(DateTimeOffset at, TFact fact)
    {
        if (!query.Contains(at)) return;
        var period = query.PeriodOf(at);
        if (!_byPeriod.TryGetValue(period, out var list)) _byPeriod[period] = list = [];
        list.Add(fact);
        _all.Add(fact);
    }

    public ReportTable Build() => new(query.Report, columns,
        query.Periods().Select(p => new ReportRow(query.Label(p), summarise(_byPeriod.GetValueOrDefault(p) ?? []))).ToList(),
        new ReportRow("total", summarise(_all)));
}

public static class Stats
{
    /// <summary>The p-quantile with linear interpolation between closest ranks (PostgreSQL's percentile_cont, Excel's PERCENTILE.INC).</summary>
    public static double? Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return null;
        var rank = p * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = Math.Min(low + 1, sorted.Length - 1);
        return Round(sorted[low] + (sorted[high] - sorted[low]) * (rank - low));
    }

    public static double? Average(IEnumerable<double> values)
    {
        var list = values.ToList();
        return list.Count == 0 ? null : Round(list.Average());
    }

    /// <summary>A share (0–1) of a count; null when the whole is nothing.</summary>
    public static double? Share(int part, int whole) => whole == 0 ? null : Math.Round((double)part / whole, 4);

    public static double Round(double value) => Math.Round(value, 3);
}
