using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using RestaurantOs.Bench.Infrastructure;
using RestaurantOs.DevHost;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Contracts;

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
    private static readonly string[] StatusFlow = ["confirmed", "preparing", "ready", "completed"];

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

        var dataDir = Path.Combine(Path.GetTempPath(), "ros-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDir);
        var mode = new KdsMode();
        using var meters = new MeterCounters(mode);
        var app = DevHostApp.Create(
            [
                "--urls", "http://127.0.0.1:0",
                "--Storage:Provider", "sqlite",
                "--Storage:Sqlite:Path", Path.Combine(dataDir, "bench.db"),
                "--KdsSchedule", kdsSchedule,
                "--Logging:LogLevel:Default", "Warning",
                "--Logging:LogLevel:Microsoft.AspNetCore", "Warning",
            ],
            builder => builder.Host.UseServiceProviderFactory(new DecoratingServiceProviderFactory(mode)));
        Run? run = null;
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var baseUri = new Uri(app.Urls.First(u => u.StartsWith("http://", StringComparison.Ordinal)));
            var jwt = app.Services.GetRequiredService<IOptions<AppJwtOptions>>().Value;
            run = new Run(baseUri, jwt, restaurants, screensPer);
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
            if (run is not null)
            {
                run.Dispose();
                // Let the emulator's disconnected calls reach the functions before the host stops.
                await Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None).ConfigureAwait(false);
            }

            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            TryDelete(dataDir);
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

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }

    private sealed record PhaseResult(string Name, long Writes, long FailedWrites, long Missing, long Unexpected, Percentiles Latency, long BilledAll, long KdsMessages, long KdsBilled, MeterTotals Meters, Dictionary<string, Percentiles> ByType);

    /// <summary>One screen: its restaurant, role, subscriptions, and the customer orders it owns.</summary>
    private sealed record ScreenSpec(int Restaurant, Role Role, string[]? Events, string? Table, int CustomerSlot)
    {
        public bool ShouldReceive(string type, int orderIndex, string table)
        {
            if (!RoleAllows(Role, type) || (Role == Role.Customer && orderIndex % 4 != CustomerSlot))
            {
                return false;
            }

            return Events is null || (Events.Contains(type) && (Table is null || Table == table));
        }

        public bool MayReceiveKds => RoleAllows(Role, EventTypes.KdsUpdate) && (Events is null || Events.Contains(EventTypes.KdsUpdate));

        /// <summary>The permission table of docs/events.md, restated here so the product is checked, not copied.</summary>
        private static bool RoleAllows(Role role, string type) => type switch
        {
            EventTypes.OrderCreated or EventTypes.OrderUpdated or EventTypes.OrderStatus => true,
            EventTypes.KdsUpdate or EventTypes.NotificationKitchen => role is Role.Owner or Role.Manager or Role.Service or Role.Server or Role.Kitchen or Role.Expo,
            EventTypes.NotificationCustomer => role is Role.Owner or Role.Manager or Role.Service or Role.Server or Role.Customer,
            _ => false,
        };
    }

    /// <summary>One write and the events it must produce (ids are derived from order id, version and type).</summary>
    private sealed record WriteRecord(int Restaurant, int OrderIndex, Guid OrderId, string Table, long StartTimestamp, string? Phase)
    {
        public int Version { get; set; }

        public string[] Types { get; set; } = [];

        public bool Failed { get; set; }

        public string EventId(string type) => $"order:{OrderId:N}:v{Version.ToString(CultureInfo.InvariantCulture)}:{type}";
    }

    private readonly record struct Arrival(int Screen, string Id, string Type, string? RestaurantId, long Timestamp, int Bytes);

    /// <summary>The connections, writers and delivery log of one run.</summary>
    private sealed class Run(Uri baseUri, AppJwtOptions jwt, int restaurants, int screensPer) : IDisposable
    {
        private const int OrdersPerRestaurant = 80;
        private readonly HttpClient _http = new(new SocketsHttpHandler { MaxConnectionsPerServer = 64, UseProxy = false }) { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(30) };
        private readonly LoopbackClients _loopback = new(restaurants * screensPer);
        private readonly Guid[] _restaurantIds = Enumerable.Range(0, restaurants).Select(_ => Guid.NewGuid()).ToArray();
        private readonly Guid[][] _orders = Enumerable.Range(0, restaurants).Select(_ => Enumerable.Range(0, OrdersPerRestaurant).Select(_ => Guid.NewGuid()).ToArray()).ToArray();
        private readonly RestaurantState[] _state = Enumerable.Range(0, restaurants).Select(_ => new RestaurantState()).ToArray();
        private readonly ConcurrentQueue<WriteRecord> _writes = new();
        private readonly ConcurrentQueue<Arrival> _arrivals = new();
        private readonly List<Screen> _screens = [];
        private readonly CancellationTokenSource _stop = new();
        private long _lastArrival;
        private int _failuresReported;

        public async Task ConnectAsync(CancellationToken cancellationToken)
        {
            var specs = new List<ScreenSpec>();
            for (var r = 0; r < restaurants; r++)
            {
                for (var s = 0; s < screensPer; s++)
                {
                    specs.Add(Mix(r, s % 20));
                }
            }

            var screens = new Screen[specs.Count];
            var connected = 0;
            var watch = Stopwatch.StartNew();
            await using (Report.Progress("connect", () => $"{Volatile.Read(ref connected)}/{specs.Count} screens connected and subscribed"))
            {
                await Parallel.ForAsync(0, specs.Count, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (i, ct) =>
                {
                    screens[i] = await ConnectScreenAsync(i, specs[i], ct).ConfigureAwait(false);
                    Interlocked.Increment(ref connected);
                }).ConfigureAwait(false);
            }

            _screens.AddRange(screens);
            Console.WriteLine($"  {screens.Length} screens connected in {watch.Elapsed.TotalSeconds:0.0} s ({_screens.Count(s => s.Spec.Events is not null)} with explicit subscriptions)");
        }

        public async Task WriteAsync(double rate, TimeSpan duration, string? phase, CancellationToken cancellationToken)
        {
            var interval = Stopwatch.Frequency / rate;
            var start = Stopwatch.GetTimestamp();
            var end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            var inFlight = new List<Task>();
            long issued = 0, skipped = 0;
            var arrivalsAtStart = _arrivals.Count;
            await using (Report.Progress(phase ?? "warm-up", () => string.Create(CultureInfo.InvariantCulture,
                             $"writes {Volatile.Read(ref issued)} (skipped, restaurant busy: {Volatile.Read(ref skipped)}), deliveries {_arrivals.Count - arrivalsAtStart}, open {_screens.Count(s => s.Open)}/{_screens.Count}")))
            {
                for (long k = 0; ; k++)
                {
                    var due = start + (long)(k * interval);
                    if (due >= end)
                    {
                        break;
                    }

                    var wait = due - Stopwatch.GetTimestamp();
                    if (wait > 0)
                    {
                        await Task.Delay(TimeSpan.FromSeconds(wait / (double)Stopwatch.Frequency), cancellationToken).ConfigureAwait(false);
                    }

                    var r = (int)(k % restaurants);
                    if (Interlocked.CompareExchange(ref _state[r].Busy, 1, 0) != 0)
                    {
                        Interlocked.Increment(ref skipped);
                        continue;
                    }

                    Interlocked.Increment(ref issued);
                    inFlight.Add(WriteOneAsync(r, phase, cancellationToken));
                }

                await Task.WhenAll(inFlight).ConfigureAwait(false);
            }

            if (skipped > 0)
            {
                Console.WriteLine($"  {skipped} scheduled writes skipped because the restaurant's previous write had not returned");
            }
        }

        /// <summary>Waits until no delivery has arrived for 2.5 s (at most 15 s): KDS batches come every 2 s.</summary>
        public async Task DrainAsync(CancellationToken cancellationToken)
        {
            var watch = Stopwatch.StartNew();
            Volatile.Write(ref _lastArrival, Stopwatch.GetTimestamp());
            while (watch.Elapsed < TimeSpan.FromSeconds(15)
                   && Stopwatch.GetElapsedTime(Volatile.Read(ref _lastArrival)) < TimeSpan.FromSeconds(2.5))
            {
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }

        public PhaseResult Evaluate(string phase, long start, long end, MeterTotals meters)
        {
            var arrivals = _arrivals.ToArray();
            var byKey = new Dictionary<(int Screen, string Id), List<Arrival>>();
            foreach (var a in arrivals)
            {
                if (!byKey.TryGetValue((a.Screen, a.Id), out var list))
                {
                    byKey[(a.Screen, a.Id)] = list = [];
                }

                list.Add(a);
            }

            var expected = new HashSet<(int, string)>();
            var latency = new Latency();
            var byType = new Dictionary<string, Latency>(StringComparer.Ordinal);
            long missing = 0, writes = 0, failed = 0, billed = 0;
            var allWrites = _writes.ToArray();
            foreach (var w in allWrites.Where(w => !w.Failed))
            {
                foreach (var type in w.Types)
                {
                    var id = w.EventId(type);
                    for (var s = w.Restaurant * screensPer; s < (w.Restaurant + 1) * screensPer; s++)
                    {
                        if (!_screens[s].Spec.ShouldReceive(type, w.OrderIndex, w.Table))
                        {
                            continue;
                        }

                        expected.Add((s, id));
                        if (w.Phase != phase)
                        {
                            continue;
                        }

                        if (byKey.TryGetValue((s, id), out var got))
                        {
                            latency.RecordSince(w.StartTimestamp, got[0].Timestamp);
                            if (!byType.TryGetValue(type, out var typed))
                            {
                                byType[type] = typed = new Latency();
                            }

                            typed.RecordSince(w.StartTimestamp, got[0].Timestamp);
                        }
                        else
                        {
                            missing++;
                        }
                    }
                }
            }

            foreach (var w in allWrites.Where(w => w.Phase == phase))
            {
                writes++;
                failed += w.Failed ? 1 : 0;
            }

            // Unexpected: any delivery of a measured write's event to a screen that should not get it, any duplicate,
            // any event for another restaurant, and any kds:update to a screen that may not see the KDS.
            long unexpected = 0, kdsMessages = 0, kdsBilled = 0;
            var phaseIds = allWrites.Where(w => w.Phase == phase && !w.Failed).SelectMany(w => w.Types.Select(w.EventId)).ToHashSet(StringComparer.Ordinal);
            foreach (var a in arrivals)
            {
                var screen = _screens[a.Screen];
                var units = (a.Bytes + 2047) / 2048;
                var inWindow = a.Timestamp >= start && a.Timestamp <= end;
                if (a.RestaurantId != _restaurantIds[screen.Spec.Restaurant].ToString("D"))
                {
                    unexpected++;
                }

                if (a.Type == EventTypes.KdsUpdate)
                {
                    unexpected += screen.Spec.MayReceiveKds ? 0 : 1;
                    if (inWindow)
                    {
                        kdsMessages++;
                        kdsBilled += units;
                        billed += units;
                    }

                    continue;
                }

                if (phaseIds.Contains(a.Id))
                {
                    billed += units;
                    if (!expected.Contains((a.Screen, a.Id)))
                    {
                        unexpected++;
                    }
                }
                else if (!expected.Contains((a.Screen, a.Id)))
                {
                    // Not from any write we made (or a write of another phase sent to the wrong screen).
                    unexpected++;
                }
            }

            unexpected += byKey.Where(kv => kv.Value.Count > 1 && phaseIds.Contains(kv.Key.Id)).Sum(kv => kv.Value.Count - 1);
            var result = new PhaseResult(phase, writes, failed, missing, unexpected, latency.Snapshot(), billed, kdsMessages, kdsBilled, meters,
                byType.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => kv.Value.Snapshot(), StringComparer.Ordinal));
            Console.WriteLine($"  {phase}: writes {writes} (failed {failed}), {result.Latency}, missing {missing}, unexpected {unexpected}");
            return result;
        }

        public void Dispose()
        {
            _stop.Cancel();
            foreach (var screen in _screens)
            {
                screen.Socket.Abort();
                screen.Socket.Dispose();
            }

            _loopback.Dispose();
            _http.Dispose();
            _stop.Dispose();
        }

        /// <summary>20 screens per restaurant: the roles and subscriptions of a busy site.</summary>
        private static ScreenSpec Mix(int r, int slot) => slot switch
        {
            0 => new(r, Role.Owner, null, null, -1),
            1 => new(r, Role.Manager, null, null, -1),
            >= 2 and <= 5 => new(r, Role.Kitchen, null, null, -1),
            6 or 7 => new(r, Role.Kitchen, [EventTypes.OrderStatus, EventTypes.KdsUpdate], null, -1),
            8 or 9 => new(r, Role.Expo, null, null, -1),
            10 or 11 => new(r, Role.Cashier, null, null, -1),
            >= 12 and <= 15 => new(r, Role.Server, [EventTypes.OrderCreated, EventTypes.OrderUpdated, EventTypes.OrderStatus, EventTypes.NotificationCustomer], "T" + (slot - 11).ToString(CultureInfo.InvariantCulture), -1),
            16 => new(r, Role.Server, null, null, -1),
            _ => new(r, Role.Customer, null, null, slot - 17),
        };

        private string Token(int restaurant, Role role, string subject, IEnumerable<Guid>? orders)
        {
            var now = DateTimeOffset.UtcNow;
            return AppTokenIssuer.CreateHs256(jwt.SigningKey!, jwt.Issuer!, jwt.Audience!, subject, _restaurantIds[restaurant], role, orders, now.AddMinutes(-1), now.AddHours(2));
        }

        private async Task<Screen> ConnectScreenAsync(int index, ScreenSpec spec, CancellationToken cancellationToken)
        {
            var owned = spec.Role == Role.Customer ? _orders[spec.Restaurant].Where((_, i) => i % 4 == spec.CustomerSlot).Take(20) : null;
            var token = Token(spec.Restaurant, spec.Role, $"screen-{index}", owned);
            using var negotiate = new HttpRequestMessage(HttpMethod.Get, "/api/negotiate");
            negotiate.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await _http.SendAsync(negotiate, cancellationToken).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
            var url = new Uri(body.RootElement.GetProperty("url").GetString()!);
            var socket = await _loopback.ConnectAsync(url, index, null, cancellationToken).ConfigureAwait(false);
            var screen = new Screen(index, spec, socket, this);
            screen.Start(_stop.Token);
            await screen.WaitForAsync("connected", cancellationToken).ConfigureAwait(false);
            if (spec.Events is not null)
            {
                var filters = spec.Table is null ? "" : $",\"filters\":{{\"table_number\":\"{spec.Table}\"}}";
                var message = $"{{\"type\":\"subscribe\",\"events\":[{string.Join(',', spec.Events.Select(e => $"\"{e}\""))}]{filters}}}";
                var subscribed = screen.WaitForAsync("subscribed", cancellationToken);
                await socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
                await subscribed.ConfigureAwait(false);
            }

            return screen;
        }

        private async Task WriteOneAsync(int r, string? phase, CancellationToken cancellationToken)
        {
            var state = _state[r];
            try
            {
                if (state.Order < 0 || state.Step >= StatusFlow.Length)
                {
                    state.Order++;
                    state.Step = 0;
                    if (state.Order >= OrdersPerRestaurant)
                    {
                        throw new InvalidOperationException($"Restaurant {r} ran out of pre-generated orders; lower --rate or --duration.");
                    }

                    var orderId = _orders[r][state.Order];
                    var table = "T" + ((state.Order % 6) + 1).ToString(CultureInfo.InvariantCulture);
                    var record = new WriteRecord(r, state.Order, orderId, table, Stopwatch.GetTimestamp(), phase) { Types = [EventTypes.OrderCreated] };
                    _writes.Enqueue(record);
                    var json = $"{{\"id\":\"{orderId:D}\",\"type\":\"dine-in\",\"items\":[{{\"name\":\"Burger\",\"quantity\":2,\"price\":1000,\"modifiers\":[\"no onion\"]}},{{\"name\":\"Fries\",\"quantity\":1,\"price\":400}}],\"tax\":240,\"tip\":0,\"table_number\":\"{table}\",\"seat_number\":2}}";
                    record.Version = await PostAsync(r, "/api/orders", json, record, cancellationToken).ConfigureAwait(false);
                    if (record.Failed)
                    {
                        // Try this order again on the restaurant's next turn.
                        state.Order--;
                        state.Step = StatusFlow.Length;
                    }
                    else
                    {
                        state.Version = record.Version;
                    }
                }
                else
                {
                    var status = StatusFlow[state.Step];
                    var orderId = _orders[r][state.Order];
                    var table = "T" + ((state.Order % 6) + 1).ToString(CultureInfo.InvariantCulture);
                    var record = new WriteRecord(r, state.Order, orderId, table, Stopwatch.GetTimestamp(), phase)
                    {
                        Types = status switch
                        {
                            "confirmed" => [EventTypes.OrderUpdated, EventTypes.OrderStatus, EventTypes.NotificationKitchen],
                            "ready" => [EventTypes.OrderUpdated, EventTypes.OrderStatus, EventTypes.NotificationCustomer],
                            _ => [EventTypes.OrderUpdated, EventTypes.OrderStatus],
                        },
                    };
                    _writes.Enqueue(record);
                    var json = $"{{\"status\":\"{status}\",\"expected_version\":{state.Version.ToString(CultureInfo.InvariantCulture)}}}";
                    record.Version = await PostAsync(r, $"/api/orders/{orderId:D}/status", json, record, cancellationToken).ConfigureAwait(false);
                    if (!record.Failed)
                    {
                        state.Version = record.Version;
                        state.Step++;
                    }
                }
            }
            finally
            {
                Volatile.Write(ref state.Busy, 0);
            }
        }

        private async Task<int> PostAsync(int r, string path, string json, WriteRecord record, CancellationToken cancellationToken)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _state[r].WriterToken ??= Token(r, Role.Manager, "bench-writer", null));
            try
            {
                using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
                var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    using var order = JsonDocument.Parse(text);
                    return order.RootElement.GetProperty("version").GetInt32();
                }

                ReportFailure($"POST {path} answered {(int)response.StatusCode}: {text}");
            }
            catch (HttpRequestException ex)
            {
                ReportFailure($"POST {path} failed: {ex.Message}");
            }

            // A failed write is counted and its events are not expected.
            record.Failed = true;
            return 0;
        }

        private void ReportFailure(string message)
        {
            if (Interlocked.Increment(ref _failuresReported) <= 5)
            {
                Console.WriteLine("  write failed: " + message);
            }
        }

        private void OnArrival(Arrival arrival)
        {
            _arrivals.Enqueue(arrival);
            Volatile.Write(ref _lastArrival, arrival.Timestamp);
        }

        private sealed class RestaurantState
        {
            public int Busy;
            public int Order = -1;
            public int Step;
            public int Version;
            public string? WriterToken;
        }

        /// <summary>One connected screen: logs every broadcast event it receives and completes waits for replies.</summary>
        private sealed class Screen(int index, ScreenSpec spec, ClientWebSocket socket, Run run)
        {
            private readonly ConcurrentDictionary<string, TaskCompletionSource> _waits = new(StringComparer.Ordinal);
            private Task _loop = Task.CompletedTask;

            public ScreenSpec Spec => spec;

            public ClientWebSocket Socket => socket;

            public bool Open => !_loop.IsCompleted;

            public void Start(CancellationToken cancellationToken) => _loop = FrameReader.RunAsync(socket, OnFrame, cancellationToken);

            public Task WaitForAsync(string type, CancellationToken cancellationToken) =>
                _waits.GetOrAdd(type, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);

            private void OnFrame(ReadOnlySpan<byte> frame, long arrival)
            {
                string? type = null, id = null, restaurant = null;
                var reader = new Utf8JsonReader(frame);
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                {
                    return;
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var name = reader.ValueSpan;
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String && name.SequenceEqual("type"u8))
                    {
                        type = reader.GetString();
                    }
                    else if (reader.TokenType == JsonTokenType.String && name.SequenceEqual("id"u8))
                    {
                        id = reader.GetString();
                    }
                    else if (reader.TokenType == JsonTokenType.String && name.SequenceEqual("restaurant_id"u8))
                    {
                        restaurant = reader.GetString();
                    }
                    else
                    {
                        reader.Skip();
                    }
                }

                if (type is null)
                {
                    return;
                }

                if (id is not null)
                {
                    run.OnArrival(new Arrival(index, id, type, restaurant, arrival, frame.Length));
                    return;
                }

                if (type == "error")
                {
                    Console.WriteLine($"  screen {index} ({spec.Role}) got an error: {Encoding.UTF8.GetString(frame)}");
                }

                _waits.GetOrAdd(type, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            }
        }
    }

    /// <summary>Counts the project's meters in this process: REST calls to Web PubSub and events published.</summary>
    private sealed class MeterCounters : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<string, long> _rest = new(StringComparer.Ordinal);
        private readonly KdsMode _mode;
        private long _events;

        public MeterCounters(KdsMode mode)
        {
            _mode = mode;
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if ((instrument.Meter.Name, instrument.Name) is ("RestaurantOs.WebPubSub", "webpubsub.rest.requests") or ("RestaurantOs.Realtime", "realtime.events.published"))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                if (instrument.Name == "realtime.events.published")
                {
                    Interlocked.Add(ref _events, value);
                    return;
                }

                var operation = "unknown";
                foreach (var tag in tags)
                {
                    if (tag.Key == "operation")
                    {
                        operation = tag.Value?.ToString() ?? "unknown";
                    }
                }

                _rest.AddOrUpdate(operation, value, (_, old) => old + value);
            });
            _listener.Start();
        }

        public MeterTotals Snapshot() => new(_mode.Published, _mode.KdsPublished, Volatile.Read(ref _events), new Dictionary<string, long>(_rest, StringComparer.Ordinal));

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>
    /// <see cref="EventsPublished"/> counts what was handed to Web PubSub (at the publisher);
    /// <see cref="PipelineEvents"/> is the product's own <c>realtime.events.published</c> counter, for comparison.
    /// </summary>
    private sealed record MeterTotals(long EventsPublished, long KdsPublished, long PipelineEvents, Dictionary<string, long> RestByOperation)
    {
        public long RestCalls => RestByOperation.Values.Sum();

        /// <summary>REST calls that publish events (send to all with a filter); the rest are timers and group changes.</summary>
        public long EventSends => RestByOperation.GetValueOrDefault("SendToAll");

        public static MeterTotals operator -(MeterTotals after, MeterTotals before) => new(
            after.EventsPublished - before.EventsPublished,
            after.KdsPublished - before.KdsPublished,
            after.PipelineEvents - before.PipelineEvents,
            after.RestByOperation.ToDictionary(kv => kv.Key, kv => kv.Value - before.RestByOperation.GetValueOrDefault(kv.Key), StringComparer.Ordinal));
    }
}
