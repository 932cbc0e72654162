using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using RestaurantOs.Bench.Infrastructure;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Contracts;

namespace RestaurantOs.Bench.Scenarios;

internal sealed record PhaseResult(string Name, long Writes, long FailedWrites, long Missing, long Unexpected, Percentiles Latency, long BilledAll, long KdsMessages, long KdsBilled, MeterTotals Meters, Dictionary<string, Percentiles> ByType);

/// <summary>One screen: its restaurant, role, subscriptions, and the customer orders it owns.</summary>
internal sealed record ScreenSpec(int Restaurant, Role Role, string[]? Events, string? Table, int CustomerSlot)
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

    /// <summary>Presence events (screens joining and leaving) are no write's events: expected wherever the role and subscriptions allow them.</summary>
    public bool MayReceive(string type) => RoleAllows(Role, type) && (Events is null || Events.Contains(type));

    /// <summary>The permission table of docs/events.md, restated here so the product is checked, not copied.</summary>
    private static bool RoleAllows(Role role, string type) => type switch
    {
        EventTypes.OrderCreated or EventTypes.OrderUpdated or EventTypes.OrderStatus => true,
        EventTypes.KdsUpdate or EventTypes.NotificationKitchen => role is Role.Owner or Role.Manager or Role.Service or Role.Server or Role.Kitchen or Role.Expo,
        EventTypes.NotificationCustomer => role is Role.Owner or Role.Manager or Role.Service or Role.Server or Role.Customer,
        EventTypes.PresenceUpdated or EventTypes.StationAlert => role is Role.Owner or Role.Manager or Role.Service or Role.Expo,
        _ => false,
    };
}

/// <summary>One write and the events it must produce (ids are derived from order id, version and type).</summary>
internal sealed record WriteRecord(int Restaurant, int OrderIndex, Guid OrderId, string Table, long StartTimestamp, string? Phase)
{
    public int Version { get; set; }

    public string[] Types { get; set; } = [];

    public bool Failed { get; set; }

    public string EventId(string type) => $"order:{OrderId:N}:v{Version.ToString(CultureInfo.InvariantCulture)}:{type}";
}

/// <summary>One broadcast event read by one screen; <paramref name="Seq"/> is -1 for events without one (<c>kds:update</c>).</summary>
internal readonly record struct Arrival(int Screen, string Id, string Type, string? RestaurantId, long Seq, long Timestamp, int Bytes);

/// <summary>The writes that started in one window of a phase, the events they caused, and those events' write-to-screen latency.</summary>
internal sealed record WindowLatency(int Index, long Writes, long EventsOffered, long Missing, Percentiles Latency);

/// <summary>
/// What each screen received against what it should have, over the whole run: <see cref="Missing"/> expected
/// deliveries that never arrived, <see cref="Duplicates"/> events that arrived twice, and <see cref="OutOfOrder"/>
/// events that arrived after an event of a higher <c>seq</c> (each screen only sees its own restaurant).
/// </summary>
internal sealed record OrderCheck(int Screens, long Expected, long Received, long Missing, long Duplicates, long OutOfOrder, int ScreensMissing, int ScreensWithDuplicates, int ScreensOutOfOrder);

/// <summary>
/// The connections, writers and delivery log of one run against DevHost: R restaurants × S screens connected through
/// <c>/api/negotiate</c>, open-loop order writes through the HTTP API, and the oracle that says which screen must
/// receive which event. Used by <c>latency</c>, <c>cost</c> and <c>azure-latency</c>.
/// </summary>
internal sealed class WriteToScreenRun(Uri baseUri, AppJwtOptions jwt, int restaurants, int screensPer) : IDisposable
{
    private const int OrdersPerRestaurant = 80;
    private static readonly string[] StatusFlow = ["confirmed", "preparing", "ready", "completed"];
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

    /// <summary>Waits until no delivery has arrived for 2.5 s (at most <paramref name="max"/>, 15 s by default): KDS batches come every 2 s.</summary>
    public async Task DrainAsync(CancellationToken cancellationToken, TimeSpan? max = null)
    {
        var watch = Stopwatch.StartNew();
        var limit = max ?? TimeSpan.FromSeconds(15);
        Volatile.Write(ref _lastArrival, Stopwatch.GetTimestamp());
        while (watch.Elapsed < limit
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

            if (a.Type is EventTypes.PresenceUpdated or EventTypes.StationAlert)
            {
                unexpected += screen.Spec.MayReceive(a.Type) ? 0 : 1;
                continue;
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

    /// <summary>
    /// Splits the writes of <paramref name="phase"/> into windows of <paramref name="window"/> by the time each write
    /// started (counted from <paramref name="start"/>), so latency growth over the run shows as growth from window to
    /// window. <c>kds:update</c> is not in these figures.
    /// </summary>
    public IReadOnlyList<WindowLatency> Windows(string phase, long start, TimeSpan window)
    {
        var first = FirstArrivals();
        var ticks = (long)(window.TotalSeconds * Stopwatch.Frequency);
        var windows = new SortedDictionary<int, (long Writes, long Offered, long Missing, Latency Latency)>();
        foreach (var w in _writes.Where(w => w.Phase == phase))
        {
            var index = (int)Math.Max(0, (w.StartTimestamp - start) / ticks);
            var current = windows.GetValueOrDefault(index, (0, 0, 0, new Latency()));
            current.Writes++;
            if (!w.Failed)
            {
                current.Offered += w.Types.Length;
                foreach (var (screen, id) in ExpectedFor(w))
                {
                    if (first.TryGetValue((screen, id), out var arrived))
                    {
                        current.Latency.RecordSince(w.StartTimestamp, arrived);
                    }
                    else
                    {
                        current.Missing++;
                    }
                }
            }

            windows[index] = current;
        }

        return windows.Select(kv => new WindowLatency(kv.Key, kv.Value.Writes, kv.Value.Offered, kv.Value.Missing, kv.Value.Latency.Snapshot())).ToList();
    }

    /// <summary>The per-screen order check over every write of the run (warm-up included) and every arrival.</summary>
    public OrderCheck CheckOrder()
    {
        var expected = new HashSet<(int Screen, string Id)>();
        foreach (var w in _writes.Where(w => !w.Failed))
        {
            expected.UnionWith(ExpectedFor(w));
        }

        var seen = new HashSet<(int Screen, string Id)>();
        var highest = new long[_screens.Count];
        var duplicates = new long[_screens.Count];
        var outOfOrder = new long[_screens.Count];
        var missing = new long[_screens.Count];
        long received = 0;
        // The queue keeps each screen's arrivals in the order its receive loop read them.
        foreach (var a in _arrivals.Where(a => a.Seq >= 0))
        {
            received++;
            if (!seen.Add((a.Screen, a.Id)))
            {
                duplicates[a.Screen]++;
                continue;
            }

            if (a.Seq < highest[a.Screen])
            {
                outOfOrder[a.Screen]++;
            }

            highest[a.Screen] = Math.Max(highest[a.Screen], a.Seq);
        }

        foreach (var e in expected.Where(e => !seen.Contains(e)))
        {
            missing[e.Screen]++;
        }

        return new OrderCheck(
            _screens.Count, expected.Count, received, missing.Sum(), duplicates.Sum(), outOfOrder.Sum(),
            missing.Count(m => m > 0), duplicates.Count(d => d > 0), outOfOrder.Count(o => o > 0));
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

    /// <summary>(screen, event id) → when it first arrived there.</summary>
    private Dictionary<(int Screen, string Id), long> FirstArrivals()
    {
        var first = new Dictionary<(int Screen, string Id), long>();
        foreach (var a in _arrivals)
        {
            first.TryAdd((a.Screen, a.Id), a.Timestamp);
        }

        return first;
    }

    /// <summary>Every (screen, event id) a successful write must reach.</summary>
    private IEnumerable<(int Screen, string Id)> ExpectedFor(WriteRecord w)
    {
        foreach (var type in w.Types)
        {
            var id = w.EventId(type);
            for (var s = w.Restaurant * screensPer; s < (w.Restaurant + 1) * screensPer; s++)
            {
                if (_screens[s].Spec.ShouldReceive(type, w.OrderIndex, w.Table))
                {
                    yield return (s, id);
                }
            }
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
    private sealed class Screen(int index, ScreenSpec spec, ClientWebSocket socket, WriteToScreenRun run)
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
            long seq = -1;
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
                else if (reader.TokenType == JsonTokenType.Number && name.SequenceEqual("seq"u8))
                {
                    seq = reader.GetInt64();
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
                run.OnArrival(new Arrival(index, id, type, restaurant, seq, arrival, frame.Length));
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
internal sealed class MeterCounters : IDisposable
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
internal sealed record MeterTotals(long EventsPublished, long KdsPublished, long PipelineEvents, Dictionary<string, long> RestByOperation)
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
