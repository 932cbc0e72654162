using System.Diagnostics;
using System.Globalization;
using HdrHistogram;

namespace RestaurantOs.Bench.Infrastructure;

/// <summary>A thread-safe HdrHistogram of latencies in microseconds (1 µs .. 10 min, 3 significant digits).</summary>
internal sealed class Latency
{
    private readonly LongConcurrentHistogram _histogram = new(1, 600_000_000, 3);

    public long Count => _histogram.TotalCount;

    /// <summary>Records the time since <paramref name="startTimestamp"/> (a <see cref="Stopwatch.GetTimestamp"/> value).</summary>
    public void RecordSince(long startTimestamp, long nowTimestamp)
    {
        var micros = (nowTimestamp - startTimestamp) * 1_000_000 / Stopwatch.Frequency;
        _histogram.RecordValue(Math.Clamp(micros, 1, 600_000_000));
    }

    public Percentiles Snapshot()
    {
        var copy = _histogram.Copy();
        return copy.TotalCount == 0
            ? new Percentiles(0, 0, 0, 0, 0, 0)
            : new Percentiles(
                copy.TotalCount,
                copy.GetValueAtPercentile(50) / 1000.0,
                copy.GetValueAtPercentile(90) / 1000.0,
                copy.GetValueAtPercentile(99) / 1000.0,
                copy.GetValueAtPercentile(99.9) / 1000.0,
                copy.GetMaxValue() / 1000.0);
    }
}

/// <summary>Latency percentiles in milliseconds.</summary>
internal readonly record struct Percentiles(long Count, double P50, double P90, double P99, double P999, double Max)
{
    public static string[] Header => ["p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms"];

    public string[] Cells => [Ms(P50), Ms(P90), Ms(P99), Ms(P999), Ms(Max)];

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"n={Count} p50={P50:0.0} p90={P90:0.0} p99={P99:0.0} p99.9={P999:0.0} max={Max:0.0} ms");

    private static string Ms(double value) => value.ToString(value < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture);
}
