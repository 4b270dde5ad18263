using System.Diagnostics;

namespace ContactCenter.Bench;

/// <summary>Latencies of one run and the figures printed from them.</summary>
public sealed class Measurement(string name, int operations, TimeSpan elapsed, double[] latenciesMs)
{
    public string Name { get; } = name;
    public int Operations { get; } = operations;
    public double PerSecond => Operations / elapsed.TotalSeconds;
    public double P50 => Percentile(0.50);
    public double P99 => Percentile(0.99);
    public double Max => latenciesMs.Length == 0 ? 0 : latenciesMs[^1];

    private double Percentile(double p)
    {
        if (latenciesMs.Length == 0) return 0;
        var index = (int)Math.Ceiling(p * latenciesMs.Length) - 1;
        return latenciesMs[Math.Clamp(index, 0, latenciesMs.Length - 1)];
    }

    public override string ToString() =>
        $"{Name,-34} {Operations,8} ops {PerSecond,10:N0} ops/s   p50 {P50,7:N2} ms   p99 {P99,7:N2} ms   max {Max,7:N1} ms";
}

public static class Measure
{
    /// <summary>Runs <paramref name="operation"/> for indexes 0..count-1 with the given concurrency.</summary>
    public static async Task<Measurement> RunAsync(string name, int count, int concurrency, Func<int, Task> operation)
    {
        var latencies = new double[count];
        var next = -1;
        var total = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var start = Stopwatch.GetTimestamp();
                await operation(i);
                latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
        })).ToArray();
        await Task.WhenAll(workers);
        total.Stop();
        Array.Sort(latencies);
        return new Measurement(name, count, total.Elapsed, latencies);
    }
}
