using System.Diagnostics;
using System.Globalization;

namespace RestaurantOs.Bench.Infrastructure;

/// <summary>One second of this process and of the machine: where a slow run spent its time.</summary>
internal readonly record struct ProcessSample(long Timestamp, double ProcessCores, double MachineCores, int ThreadPoolThreads, long ThreadPoolQueue, double GcPausePercent);

/// <summary>
/// Samples once a second, until disposed: this process's CPU (load generator and DevHost share it), the whole
/// machine's busy CPU from <c>/proc/stat</c> (other people's builds show up here), the thread pool's threads and
/// queued work items, and the share of time in GC pauses.
/// </summary>
internal sealed class ProcessSampler : IAsyncDisposable
{
    private readonly List<ProcessSample> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public ProcessSampler() => _loop = Task.Run(LoopAsync);

    public IReadOnlyList<ProcessSample> Samples
    {
        get
        {
            lock (_samples)
            {
                return _samples.ToList();
            }
        }
    }

    /// <summary>Averages (CPU, GC) and maxima (threads, queue) of the samples taken in [start, end).</summary>
    public ProcessSample Summary(long start, long end)
    {
        var inRange = Samples.Where(s => s.Timestamp >= start && s.Timestamp < end).ToList();
        return inRange.Count == 0
            ? default
            : new ProcessSample(start, inRange.Average(s => s.ProcessCores), inRange.Average(s => s.MachineCores),
                inRange.Max(s => s.ThreadPoolThreads), inRange.Max(s => s.ThreadPoolQueue), inRange.Average(s => s.GcPausePercent));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        using var self = Process.GetCurrentProcess();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var lastWall = Stopwatch.GetTimestamp();
        var lastCpu = self.TotalProcessorTime;
        var lastPause = GC.GetTotalPauseDuration();
        var lastMachine = ReadMachine();
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                self.Refresh();
                var wall = Stopwatch.GetTimestamp();
                var cpu = self.TotalProcessorTime;
                var pause = GC.GetTotalPauseDuration();
                var machine = ReadMachine();
                var seconds = (wall - lastWall) / (double)Stopwatch.Frequency;
                var machineCores = machine.Total > lastMachine.Total
                    ? (machine.Busy - lastMachine.Busy) / (double)(machine.Total - lastMachine.Total) * Environment.ProcessorCount
                    : 0;
                var sample = new ProcessSample(
                    wall,
                    (cpu - lastCpu).TotalSeconds / seconds,
                    machineCores,
                    ThreadPool.ThreadCount,
                    ThreadPool.PendingWorkItemCount,
                    (pause - lastPause).TotalSeconds / seconds * 100);
                lock (_samples)
                {
                    _samples.Add(sample);
                }

                (lastWall, lastCpu, lastPause, lastMachine) = (wall, cpu, pause, machine);
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    /// <summary>Busy and total jiffies of all CPUs (first line of /proc/stat); zeros where there is none.</summary>
    private static (long Busy, long Total) ReadMachine()
    {
        if (!File.Exists("/proc/stat"))
        {
            return (0, 0);
        }

        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        // user nice system idle iowait irq softirq steal ...
        var idle = fields[3] + fields[4];
        var total = fields.Take(8).Sum();
        return (total - idle, total);
    }
}
