using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using RestaurantOs.Bench.Infrastructure;
using RestaurantOs.Bench.Servers;
using RestaurantOs.Emulator;
using RestaurantOs.WebPubSub.Protocol;

namespace RestaurantOs.Bench.Scenarios;

/// <summary>
/// Scenario 2, fan-out: N connections in G groups; HTTP sends to groups as fast as the server accepts them, against
/// our emulator and two baselines in their own processes, with the same client code. Every message carries
/// <c>|t=&lt;send timestamp&gt;|</c>, so one parser measures delivery latency over the raw and the SignalR framing.
/// </summary>
internal static class FanoutScenario
{
    private static readonly byte[] Marker = "|t="u8.ToArray();

    public static async Task<int> RunAsync(BenchArgs args, CancellationToken cancellationToken)
    {
        var connections = args.Int("connections", 5000);
        var groups = args.Int("groups", 50);
        var duration = TimeSpan.FromSeconds(args.Double("duration", 30));
        var warmup = TimeSpan.FromSeconds(args.Double("warmup", 5));
        var senders = args.Int("senders", 8);
        var window = args.Int("window", 100);
        var payloadBytes = args.Int("payload", 128);
        var targets = args.List("targets", "emulator,kestrel,signalr");
        args.EnsureAllRead();

        Console.WriteLine($"fanout: {connections} connections in {groups} groups, {senders} senders (at most {window} sends undelivered), {payloadBytes}-byte payloads, {duration.TotalSeconds:0} s per target after {warmup.TotalSeconds:0} s warm-up");
        Console.WriteLine(Report.MachineLine());
        var results = new List<FanoutResult>();
        foreach (var target in targets)
        {
            results.Add(await RunTargetAsync(target, connections, groups, duration, warmup, senders, window, payloadBytes, cancellationToken).ConfigureAwait(false));
        }

        Console.WriteLine();
        Console.WriteLine($"### Fan-out ({connections} connections, {groups} groups, {duration.TotalSeconds:0} s)");
        Console.WriteLine();
        Console.WriteLine(Report.Table(
            ["server", "sends/s", "delivered msg/s", "delivered / expected", "dropped conns", "server CPU ms / 1,000 deliveries", "server cores busy", "load generator cores busy", .. Percentiles.Header],
            results.Select(r => (IReadOnlyList<string>)[r.Target, Report.F(r.SendsPerSecond), Report.F(r.DeliveredPerSecond, "N0"), Report.F(r.DeliveryRatio, "0.0000"), Report.N(r.Dropped),
                Report.F(r.ServerCpuMsPerThousand, "0.00"), Report.F(r.ServerCores, "0.00"), Report.F(r.BenchCores, "0.00"), .. r.Latency.Cells])));
        var ours = results.FirstOrDefault(r => r.Target == "emulator");
        if (ours is not null)
        {
            foreach (var (baseline, target) in new[] { ("kestrel", 0.9), ("signalr", 1.2) })
            {
                if (results.FirstOrDefault(r => r.Target == baseline) is { } b && b.DeliveredPerSecond > 0)
                {
                    var ratio = ours.DeliveredPerSecond / b.DeliveredPerSecond;
                    var cpu = ours.ServerCpuMsPerThousand == 0 ? 0 : b.ServerCpuMsPerThousand / ours.ServerCpuMsPerThousand;
                    Console.WriteLine($"- emulator / {baseline} delivered msg/s: {Report.F(ratio, "0.00")}x (target >= {Report.F(target, "0.0")}x: {(ratio >= target ? "met" : "MISSED")}); deliveries per server CPU-second: {Report.F(cpu, "0.00")}x; p99 {Report.F(ours.Latency.P99)} ms vs {Report.F(b.Latency.P99)} ms");
                }
            }
        }

        return 0;
    }

    private static async Task<FanoutResult> RunTargetAsync(
        string target, int connections, int groups, TimeSpan duration, TimeSpan warmup, int senders, int window, int payloadBytes, CancellationToken cancellationToken)
    {
        Console.WriteLine($"== {target}");
        await using var server = await ChildServer.StartAsync(target, cancellationToken).ConfigureAwait(false);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = senders * 2, UseProxy = false });
        using var loopback = new LoopbackClients(connections);
        var clients = new Receiver[connections];
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var state = new MeasureState();

        var connectWatch = Stopwatch.StartNew();
        var connected = 0;
        await using (Report.Progress("connect", () => $"{Volatile.Read(ref connected)}/{connections} connected"))
        {
            await Parallel.ForAsync(0, connections, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken }, async (i, ct) =>
            {
                var group = "g" + (i % groups).ToString(CultureInfo.InvariantCulture);
                var socket = await BenchServers.ConnectClientAsync(loopback, server.BaseUri, target, group, i, ct).ConfigureAwait(false);
                var receiver = new Receiver(socket, state);
                clients[i] = receiver;
                receiver.Start(stop.Token);
                Interlocked.Increment(ref connected);
            }).ConfigureAwait(false);
        }

        Console.WriteLine($"  {connections} connected in {connectWatch.Elapsed.TotalSeconds:0.0} s from {loopback.SourceAddresses} source address(es)");
        var sender = new Sender(http, server.BaseUri, target, groups, payloadBytes);

        // Warm-up: every connection must receive at least one message (proves group membership), then run for the
        // warm-up time so the JIT and pools settle. Nothing from this phase is counted.
        var groupSize = connections / (double)groups;
        await using (Report.Progress("warm-up", () => $"{clients.Count(c => c.Received > 0)}/{connections} reached"))
        {
            var warmWatch = Stopwatch.StartNew();
            while (clients.Any(c => c.Received == 0) || warmWatch.Elapsed < warmup)
            {
                if (warmWatch.Elapsed > warmup + TimeSpan.FromSeconds(30))
                {
                    throw new InvalidOperationException($"{clients.Count(c => c.Received == 0)} connections received nothing during warm-up on '{target}'.");
                }

                await RunSendersAsync(sender, senders, window, groupSize, clients, state, TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            }

            await QuiesceAsync(clients, state, groupSize, cancellationToken).ConfigureAwait(false);
        }

        state.Begin();
        var receivedBefore = clients.Sum(c => c.Received);
        var sendsBefore = sender.Accepted;
        var serverCpuBefore = server.CpuTime();
        var benchCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        await using (Report.Progress("measure", () => string.Create(CultureInfo.InvariantCulture,
                         $"sends {sender.Accepted - sendsBefore:N0}, delivered {clients.Sum(c => c.Received) - receivedBefore:N0}, open {clients.Count(c => c.Open)}, {state.Latency.Snapshot()}")))
        {
            await RunSendersAsync(sender, senders, window, groupSize, clients, state, duration, cancellationToken).ConfigureAwait(false);
        }

        var elapsed = watch.Elapsed.TotalSeconds;
        var serverCpu = (server.CpuTime() - serverCpuBefore).TotalMilliseconds;
        var benchCpu = (Process.GetCurrentProcess().TotalProcessorTime - benchCpuBefore).TotalMilliseconds;
        var delivered = clients.Sum(c => c.Received) - receivedBefore;
        var sends = sender.Accepted - sendsBefore;
        state.End();
        // Let queued messages arrive so their latency counts too (the rate above stops at the end of the window).
        await QuiesceAsync(clients, state, groupSize, cancellationToken).ConfigureAwait(false);
        var expected = (long)Math.Round(state.Sent * groupSize);
        var result = new FanoutResult(
            target,
            sends / elapsed,
            delivered / elapsed,
            expected == 0 ? 0 : state.DeliveredMeasured / (double)expected,
            clients.Count(c => !c.Open),
            state.Latency.Snapshot(),
            delivered == 0 ? 0 : serverCpu * 1000 / delivered,
            serverCpu / 1000 / elapsed,
            benchCpu / 1000 / elapsed);
        Console.WriteLine($"  {target}: {Report.F(result.SendsPerSecond)} sends/s, {Report.F(result.DeliveredPerSecond, "N0")} delivered/s, rejected sends {sender.Rejected}, {result.Latency}");

        await stop.CancelAsync().ConfigureAwait(false);
        foreach (var client in clients)
        {
            client.Dispose();
        }

        return result;
    }


    /// <summary>
    /// Each sender posts in a loop, but holds back while more than <paramref name="window"/> sends are undelivered:
    /// every server here queues per connection (the emulator closes a connection whose queue overflows), so an
    /// unbounded open loop would measure queue growth, not delivery.
    /// </summary>
    private static async Task RunSendersAsync(Sender sender, int senders, int window, double groupSize, Receiver[] clients, MeasureState state, TimeSpan duration, CancellationToken cancellationToken)
    {
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var tasks = Enumerable.Range(0, senders).Select(_ => Task.Run(async () =>
        {
            while (Stopwatch.GetTimestamp() < until && !cancellationToken.IsCancellationRequested)
            {
                var outstanding = state.SentTotal * groupSize - state.DeliveredTotal;
                if (outstanding > window * groupSize)
                {
                    await Task.Delay(1, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                await sender.SendAsync(state, cancellationToken).ConfigureAwait(false);
            }
        }, cancellationToken));
        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    private static async Task QuiesceAsync(Receiver[] clients, MeasureState state, double groupSize, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10) && state.SentTotal * groupSize - state.DeliveredTotal > groupSize / 2 && clients.Any(c => c.Open))
        {
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        await Task.Delay(200, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>CPU figures: server CPU ms per 1,000 deliveries, and cores busy in the server and in the load generator.</summary>
    private sealed record FanoutResult(string Target, double SendsPerSecond, double DeliveredPerSecond, double DeliveryRatio, long Dropped, Percentiles Latency, double ServerCpuMsPerThousand, double ServerCores, double BenchCores);

    /// <summary>Counters shared by senders and receivers; "measured" ones count only sends made inside the window.</summary>
    private sealed class MeasureState
    {
        private long _windowStart = long.MaxValue;
        private long _windowEnd = long.MaxValue;
        private long _sentTotal;
        private long _deliveredTotal;
        private long _sent;
        private long _deliveredMeasured;

        public Latency Latency { get; } = new();

        public long SentTotal => Volatile.Read(ref _sentTotal);

        public long DeliveredTotal => Volatile.Read(ref _deliveredTotal);

        public long Sent => Volatile.Read(ref _sent);

        public long DeliveredMeasured => Volatile.Read(ref _deliveredMeasured);

        public void Begin() => Volatile.Write(ref _windowStart, Stopwatch.GetTimestamp());

        public void End() => Volatile.Write(ref _windowEnd, Stopwatch.GetTimestamp());

        public void OnSent(long timestamp)
        {
            Interlocked.Increment(ref _sentTotal);
            if (timestamp >= Volatile.Read(ref _windowStart) && timestamp < Volatile.Read(ref _windowEnd))
            {
                Interlocked.Increment(ref _sent);
            }
        }

        public void OnDelivered(long sentTimestamp, long arrival)
        {
            Interlocked.Increment(ref _deliveredTotal);
            if (sentTimestamp >= Volatile.Read(ref _windowStart) && sentTimestamp < Volatile.Read(ref _windowEnd))
            {
                Interlocked.Increment(ref _deliveredMeasured);
                Latency.RecordSince(sentTimestamp, arrival);
            }
        }
    }

    private sealed class Sender(HttpClient http, Uri baseUri, string target, int groups, int payloadBytes)
    {
        private readonly string _padding = new('x', Math.Max(0, payloadBytes - 32));
        private long _next;
        private long _accepted;
        private long _rejected;

        public long Accepted => Volatile.Read(ref _accepted);

        public long Rejected => Volatile.Read(ref _rejected);

        public async Task SendAsync(MeasureState state, CancellationToken cancellationToken)
        {
            var group = "g" + (Interlocked.Increment(ref _next) % groups).ToString(CultureInfo.InvariantCulture);
            var uri = target == "emulator"
                ? new Uri(baseUri, $"/api/hubs/{BenchServers.Hub}/groups/{group}/:send?api-version=2024-01-01")
                : new Uri(baseUri, "/send/" + group);
            var sentAt = Stopwatch.GetTimestamp();
            using var request = new HttpRequestMessage(HttpMethod.Post, uri)
            {
                Content = new StringContent(string.Create(CultureInfo.InvariantCulture, $"m|t={sentAt}|{_padding}"), Encoding.UTF8, "text/plain"),
            };
            if (target == "emulator")
            {
                // Signed per request, as the service client does (the audience is the request URL).
                request.Headers.Authorization = new("Bearer", AccessKeyToken.Create(EmulatorOptions.DefaultAccessKey, uri.AbsoluteUri, TimeSpan.FromMinutes(5), DateTimeOffset.UtcNow));
            }

            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                state.OnSent(sentAt);
                Interlocked.Increment(ref _accepted);
            }
            else
            {
                Interlocked.Increment(ref _rejected);
            }
        }
    }

    private sealed class Receiver(WebSocket socket, MeasureState state) : IDisposable
    {
        private long _received;
        private Task _loop = Task.CompletedTask;

        public long Received => Volatile.Read(ref _received);

        public bool Open => !_loop.IsCompleted;

        public void Start(CancellationToken cancellationToken) => _loop = FrameReader.RunAsync(socket, OnFrame, cancellationToken);

        public void Dispose() => socket.Dispose();

        private void OnFrame(ReadOnlySpan<byte> frame, long arrival)
        {
            // A frame may hold several messages (SignalR may batch); count each marker.
            while (frame.IndexOf(Marker) is var at and >= 0)
            {
                frame = frame[(at + Marker.Length)..];
                var end = frame.IndexOf((byte)'|');
                if (end > 0 && Utf8Parser.TryParse(frame[..end], out long sentAt, out _))
                {
                    Interlocked.Increment(ref _received);
                    state.OnDelivered(sentAt, arrival);
                }
            }
        }
    }
}
