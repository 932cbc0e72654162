using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace RestaurantOs.Bench.Infrastructure;

/// <summary>Console output: a progress line while a phase runs, and Markdown tables at the end.</summary>
internal static class Report
{
    public static string F(double value, string format = "0.0") => value.ToString(format, CultureInfo.InvariantCulture);

    public static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Prints <paramref name="status"/> every <paramref name="interval"/> until the returned handle is disposed.</summary>
    public static IAsyncDisposable Progress(string phase, Func<string> status, TimeSpan? interval = null) =>
        new ProgressLine(phase, status, interval ?? TimeSpan.FromSeconds(2));

    public static string Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var text = new StringBuilder();
        text.Append("| ").AppendJoin(" | ", header).AppendLine(" |");
        text.Append('|').AppendJoin('|', header.Select(_ => " --- ")).AppendLine("|");
        foreach (var row in rows)
        {
            text.Append("| ").AppendJoin(" | ", row).AppendLine(" |");
        }

        return text.ToString();
    }

    /// <summary>The load on the machine, worth printing beside every result (other work shares these cores).</summary>
    public static string MachineLine()
    {
        var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a";
        return string.Create(CultureInfo.InvariantCulture,
            $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, loadavg {load}");
    }

    private sealed class ProgressLine : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public ProgressLine(string phase, Func<string> status, TimeSpan interval)
        {
            var started = Stopwatch.StartNew();
            _loop = Task.Run(async () =>
            {
                using var timer = new PeriodicTimer(interval);
                try
                {
                    while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
                    {
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  [{phase} {started.Elapsed.TotalSeconds,5:0}s] {status()}"));
                    }
                }
                catch (OperationCanceledException)
                {
                    // Disposed: the phase is over.
                }
            });
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            await _loop.ConfigureAwait(false);
            _stop.Dispose();
        }
    }
}
