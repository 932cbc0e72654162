using System.Diagnostics;
using RestaurantOs.Bench.Infrastructure;
using RestaurantOs.Realtime.Ports;

namespace RestaurantOs.Bench.Scenarios;

/// <summary>
/// Scenarios 1 and 3. DevHost runs in this process (emulator + functions + SQLite, real loopback HTTP between them);
/// R restaurants × S screens connect through <c>/api/negotiate</c> with mixed roles and filters; order writes go
/// through the HTTP API at a fixed rate. Every delivery is matched against what each screen should receive (the role
/// table and its subscriptions), so missing and unexpected deliveries are counted, and latency is from the start of
/// the POST to the arrival at each screen. <c>cost</c> runs a batching-on phase and a batching-off phase on the same
/// connections and counts REST calls (meter <c>RestaurantOs.WebPubSub</c>) and billed outbound messages (2 KB units
/// per recipient, counted at the screens).
/// </summary>
internal static class LatencyScenario
{
    public static async Task<int> RunAsync(BenchArgs args, bool cost, CancellationToken cancellationToken)
    {
        var restaurants = args.Int("restaurants", 50);
        var screensPer = args.Int("screens", 20);
        var rate = args.Double("rate", 50);
        var duration = TimeSpan.FromSeconds(args.Double("duration", cost ? 30 : 60));
        var warmup = TimeSpan.FromSeconds(args.Double("warmup", 5));
        var kdsSchedule = args.String("kds-schedule", "*/2 * * * * *");
        args.EnsureAllRead();

        Console.WriteLine($"{(cost ? "cost" : "latency")}: {restaurants} restaurants x {screensPer} screens = {restaurants * screensPer} connections, {rate} order writes/s for {duration.TotalSeconds:0} s{(cost ? " per phase (KDS batching on, then off)" : "")}, warm-up {warmup.TotalSeconds:0} s, KdsSchedule '{kdsSchedule}'");
        Console.WriteLine(Report.MachineLine());

        var mode = new KdsMode();
        using var meters = new MeterCounters(mode);
        await using var host = await BenchDevHost.StartAsync(
            ["--KdsSchedule", kdsSchedule],
            [Decoration.For<IEventPublisher>((sp, inner) => new KdsModePublisher(inner, mode, sp.GetRequiredService<TimeProvider>()))],
            configure: null,
            cancellationToken).ConfigureAwait(false);
        var run = new WriteToScreenRun(host.BaseUri, host.Jwt, restaurants, screensPer);
        try
        {
            await run.ConnectAsync(cancellationToken).ConfigureAwait(false);

            // Warm-up writes are matched too (so their late deliveries are not "unexpected"), but not reported.
            await run.WriteAsync(rate, warmup, phase: null, cancellationToken).ConfigureAwait(false);
            await run.DrainAsync(cancellationToken).ConfigureAwait(false);

            var phases = new List<PhaseResult>();
            foreach (var unbatched in cost ? new[] { false, true } : [false])
            {
                mode.Unbatched = unbatched;
                var name = unbatched ? "batching off" : "batching on";
                var before = meters.Snapshot();
                var start = Stopwatch.GetTimestamp();
                await run.WriteAsync(rate, duration, name, cancellationToken).ConfigureAwait(false);
                await run.DrainAsync(cancellationToken).ConfigureAwait(false);
                var end = Stopwatch.GetTimestamp();
                phases.Add(run.Evaluate(name, start, end, meters.Snapshot() - before));
            }

            PrintResults(phases, restaurants * screensPer, rate, duration, cost);
            return phases.All(p => p.Missing == 0 && p.Unexpected == 0 && p.FailedWrites == 0) ? 0 : 1;
        }
        finally
        {
            run.Dispose();
            // Let the emulator's disconnected calls reach the functions before the host stops.
            await Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static void PrintResults(List<PhaseResult> phases, int connections, double rate, TimeSpan duration, bool cost)
    {
        Console.WriteLine();
        Console.WriteLine($"### Write-to-screen latency ({connections} connections, {Report.F(rate, "0")} writes/s, {duration.TotalSeconds:0} s per phase)");
        Console.WriteLine();
        Console.WriteLine(Report.Table(
            ["phase", "writes", "failed writes", "deliveries", "missing", "unexpected", .. Percentiles.Header],
            phases.Select(p => (IReadOnlyList<string>)[p.Name, Report.N(p.Writes), Report.N(p.FailedWrites), Report.N(p.Latency.Count), Report.N(p.Missing), Report.N(p.Unexpected), .. p.Latency.Cells])));
        var first = phases[0];
        Console.WriteLine($"By event type ({first.Name}):");
        Console.WriteLine();
        Console.WriteLine(Report.Table(
            ["event", "deliveries", .. Percentiles.Header],
            first.ByType.Select(kv => (IReadOnlyList<string>)[kv.Key, Report.N(kv.Value.Count), .. kv.Value.Cells])));
        Console.WriteLine($"- p99 write-to-screen {Report.F(first.Latency.P99)} ms (target <= 100 ms: {(first.Latency.P99 <= 100 ? "met" : "MISSED")}); missing {first.Missing}, unexpected {first.Unexpected} (target 0: {(first.Missing == 0 && first.Unexpected == 0 ? "met" : "MISSED")})");
        Console.WriteLine();
        Console.WriteLine("### Cost");
        Console.WriteLine();
        Console.WriteLine(Report.Table(
            ["phase", "order changes", "events sent", "of which kds:update", "REST calls (all)", "event sends (SendToAll)", "event sends / event", "all REST calls / event", "billed msgs / 1,000 changes (all)", "kds msgs delivered / 1,000 changes", "kds billed / 1,000 changes"],
            phases.Select(p => (IReadOnlyList<string>)[
                p.Name, Report.N(p.Writes), Report.N(p.Meters.EventsPublished), Report.N(p.Meters.KdsPublished), Report.N(p.Meters.RestCalls), Report.N(p.Meters.EventSends),
                Report.F(Ratio(p.Meters.EventSends, p.Meters.EventsPublished), "0.000"),
                Report.F(Ratio(p.Meters.RestCalls, p.Meters.EventsPublished), "0.000"),
                Report.F(PerThousand(p.BilledAll, p.Writes), "N0"),
                Report.F(PerThousand(p.KdsMessages, p.Writes), "N0"),
                Report.F(PerThousand(p.KdsBilled, p.Writes), "N0")])));
        Console.WriteLine($"- REST calls per event (batching on): {Report.F(Ratio(first.Meters.EventSends, first.Meters.EventsPublished), "0.000")} event sends per event (target <= 1), {Report.F(Ratio(first.Meters.RestCalls, first.Meters.EventsPublished), "0.000")} counting every REST call; by operation: {string.Join(", ", first.Meters.RestByOperation.Where(kv => kv.Value > 0).Select(kv => $"{kv.Key}={kv.Value}"))}; product counter realtime.events.published={first.Meters.PipelineEvents}");
        if (cost && phases.Count == 2 && phases[0].KdsBilled > 0)
        {
            var saving = PerThousand(phases[1].KdsBilled, phases[1].Writes) / PerThousand(phases[0].KdsBilled, phases[0].Writes);
            var total = PerThousand(phases[1].BilledAll, phases[1].Writes) / PerThousand(phases[0].BilledAll, phases[0].Writes);
            Console.WriteLine($"- KDS billed messages, off / on: {Report.F(saving, "0.0")}x fewer with batching (target >= 5x: {(saving >= 5 ? "met" : "MISSED")}); all billed messages off / on: {Report.F(total, "0.00")}x");
        }
    }

    private static double Ratio(long value, long of) => of == 0 ? 0 : value / (double)of;

    private static double PerThousand(long value, long writes) => writes == 0 ? 0 : value * 1000.0 / writes;
}
