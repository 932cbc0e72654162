using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using RestaurantOs.Bench.Infrastructure;
using RestaurantOs.Bench.Servers;

namespace RestaurantOs.Bench.Scenarios;

/// <summary>
/// Scenario 4, connections: N idle connections held by each server in its own process; memory per connection is the
/// difference before and after, measured by the server itself after a forced compacting GC.
/// </summary>
internal static class ConnectionsScenario
{
    public static async Task<int> RunAsync(BenchArgs args, CancellationToken cancellationToken)
    {
        var connections = args.Int("connections", 5000);
        var groups = args.Int("groups", 50);
        var settle = TimeSpan.FromSeconds(args.Double("settle", 3));
        var targets = args.List("targets", "emulator,kestrel,signalr");
        // Keeps the connections open after measuring, e.g. for "dotnet-gcdump collect -p <pid>".
        var hold = TimeSpan.FromSeconds(args.Double("hold", 0));
        args.EnsureAllRead();
        Console.WriteLine($"connections: {connections} idle connections (in {groups} groups) per server");
        Console.WriteLine(Report.MachineLine());

        var rows = new List<(string Target, ServerMemory Before, ServerMemory After, int Open)>();
        foreach (var target in targets)
        {
            Console.WriteLine($"== {target}");
            await using var server = await ChildServer.StartAsync(target, cancellationToken).ConfigureAwait(false);
            using var http = new HttpClient();
            using var loopback = new LoopbackClients(connections);
            var before = await server.MemoryAsync(http, cancellationToken).ConfigureAwait(false);
            var sockets = new ClientWebSocket[connections];
            var loops = new Task[connections];
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var connected = 0;
            var watch = Stopwatch.StartNew();
            await using (Report.Progress("connect", () => $"{Volatile.Read(ref connected)}/{connections} connected"))
            {
                await Parallel.ForAsync(0, connections, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken }, async (i, ct) =>
                {
                    var group = "g" + (i % groups).ToString(CultureInfo.InvariantCulture);
                    var socket = await BenchServers.ConnectClientAsync(loopback, server.BaseUri, target, group, i, ct).ConfigureAwait(false);
                    sockets[i] = socket;
                    loops[i] = FrameReader.RunAsync(socket, static (_, _) => { }, stop.Token);
                    Interlocked.Increment(ref connected);
                }).ConfigureAwait(false);
            }

            Console.WriteLine($"  {connections} connected in {watch.Elapsed.TotalSeconds:0.0} s; settling {settle.TotalSeconds:0} s");
            await Task.Delay(settle, cancellationToken).ConfigureAwait(false);
            var after = await server.MemoryAsync(http, cancellationToken).ConfigureAwait(false);
            var open = loops.Count(l => !l.IsCompleted);
            rows.Add((target, before, after, open));
            if (hold > TimeSpan.Zero)
            {
                Console.WriteLine($"  holding {hold.TotalSeconds:0} s; server process id {server.ProcessId}");
                await Task.Delay(hold, cancellationToken).ConfigureAwait(false);
            }

            Console.WriteLine($"  {target}: open {open}, GC heap {Kb(after.GcHeapBytes - before.GcHeapBytes, connections)} KB/conn, working set {Kb(after.WorkingSetBytes - before.WorkingSetBytes, connections)} KB/conn");
            await stop.CancelAsync().ConfigureAwait(false);
            foreach (var socket in sockets)
            {
                socket.Abort();
                socket.Dispose();
            }
        }

        Console.WriteLine();
        Console.WriteLine($"### Idle connections ({connections} per server)");
        Console.WriteLine();
        Console.WriteLine(Report.Table(
            ["server", "open at end", "GC heap before MB", "GC heap after MB", "GC heap KB/conn", "working set before MB", "working set after MB", "working set KB/conn"],
            rows.Select(r => (IReadOnlyList<string>)[
                r.Target, Report.N(r.Open),
                Mb(r.Before.GcHeapBytes), Mb(r.After.GcHeapBytes), Kb(r.After.GcHeapBytes - r.Before.GcHeapBytes, connections),
                Mb(r.Before.WorkingSetBytes), Mb(r.After.WorkingSetBytes), Kb(r.After.WorkingSetBytes - r.Before.WorkingSetBytes, connections)])));
        var ours = rows.FirstOrDefault(r => r.Target == "emulator");
        var raw = rows.FirstOrDefault(r => r.Target == "kestrel");
        if (ours.Target is not null && raw.Target is not null)
        {
            var heap = (ours.After.GcHeapBytes - ours.Before.GcHeapBytes) / (double)(raw.After.GcHeapBytes - raw.Before.GcHeapBytes);
            var ws = (ours.After.WorkingSetBytes - ours.Before.WorkingSetBytes) / (double)(raw.After.WorkingSetBytes - raw.Before.WorkingSetBytes);
            Console.WriteLine($"- emulator / kestrel per connection: GC heap {Report.F(heap, "0.00")}x, working set {Report.F(ws, "0.00")}x (target <= 1.10x: {(ws <= 1.10 ? "met" : "MISSED")} on working set, {(heap <= 1.10 ? "met" : "MISSED")} on GC heap)");
        }

        return 0;
    }

    private static string Mb(long bytes) => Report.F(bytes / 1048576.0);

    private static string Kb(long bytes, int connections) => Report.F(bytes / 1024.0 / connections, "0.00");

}
