using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using RestaurantOs.Emulator.Tests.Infrastructure;

namespace RestaurantOs.Emulator.Tests;

/// <summary>An emulator with a small send queue (8 frames / 256 KB) so a slow consumer overflows quickly.</summary>
public sealed class SmallQueueFixture : EmulatorFixture
{
    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["WebPubSub:SendQueueMaxMessages"] = "8";
        settings["WebPubSub:SendQueueMaxBytes"] = (256 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>An emulator that pings every 200 ms and drops a connection that has not answered for 1.5 s (slack for a loaded CI machine).</summary>
public sealed class FastKeepAliveFixture : EmulatorFixture
{
    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["WebPubSub:KeepAliveInterval"] = "00:00:00.200";
        settings["WebPubSub:KeepAliveTimeout"] = "00:00:01.500";
    }
}

/// <summary>Backpressure: a client that never reads is dropped; the other members of its group get everything.</summary>
public sealed class SlowConsumerTests(SmallQueueFixture fixture) : IClassFixture<SmallQueueFixture>, IDisposable
{
    private const string Hub = "upstream";
    private readonly TestClient _client = new(fixture);

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task A_slow_consumer_is_closed_and_does_not_stall_delivery_to_its_group()
    {
        var overflows = 0L;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "RestaurantOs.Emulator" && instrument.Name == "emulator.queue.overflows")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref overflows, value));
        listener.Start();

        const string Group = "kitchen";
        await using var slow = await TestSocket.ConnectWithSmallReceiveBufferAsync(_client.ClientUrl(Hub, _client.ClientToken(Hub, "slow", groups: [Group])));
        await using var fast1 = await _client.ConnectAsync(Hub, "fast1", groups: [Group], json: false);
        await using var fast2 = await _client.ConnectAsync(Hub, "fast2", groups: [Group], json: false);
        var slowId = (await fixture.Upstream.WaitForAsync(r => r.EventName == "connected" && r.Header("ce-userId") == "slow")).ConnectionId;

        // The fast clients read continuously and the next message is sent only when both have received the previous
        // one, so their queues never hold more than one frame; the slow one never reads. Each message is 32 KB, so
        // socket buffers fill within a few MB (the slow client's receive buffer is fixed at 4 KB) and then the slow
        // connection's 8-frame / 256 KB queue overflows.
        using var progress1 = new SemaphoreSlim(0);
        using var progress2 = new SemaphoreSlim(0);
        var received1 = ReadAllAsync(fast1, progress1);
        var received2 = ReadAllAsync(fast2, progress2);
        var payload = new byte[32 * 1024];
        var sent = 0;
        var slowGone = false;
        while (!slowGone && sent < 2000)
        {
            BitConverter.TryWriteBytes(payload, sent);
            var content = new ByteArrayContent(payload);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            using var response = await _client.RestAsync(HttpMethod.Post, $"api/hubs/{Hub}/groups/{Group}/:send?api-version=2024-12-01", content);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            sent++;
            Assert.True(await progress1.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken), "fast1 stalled");
            Assert.True(await progress2.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken), "fast2 stalled");
            if (sent % 25 == 0)
            {
                using var head = await _client.RestAsync(HttpMethod.Head, $"api/hubs/{Hub}/connections/{slowId}?api-version=2024-12-01");
                slowGone = head.StatusCode == HttpStatusCode.NotFound;
            }
        }

        // Wait until the slow connection is gone (the writer gets a short grace to send its close frame).
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!slowGone && DateTime.UtcNow < deadline)
        {
            using var head = await _client.RestAsync(HttpMethod.Head, $"api/hubs/{Hub}/connections/{slowId}?api-version=2024-12-01");
            slowGone = head.StatusCode == HttpStatusCode.NotFound;
            if (!slowGone)
            {
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }
        }

        Assert.True(slowGone, $"The slow consumer was still connected after {sent} messages.");
        var disconnected = await fixture.Upstream.WaitForEventAsync(slowId, "disconnected");
        Assert.Contains("Send queue full", disconnected.BodyText, StringComparison.Ordinal);
        Assert.True(Interlocked.Read(ref overflows) >= 1);

        // Every message reached both fast members, in order.
        using var done = await _client.SendTextAsync($"api/hubs/{Hub}/groups/{Group}/:send?api-version=2024-12-01", "done");
        Assert.Equal(sent, (await received1.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken)).Count);
        var order = await received2.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        Assert.Equal(Enumerable.Range(0, sent), order);
    }

    private static async Task<List<int>> ReadAllAsync(TestSocket socket, SemaphoreSlim progress)
    {
        var seen = new List<int>();
        while (true)
        {
            var (type, data) = await socket.ReceiveAsync(TimeSpan.FromSeconds(20));
            // Binary frames carry a sequence number; the final text frame marks the end.
            if (type != System.Net.WebSockets.WebSocketMessageType.Binary)
            {
                return seen;
            }

            seen.Add(BitConverter.ToInt32(data, 0));
            progress.Release();
        }
    }
}

/// <summary>Keep-alive: a connection that stops answering pings is removed, leaves its groups, and gets disconnected upstream.</summary>
public sealed class KeepAliveTests(FastKeepAliveFixture fixture) : IClassFixture<FastKeepAliveFixture>, IDisposable
{
    private const string Hub = "upstream";
    private readonly TestClient _client = new(fixture);

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task A_connection_that_never_answers_pings_is_removed_while_a_reading_one_stays()
    {
        // A ClientWebSocket answers pings only while a receive is pending, so one that never reads goes silent.
        await using var dead = await _client.ConnectAsync(Hub, "dead", groups: ["deadgroup"], json: false);
        await using var alive = await _client.ConnectAsync(Hub, "alive", json: false);
        var reading = alive.ReceiveAsync(TimeSpan.FromSeconds(30));
        var deadId = (await fixture.Upstream.WaitForAsync(r => r.EventName == "connected" && r.Header("ce-userId") == "dead")).ConnectionId;
        var aliveId = (await fixture.Upstream.WaitForAsync(r => r.EventName == "connected" && r.Header("ce-userId") == "alive")).ConnectionId;

        var disconnected = await fixture.Upstream.WaitForEventAsync(deadId, "disconnected");
        Assert.False(string.IsNullOrEmpty(disconnected.BodyText));

        using (var head = await _client.RestAsync(HttpMethod.Head, $"api/hubs/{Hub}/connections/{deadId}?api-version=2024-12-01"))
        {
            Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        }

        using (var group = await _client.RestAsync(HttpMethod.Head, $"api/hubs/{Hub}/groups/deadgroup?api-version=2024-12-01"))
        {
            Assert.Equal(HttpStatusCode.NotFound, group.StatusCode);
        }

        using (var aliveHead = await _client.RestAsync(HttpMethod.Head, $"api/hubs/{Hub}/connections/{aliveId}?api-version=2024-12-01"))
        {
            Assert.Equal(HttpStatusCode.OK, aliveHead.StatusCode);
        }

        Assert.False(reading.IsCompleted);
    }
}
