using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RestaurantOs.EndToEnd.Tests.Infrastructure;

namespace RestaurantOs.EndToEnd.Tests;

/// <summary>
/// The delivery guarantee under faults: screens of every role (customers with their own order, narrowed
/// subscriptions) in three restaurants, sockets dropped at random and resumed, DevHost killed with SIGKILL and
/// restarted on the same SQLite file while orders keep being written. At the end every screen has applied exactly
/// the events it may see, each once and in seq order, checked against the history read over HTTP.
/// </summary>
public sealed class FaultToleranceTests
{
    // A guard against a hang, not a performance bound.
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(20);
    private const int OrdersPerRestaurant = 10;

    [Fact]
    public async Task Every_screen_applies_every_visible_event_once_in_order_through_drops_and_a_server_kill()
    {
        using var overall = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        overall.CancelAfter(Deadline);
        var ct = overall.Token;
        var random = new Random(12);
        await using var server = await ChildDevHost.StartAsync(ct);
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromSeconds(5) };

        var restaurants = Enumerable.Range(0, 3).Select(_ => new RestaurantPlan(Guid.NewGuid())).ToList();
        var screens = new List<Screen>();
        foreach (var plan in restaurants)
        {
            var staff = new (string Role, string? Subscribe, Func<string, Guid?, RestaurantPlan, bool>? Narrow)[]
            {
                ("kitchen", null, null), ("kitchen", null, null), ("expo", null, null), ("server", null, null),
                ("server", null, null), ("manager", null, null), ("cashier", null, null),
                // Narrowed: one table's new orders and statuses; a kitchen screen with only tickets and kitchen notes.
                ("server", """{"type":"subscribe","events":["order:created","order:status"],"filters":{"table_number":"T2"}}""",
                    (type, order, p) => type is "order:created" or "order:status" && order is { } id && p.TableOf(id) == "T2"),
                ("kitchen", """{"type":"subscribe","events":["order:created","notification:kitchen"]}""",
                    (type, _, _) => type is "order:created" or "notification:kitchen"),
            };
            foreach (var (role, subscribe, narrow) in staff)
            {
                screens.Add(new Screen($"{role}-{screens.Count}", plan, await TokenAsync(http, plan.Id, role, null, ct), subscribe, narrow, server.WsUri));
            }

            foreach (var index in new[] { 1, 6 })
            {
                screens.Add(new Screen($"customer-{screens.Count}", plan, await TokenAsync(http, plan.Id, "customer", plan.Orders[index].Id, ct), null, null, server.WsUri));
            }
        }

        var loops = screens.Select(s => s.RunAsync(ct)).ToList();
        await WaitUntilAsync(() => screens.All(s => s.IsLive), "every screen to be live", ct);

        // Writers: every order goes created → confirmed → preparing → ready → paid. Each write that completes may
        // drop a random socket; the write that crosses half of all writes kills the server and starts it again.
        var totalWrites = restaurants.Count * OrdersPerRestaurant * 5;
        var done = 0;
        var killed = 0;
        async Task AfterWriteAsync()
        {
            if (Interlocked.Increment(ref done) == totalWrites / 2 && Interlocked.Exchange(ref killed, 1) == 0)
            {
                await server.KillAndRestartAsync(ct);
            }

            int victim;
            bool drop;
            lock (random)
            {
                drop = random.NextDouble() < 0.5;
                victim = random.Next(screens.Count);
            }

            if (drop)
            {
                screens[victim].Drop();
            }
        }

        await Task.WhenAll(restaurants.Select(plan => WriteAsync(server, plan, AfterWriteAsync, ct)));
        Assert.Equal(1, killed);

        // Bounded wait for the condition: the history holds every write (after a crash the pipeline resumes only
        // when the dead instance's lease lapses), and every screen has applied what the history says it may see.
        var managers = new Dictionary<RestaurantPlan, string>();
        foreach (var plan in restaurants)
        {
            managers[plan] = await TokenAsync(http, plan.Id, "manager", null, ct);
        }

        var oracles = new Dictionary<Screen, List<long>>();
        var settleBy = DateTime.UtcNow + SettleTimeout;
        while (true)
        {
            var complete = true;
            foreach (var plan in restaurants)
            {
                complete &= await PaymentsInHistoryAsync(http, managers[plan], ct) == OrdersPerRestaurant;
            }

            if (!complete && DateTime.UtcNow <= settleBy)
            {
                await Task.Delay(100, ct);
                continue;
            }

            oracles.Clear();
            foreach (var screen in screens)
            {
                oracles[screen] = await OracleAsync(http, screen, ct);
            }

            if (screens.All(s => s.Applied.SequenceEqual(oracles[s]) && s.IsLive) || DateTime.UtcNow > settleBy)
            {
                break;
            }

            await Task.Delay(100, ct);
        }

        var report = new StringBuilder();
        foreach (var screen in screens)
        {
            var expected = oracles[screen];
            var applied = screen.Applied;
            var lost = expected.Except(applied).Count();
            var doubled = applied.Count - applied.Distinct().Count();
            var outOfOrder = applied.Zip(applied.Skip(1)).Count(p => p.Second <= p.First);
            Assert.True(expected.Count > 0, $"{screen.Name} may see nothing: the test proves nothing for it.");
            var extra = applied.Except(expected).ToList();
            Assert.True(lost == 0 && doubled == 0 && outOfOrder == 0 && extra.Count == 0 && screen.Problems.Count == 0,
                $"{screen.Name} (live {screen.IsLive}, {screen.Connections} connections): lost {lost} [{string.Join(",", expected.Except(applied).Take(20))}], " +
                $"not visible to it {extra.Count} [{string.Join(",", extra.Take(20))}], applied twice {doubled}, out of order {outOfOrder}, " +
                $"expected {expected.Count}, applied {applied.Count}, problems [{string.Join("; ", screen.Problems)}]");
            report.Append(screen.Name).Append(' ').Append(applied.Count).Append(" events, ").Append(screen.Connections).Append(" connections; ");
        }

        Assert.True(screens.Sum(s => s.Connections) > screens.Count * 2, $"Too few reconnects to prove anything: {report}");
        TestContext.Current.SendDiagnosticMessage(report.ToString());
        await overall.CancelAsync();
        foreach (var screen in screens)
        {
            screen.Drop();
        }

        try
        {
            await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The screens stop on the cancelled token.
        }
    }

    private static async Task WriteAsync(ChildDevHost server, RestaurantPlan plan, Func<Task> afterWrite, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromSeconds(5) };
        var token = await TokenAsync(http, plan.Id, "manager", null, ct);
        foreach (var order in plan.Orders)
        {
            await CallAsync(http, HttpMethod.Post, "api/orders", token, Bodies.Order(order.Id, order.Table, 1000), ct);
            await afterWrite();
            foreach (var (status, version) in new[] { ("confirmed", 1), ("preparing", 2), ("ready", 3) })
            {
                await CallAsync(http, HttpMethod.Post, $"api/orders/{order.Id}/status", token, Bodies.Status(status, version), ct);
                await afterWrite();
            }

            var payment = new JsonObject { ["id"] = order.PaymentId.ToString(), ["amount"] = 2000, ["payment_method"] = "card" };
            await CallAsync(http, HttpMethod.Post, $"api/orders/{order.Id}/payments", token, payment, ct);
            await afterWrite();
        }
    }

    /// <summary>
    /// One write, retried while the server is down. Every write is idempotent or guarded (client ids, expected
    /// versions), so a retry of a write that did land answers 409 and is done.
    /// </summary>
    private static async Task CallAsync(HttpClient http, HttpMethod method, string path, string token, JsonNode body, CancellationToken ct)
    {
        var retried = false;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative))
                {
                    Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
                };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                using var response = await http.SendAsync(request, ct);
                if (response.IsSuccessStatusCode || (retried && response.StatusCode == HttpStatusCode.Conflict))
                {
                    return;
                }

                if ((int)response.StatusCode < 500)
                {
                    Assert.Fail($"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                // The server is down (killed) or restarting: try again.
            }

            retried = true;
            await Task.Delay(50, ct);
        }
    }

    /// <summary>What <paramref name="screen"/> may see: the history over HTTP with its token, narrowed by its subscription.</summary>
    private static async Task<List<long>> OracleAsync(HttpClient http, Screen screen, CancellationToken ct)
    {
        var seqs = new List<long>();
        long since = 0;
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"api/events?since={since}&limit=100", UriKind.Relative));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", screen.Token);
            using var response = await http.SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            Assert.True(response.IsSuccessStatusCode, $"history: {(int)response.StatusCode} {text}");
            using var json = JsonDocument.Parse(text);
            var data = json.RootElement.GetProperty("data");
            Assert.Equal("replay", json.RootElement.GetProperty("type").GetString());
            foreach (var e in data.GetProperty("events").EnumerateArray())
            {
                if (screen.Narrow is null || screen.Narrow(e.GetProperty("type").GetString()!, Screen.OrderOf(e), screen.Plan))
                {
                    seqs.Add(e.GetProperty("seq").GetInt64());
                }
            }

            if (!data.GetProperty("has_more").GetBoolean())
            {
                return seqs;
            }

            since = data.GetProperty("next").GetInt64();
        }
    }

    /// <summary>How many <c>payment:processed</c> events the restaurant's history holds: the last write of each order.</summary>
    private static async Task<int> PaymentsInHistoryAsync(HttpClient http, string managerToken, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("api/events?since=0&limit=500", UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", managerToken);
        using var response = await http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.IsSuccessStatusCode, $"history: {(int)response.StatusCode} {text}");
        using var json = JsonDocument.Parse(text);
        return json.RootElement.GetProperty("data").GetProperty("events").EnumerateArray()
            .Count(e => e.GetProperty("type").GetString() == "payment:processed");
    }

    private static async Task<string> TokenAsync(HttpClient http, Guid restaurant, string role, Guid? order, CancellationToken ct)
    {
        var query = $"dev/token?restaurant_id={restaurant}&role={role}" + (order is { } id ? $"&order_ids={id}" : "");
        var body = await http.GetStringAsync(new Uri(query, UriKind.Relative), ct);
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("token").GetString()!;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what, CancellationToken ct)
    {
        while (!condition())
        {
            Assert.False(ct.IsCancellationRequested, $"Timed out waiting for {what}.");
            await Task.Delay(20, ct);
        }
    }

    private sealed record PlannedOrder(Guid Id, string Table, Guid PaymentId);

    private sealed class RestaurantPlan
    {
        public RestaurantPlan(Guid id)
        {
            Id = id;
            Orders = [.. Enumerable.Range(0, OrdersPerRestaurant).Select(i => new PlannedOrder(Guid.NewGuid(), $"T{1 + (i % 3)}", Guid.NewGuid()))];
        }

        public Guid Id { get; }

        public IReadOnlyList<PlannedOrder> Orders { get; }

        public string? TableOf(Guid order) => Orders.FirstOrDefault(o => o.Id == order)?.Table;
    }

    /// <summary>
    /// A screen as the documented client behaves: connect with its token, subscribe, <c>resume</c> from the last seq
    /// it applied, hold live events until the replay is in, merge by seq, then apply live events above its last seq.
    /// It reconnects whenever its socket goes, and records every seq it applies.
    /// </summary>
    private sealed class Screen(string name, RestaurantPlan plan, string token, string? subscribe, Func<string, Guid?, RestaurantPlan, bool>? narrow, Uri wsUri)
    {
        private readonly Lock _lock = new();
        private readonly List<long> _applied = [];
        private ClientWebSocket? _socket;
        private volatile bool _live;

        public string Name { get; } = name;

        public RestaurantPlan Plan { get; } = plan;

        public string Token { get; } = token;

        public Func<string, Guid?, RestaurantPlan, bool>? Narrow { get; } = narrow;

        public List<string> Problems { get; } = [];

        public int Connections { get; private set; }

        public bool IsLive => _live;

        public List<long> Applied
        {
            get
            {
                lock (_lock)
                {
                    return [.. _applied];
                }
            }
        }

        public void Drop()
        {
            _live = false;
            _socket?.Abort();
        }

        public static Guid? OrderOf(JsonElement e)
        {
            var data = e.GetProperty("data");
            if (data.TryGetProperty("order", out var order))
            {
                return order.GetProperty("id").GetGuid();
            }

            if (data.TryGetProperty("order_id", out var id))
            {
                return id.GetGuid();
            }

            return data.TryGetProperty("notification", out var n) && n.TryGetProperty("order_id", out var nid) && nid.ValueKind == JsonValueKind.String ? nid.GetGuid() : null;
        }

        public async Task RunAsync(CancellationToken ct)
        {
            while (!ct.IsCancellationRequested)
            {
                using var socket = new ClientWebSocket();
                _socket = socket;
                try
                {
                    await socket.ConnectAsync(new Uri(wsUri, "?token=" + Uri.EscapeDataString(Token)), ct);
                    Connections++;
                    await SessionAsync(socket, ct);
                }
                catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or HttpRequestException or ObjectDisposedException)
                {
                    // Dropped, refused while the server restarts, or the test is over: connect again.
                }

                _live = false;
                if (!ct.IsCancellationRequested)
                {
                    await Task.Delay(20, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            }
        }

        private async Task SessionAsync(ClientWebSocket socket, CancellationToken ct)
        {
            var held = new List<(long Seq, JsonElement Event)>();
            var phase = subscribe is null ? 1 : 0; // 0: awaiting subscribed, 1: awaiting replay, 2: live
            var connected = false;
            await foreach (var message in ReadAsync(socket, ct))
            {
                var type = message.GetProperty("type").GetString();
                var seq = message.TryGetProperty("seq", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt64() : (long?)null;
                if (type == "connected" && !connected)
                {
                    connected = true;
                    await SendAsync(socket, subscribe ?? Resume(), ct);
                }
                else if (type == "subscribed" && phase == 0)
                {
                    phase = 1;
                    await SendAsync(socket, Resume(), ct);
                }
                else if (type == "replay" && phase == 1)
                {
                    var replayed = message.GetProperty("data").GetProperty("events").EnumerateArray().Select(e => (e.GetProperty("seq").GetInt64(), e));
                    foreach (var (eventSeq, _) in replayed.Concat(held).OrderBy(e => e.Item1))
                    {
                        Apply(eventSeq);
                    }

                    held.Clear();
                    phase = 2;
                    _live = true;
                }
                else if (type == "resync")
                {
                    lock (_lock)
                    {
                        Problems.Add("resync " + message.GetProperty("data"));
                    }
                }
                else if (type == "error")
                {
                    lock (_lock)
                    {
                        Problems.Add("error " + message.GetProperty("data"));
                    }
                }
                else if (seq is { } live && phase == 1)
                {
                    held.Add((live, message));
                }
                else if (seq is { } applied && phase == 2)
                {
                    Apply(applied);
                }

                // Events before the subscription took effect are from the default set: the replay brings back
                // whichever of them the subscription keeps.
            }
        }

        private string Resume()
        {
            lock (_lock)
            {
                return $$"""{"type":"resume","since":{{(_applied.Count == 0 ? 0 : _applied[^1])}}}""";
            }
        }

        private void Apply(long seq)
        {
            lock (_lock)
            {
                // Drop what is at or below the last applied seq (a duplicate, or already replayed).
                if (_applied.Count == 0 || seq > _applied[^1])
                {
                    _applied.Add(seq);
                }
            }
        }

        private static async Task SendAsync(ClientWebSocket socket, string text, CancellationToken ct) =>
            await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, ct);

        private static async IAsyncEnumerable<JsonElement> ReadAsync(ClientWebSocket socket, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            var buffer = new byte[64 * 1024];
            using var message = new MemoryStream();
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, ct);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    yield break;
                }

                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                using var json = JsonDocument.Parse(message.ToArray());
                message.SetLength(0);
                yield return json.RootElement.Clone();
            }
        }
    }

    /// <summary>DevHost in its own process, so it can be killed with SIGKILL and started again on the same data and port.</summary>
    private sealed class ChildDevHost : IAsyncDisposable
    {
        private readonly string _directory = Directory.CreateTempSubdirectory("ros-fault-").FullName;
        private readonly int _port;
        private Process? _process;

        private ChildDevHost(int port)
        {
            _port = port;
            BaseUri = new Uri($"http://127.0.0.1:{port}/");
            WsUri = new Uri($"ws://127.0.0.1:{port}/ws");
        }

        public Uri BaseUri { get; }

        public Uri WsUri { get; }

        public static async Task<ChildDevHost> StartAsync(CancellationToken ct)
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var host = new ChildDevHost(port);
            try
            {
                await host.LaunchAsync(ct);
                return host;
            }
            catch
            {
                await host.DisposeAsync();
                throw;
            }
        }

        public async Task KillAndRestartAsync(CancellationToken ct)
        {
            var process = _process!;
            process.Kill(entireProcessTree: true); // SIGKILL: no shutdown code runs
            await process.WaitForExitAsync(ct);
            process.Dispose();
            await LaunchAsync(ct);
        }

        private async Task LaunchAsync(CancellationToken ct)
        {
            var directory = AppContext.BaseDirectory;
            var apphost = Path.Combine(directory, OperatingSystem.IsWindows() ? "RestaurantOs.DevHost.exe" : "RestaurantOs.DevHost");
            var info = File.Exists(apphost) ? new ProcessStartInfo(apphost) : new ProcessStartInfo("dotnet") { ArgumentList = { Path.Combine(directory, "RestaurantOs.DevHost.dll") } };
            info.UseShellExecute = false;
            info.RedirectStandardOutput = true;
            info.RedirectStandardError = true;
            info.WorkingDirectory = directory;
            foreach (var arg in new[]
            {
                "--urls", $"http://127.0.0.1:{_port}",
                $"--Storage:Sqlite:Path={Path.Combine(_directory, "fault.db")}",
                "--Logging:LogLevel:Default=Warning",
            })
            {
                info.ArgumentList.Add(arg);
            }

            _process = Process.Start(info) ?? throw new InvalidOperationException("DevHost did not start.");
            _ = _process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
            _ = _process.StandardError.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);

            using var http = new HttpClient { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(2) };
            while (true)
            {
                Assert.False(_process.HasExited, $"DevHost exited with {(_process.HasExited ? _process.ExitCode : 0)}.");
                try
                {
                    using var response = await http.GetAsync(new Uri("api/health", UriKind.Relative), ct);
                    if (response.IsSuccessStatusCode)
                    {
                        return;
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
                {
                    // Not listening yet.
                }

                await Task.Delay(50, ct);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_process is { HasExited: false } process)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }

            _process?.Dispose();
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // The OS cleans the temp folder.
            }
        }
    }
}
