using System.Diagnostics;
using System.Globalization;
using RestaurantOs.Bench.Infrastructure;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Services;
using RestaurantOs.WebPubSub.Client;

namespace RestaurantOs.Bench.Scenarios;

/// <summary>
/// Write-to-screen at Azure latencies: the <c>latency</c> scenario's DevHost, screens, open-loop writes and oracle,
/// with a fixed delay added to every Web PubSub REST call the functions make (a handler on the service client's
/// HttpClient; the screens' WebSockets are untouched) and to every store call (a decorator over each store port:
/// orders, tables, payments, notifications, event history, change feed). Reports, per window of the run, the events
/// the writes offered and the events the pipeline published per second, and the write-to-screen p50/p99/max of the
/// writes that started in that window, so a queue that grows shows as latency that grows; then the order check per
/// screen (missing, duplicates, out of order by <c>seq</c>) and where the process spent its time.
/// </summary>
internal static class AzureLatencyScenario
{
    /// <summary>The store ports DevHost registers; each is wrapped in a <see cref="StoreDelayProxy"/>.</summary>
    private static readonly Type[] StorePorts =
        [typeof(IOrderStore), typeof(ITableStore), typeof(IPaymentStore), typeof(INotificationStore), typeof(IEventHistory), typeof(IChangeFeed)];

    public static async Task<int> RunAsync(BenchArgs args, CancellationToken cancellationToken)
    {
        var restaurants = args.Int("restaurants", 50);
        var screensPer = args.Int("screens", 4);
        var rate = args.Double("rate", 50);
        var duration = TimeSpan.FromSeconds(args.Double("duration", 60));
        var warmup = TimeSpan.FromSeconds(args.Double("warmup", 5));
        var restDelay = TimeSpan.FromMilliseconds(args.Double("rest-delay-ms", 10));
        var storeDelay = TimeSpan.FromMilliseconds(args.Double("store-delay-ms", 5));
        // A Cosmos DB feed read is one request per container (four) for each held range, one after another.
        var feedDelay = TimeSpan.FromMilliseconds(args.Double("feed-delay-ms", storeDelay.TotalMilliseconds));
        var lanes = args.String("lanes", "");
        var pages = args.String("pages", "");
        var window = TimeSpan.FromSeconds(args.Double("window", 10));
        var drainLimit = TimeSpan.FromSeconds(args.Double("drain", 60));
        var kdsSchedule = args.String("kds-schedule", "*/2 * * * * *");
        var holdSeconds = args.Double("hold-seconds", 0);
        args.EnsureAllRead();

        var settings = new List<string> { "--KdsSchedule", kdsSchedule };
        if (lanes.Length > 0)
        {
            settings.AddRange(["--Pipeline:MaxConcurrency", lanes]);
        }

        if (pages.Length > 0)
        {
            settings.AddRange(["--Pipeline:PagesInFlight", pages]);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"azure-latency: {restaurants} restaurants x {screensPer} screens = {restaurants * screensPer} connections, {rate} order writes/s (open loop) for {duration.TotalSeconds:0} s after a {warmup.TotalSeconds:0} s warm-up; +{restDelay.TotalMilliseconds} ms per Web PubSub REST call, +{storeDelay.TotalMilliseconds} ms per store call, +{feedDelay.TotalMilliseconds} ms per change-feed call; Pipeline:MaxConcurrency {(lanes.Length > 0 ? lanes : "(product default)")}, Pipeline:PagesInFlight {(pages.Length > 0 ? pages : "(product default)")}; windows of {window.TotalSeconds:0} s"));
        Console.WriteLine(Report.MachineLine());

        // --hold-seconds: the pipeline's feed reads wait while the measured writes build a backlog, which it then
        // publishes as fast as it can (its throughput, without the writers competing for the same cores).
        var hold = holdSeconds > 0 ? new FeedHold(EventPipeline.Consumer) : null;
        hold?.Open();
        var log = new PublishLog();
        using var meters = new MeterCounters(new KdsMode());
        var decorations = new List<Decoration> { Decoration.For<IEventPublisher>((_, inner) => new LoggingPublisher(inner, log)) };
        if (storeDelay > TimeSpan.Zero || feedDelay > TimeSpan.Zero || hold is not null)
        {
            decorations.AddRange(StorePorts.Select(port => new Decoration(port, (_, inner) => port == typeof(IChangeFeed) ? Wrap(port, inner, feedDelay, hold) : Wrap(port, inner, storeDelay, null))));
        }

        await using var host = await BenchDevHost.StartAsync(
            settings,
            decorations,
            builder =>
            {
                if (restDelay > TimeSpan.Zero)
                {
                    builder.Services.AddHttpClient(WebPubSubOptions.HttpClientName).AddHttpMessageHandler(() => new DelayingHandler(restDelay));
                }
            },
            cancellationToken).ConfigureAwait(false);
        Console.WriteLine($"  Pipeline:MaxConcurrency as DevHost sees it: {host.App.Configuration["Pipeline:MaxConcurrency"] ?? "(unset)"}");
        var run = new WriteToScreenRun(host.BaseUri, host.Jwt, restaurants, screensPer);
        try
        {
            await using var sampler = new ProcessSampler();
            await run.ConnectAsync(cancellationToken).ConfigureAwait(false);
            await run.WriteAsync(rate, warmup, phase: null, cancellationToken).ConfigureAwait(false);
            await run.DrainAsync(cancellationToken, drainLimit).ConfigureAwait(false);

            const string phase = "measured";
            var before = meters.Snapshot();
            var storeCallsBefore = StoreDelayProxy.Calls;
            var feedBefore = StoreDelayProxy.CallsByMethod;
            hold?.Close();
            var start = Stopwatch.GetTimestamp();
            await run.WriteAsync(rate, hold is null ? duration : TimeSpan.FromSeconds(holdSeconds), phase, cancellationToken).ConfigureAwait(false);
            var writesEnd = Stopwatch.GetTimestamp();
            hold?.Open();
            var publishedWhileWriting = log.PerWindow(start, writesEnd, window);
            await run.DrainAsync(cancellationToken, drainLimit).ConfigureAwait(false);
            var end = Stopwatch.GetTimestamp();
            var totals = run.Evaluate(phase, start, end, meters.Snapshot() - before);
            var storeCalls = StoreDelayProxy.Calls - storeCallsBefore;
            var feedAfter = StoreDelayProxy.CallsByMethod;
            long FeedCalls(string method) => feedAfter.GetValueOrDefault("IChangeFeed." + method) - feedBefore.GetValueOrDefault("IChangeFeed." + method);

            var windows = run.Windows(phase, start, window);
            var check = run.CheckOrder();
            var drainSeconds = (end - writesEnd) / (double)Stopwatch.Frequency;
            var publishedInDrain = log.PerWindow(writesEnd, end, TimeSpan.FromSeconds(Math.Max(drainSeconds, 0.001))).Sum();
            Print(windows, publishedWhileWriting, window, start, sampler, totals, check, storeCalls, publishedInDrain, drainSeconds);
            var seconds = (end - start) / (double)Stopwatch.Frequency;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"- change feed (all consumers): {FeedCalls("ReadAsync")} reads ({FeedCalls("ReadAsync") / seconds:0.0}/s), {FeedCalls("CheckpointAsync")} checkpoints ({FeedCalls("CheckpointAsync") / seconds:0.0}/s) over {seconds:0.0} s"));
            if (hold is not null)
            {
                var drained = log.Since(writesEnd);
                var busy = drained.Count == 0 ? 0 : (drained[^1] - writesEnd) / (double)Stopwatch.Frequency;
                var held = windows.Sum(w => w.EventsOffered);
                var during = sampler.Summary(writesEnd, end);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"- backlog: {held} events held, {drained.Count} published in {busy:0.00} s after the feed was released = {(busy > 0 ? drained.Count / busy : 0):0.0} events/s (Pipeline:MaxConcurrency {(lanes.Length > 0 ? lanes : "default")}); bench cores {during.ProcessCores:0.00}, machine cores {during.MachineCores:0.00}, GC pause {during.GcPausePercent:0.0} %"));
            }

            return totals.Missing == 0 && totals.Unexpected == 0 && totals.FailedWrites == 0 && check.Missing == 0 && check.Duplicates == 0 && check.OutOfOrder == 0 ? 0 : 1;
        }
        finally
        {
            run.Dispose();
            await Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>A latency cell, or a dash for a window whose events never arrived.</summary>
    private static string Ms(Percentiles latency, double value) => latency.Count == 0 ? "—" : Report.F(value);

    private static object Wrap(Type port, object inner, TimeSpan delay, FeedHold? hold) =>
        typeof(StoreDelayProxy).GetMethod(nameof(StoreDelayProxy.Wrap))!.MakeGenericMethod(port).Invoke(null, [inner, delay, hold])!;

    private static void Print(
        IReadOnlyList<WindowLatency> windows, long[] published, TimeSpan window, long start, ProcessSampler sampler,
        PhaseResult totals, OrderCheck check, long storeCalls, long publishedInDrain, double drainSeconds)
    {
        var seconds = window.TotalSeconds;
        var ticks = (long)(seconds * Stopwatch.Frequency);
        Console.WriteLine();
        Console.WriteLine("#### Per window (writes grouped by when they started)");
        Console.WriteLine();
        Console.WriteLine(Report.Table(
            ["window", "writes", "events/s offered", "events/s published", "p50 ms", "p99 ms", "max ms", "undelivered", "bench cores", "machine cores", "pool threads", "pool queue (max)", "GC pause %"],
            windows.Select(w =>
            {
                var from = start + (w.Index * ticks);
                var s = sampler.Summary(from, from + ticks);
                var pub = w.Index < published.Length ? published[w.Index] / seconds : 0;
                return (IReadOnlyList<string>)[
                    string.Create(CultureInfo.InvariantCulture, $"{w.Index * seconds:0}–{(w.Index + 1) * seconds:0} s"),
                    Report.N(w.Writes), Report.F(w.EventsOffered / seconds), Report.F(pub),
                    Ms(w.Latency, w.Latency.P50), Ms(w.Latency, w.Latency.P99), Ms(w.Latency, w.Latency.Max), Report.N(w.Missing),
                    Report.F(s.ProcessCores, "0.00"), Report.F(s.MachineCores, "0.00"), Report.N(s.ThreadPoolThreads), Report.N(s.ThreadPoolQueue), Report.F(s.GcPausePercent)];
            })));
        var offered = windows.Sum(w => w.EventsOffered);
        var writeSeconds = windows.Count * seconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"- whole run: {totals.Writes} writes ({totals.FailedWrites} failed), {offered} events offered ({offered / writeSeconds:0.0}/s), {published.Sum()} published while writing ({published.Sum() / writeSeconds:0.0}/s), {publishedInDrain} more in the {drainSeconds:0.0} s drain after the writes stopped"));
        Console.WriteLine($"- write-to-screen, all deliveries of the measured writes: {totals.Latency}; missing {totals.Missing}, unexpected {totals.Unexpected}");
        var delivered = windows.Where(w => w.Latency.Count > 0).ToList();
        if (delivered.Count >= 2)
        {
            var first = delivered[0].Latency.P99;
            var last = delivered[^1].Latency.P99;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"- p99 first window {first:0.0} ms, last window with deliveries {last:0.0} ms (last / first {last / first:0.00}; highest window {delivered.Max(w => w.Latency.P99):0.0} ms){(delivered.Count < windows.Count ? $"; {windows.Count - delivered.Count} window(s) had nothing delivered before the drain limit" : "")}"));
        }

        Console.WriteLine();
        Console.WriteLine("#### Order check per screen (whole run, warm-up included)");
        Console.WriteLine();
        Console.WriteLine(Report.Table(
            ["screens", "expected deliveries", "received", "missing", "duplicates", "out of order", "screens missing", "screens with duplicates", "screens out of order"],
            [[Report.N(check.Screens), Report.N(check.Expected), Report.N(check.Received), Report.N(check.Missing), Report.N(check.Duplicates), Report.N(check.OutOfOrder), Report.N(check.ScreensMissing), Report.N(check.ScreensWithDuplicates), Report.N(check.ScreensOutOfOrder)]]));
        Console.WriteLine($"- calls in the measured phase: {string.Join(", ", totals.Meters.RestByOperation.Where(kv => kv.Value > 0).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"))} (Web PubSub REST, each delayed); {storeCalls} delayed store calls");
    }
}
