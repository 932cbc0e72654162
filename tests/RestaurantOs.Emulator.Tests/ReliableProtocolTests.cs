using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using RestaurantOs.Emulator.Connections;
using RestaurantOs.Emulator.Tests.Infrastructure;
using RestaurantOs.WebPubSub.Protocol;

namespace RestaurantOs.Emulator.Tests;

/// <summary>
/// The emulator on real Kestrel with a <see cref="FakeTimeProvider"/>, so the recovery window passes when a test says
/// so. Hub <c>upstream</c> sends every event to the recorder. The reliable buffer holds <see cref="BufferLimit"/>
/// messages, small enough to overflow in a test.
/// </summary>
public sealed class ReliableEmulatorFixture : IAsyncLifetime, IServiceTarget
{
    public const int BufferLimit = 8;
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(30);
    private WebApplication? _app;

    public UpstreamRecorder Upstream { get; } = new();

    // Starts at the real time: client tokens are minted with the real clock and checked with this one.
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    public Uri Endpoint { get; private set; } = null!;

    public string AccessKey => EmulatorOptions.DefaultAccessKey;

    public string Hub => "upstream";

    public bool IsEmulator => true;

    public IServiceProvider Services => _app!.Services;

    public async ValueTask InitializeAsync()
    {
        await Upstream.StartAsync();
        var upstream = Upstream.BaseUrl.ToString().TrimEnd('/');
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["WebPubSub:Hubs:upstream:EventHandlers:0:UrlTemplate"] = upstream + "/upstream/{hub}/{event}",
            ["WebPubSub:Hubs:upstream:EventHandlers:0:SystemEvents:0"] = "connect",
            ["WebPubSub:Hubs:upstream:EventHandlers:0:SystemEvents:1"] = "connected",
            ["WebPubSub:Hubs:upstream:EventHandlers:0:SystemEvents:2"] = "disconnected",
            ["WebPubSub:Hubs:upstream:EventHandlers:0:UserEventPattern"] = "*",
            ["WebPubSub:ReliableBufferMaxMessages"] = BufferLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["WebPubSub:ReliableRecoveryWindow"] = Window.ToString(),
        });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<TimeProvider>(Time);
        builder.Services.AddWebPubSubEmulator(builder.Configuration);
        _app = builder.Build();
        _app.MapWebPubSubEmulator();
        await _app.StartAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Endpoint = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        await Upstream.DisposeAsync();
    }
}

/// <summary>
/// <c>json.reliable.webpubsub.azure.v1</c> over real WebSockets: sequence ids, <c>sequenceAck</c>, recovery of the
/// same connection with in-order resend, refusals with 1008, the recovery window as seen by the app, and the
/// bounded buffer. Each test uses its own connections and reads only events about them.
/// </summary>
public sealed class ReliableProtocolTests(ReliableEmulatorFixture emulator) : IClassFixture<ReliableEmulatorFixture>, IDisposable
{
    private const string Hub = "upstream";
    private readonly TestClient _client = new(emulator);

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task Connected_carries_a_reconnection_token_and_only_data_messages_are_numbered_from_one()
    {
        var (socket, connectionId, token) = await ConnectReliableAsync("numbers");
        await using var owned = socket;
        Assert.False(string.IsNullOrEmpty(token));
        Assert.Equal(WebPubSubConstants.Subprotocols.JsonReliable, socket.Socket.SubProtocol);

        await SendToConnectionAsync(connectionId, "a");
        await socket.SendTextAsync("""{"type":"ping"}""");
        await SendToConnectionAsync(connectionId, "b");
        await socket.SendTextAsync("""{"type":"event","event":"hello","dataType":"text","data":"hi","ackId":7}""");
        await SendToConnectionAsync(connectionId, "c");

        var frames = new List<JsonElement>();
        while (frames.Count(f => f.GetProperty("type").GetString() == "message") < 3 || !frames.Any(f => f.GetProperty("type").GetString() == "ack") || !frames.Any(f => f.GetProperty("type").GetString() == "pong"))
        {
            frames.Add(await socket.ReceiveJsonAsync());
        }

        var messages = frames.Where(f => f.GetProperty("type").GetString() == "message").ToArray();
        Assert.Equal([1UL, 2UL, 3UL], messages.Select(m => m.GetProperty("sequenceId").GetUInt64()));
        Assert.Equal(["a", "b", "c"], messages.Select(m => m.GetProperty("data").GetString()));
        Assert.All(frames.Where(f => f.GetProperty("type").GetString() != "message"), f => Assert.False(f.TryGetProperty("sequenceId", out _), f.ToString()));
    }

    [Fact]
    public async Task A_sequence_ack_drops_every_message_up_to_it_from_the_buffer()
    {
        var (socket, connectionId, _) = await ConnectReliableAsync("acks");
        await using var owned = socket;
        for (var i = 1; i <= 5; i++)
        {
            await SendToConnectionAsync(connectionId, "m" + i);
        }

        await ReceiveMessagesAsync(socket, 5);
        var session = Session(connectionId);
        Assert.Equal(5, session.UnacknowledgedCount);

        await socket.SendTextAsync("""{"type":"sequenceAck","sequenceId":3}""");
        await WaitUntilAsync(() => session.UnacknowledgedCount == 2, "the ack of 3 to leave 2 messages");

        // A malformed ack changes nothing; acking beyond the last id is harmless.
        await socket.SendTextAsync("""{"type":"sequenceAck","sequenceId":"5"}""");
        await socket.SendTextAsync("""{"type":"sequenceAck","sequenceId":99}""");
        await WaitUntilAsync(() => session.UnacknowledgedCount == 0, "the ack of 99 to empty the buffer");
        Assert.True(socket.Socket.State == WebSocketState.Open);
    }

    [Fact]
    public async Task A_dropped_connection_is_recovered_with_every_unacknowledged_message_once_and_in_order()
    {
        var (socket, connectionId, token) = await ConnectReliableAsync("recover");
        await emulator.Upstream.WaitForEventAsync(connectionId, "connected");
        for (var i = 1; i <= 3; i++)
        {
            await SendToConnectionAsync(connectionId, "m" + i);
        }

        Assert.Equal([1UL, 2UL, 3UL], (await ReceiveMessagesAsync(socket, 3)).Select(m => m.Sequence));
        await socket.SendTextAsync("""{"type":"sequenceAck","sequenceId":2}""");
        var session = Session(connectionId);
        await WaitUntilAsync(() => session.UnacknowledgedCount == 1, "the ack of 2");

        // A drop: no close frame, the TCP connection just goes away.
        await DropAsync(socket, session);
        for (var i = 4; i <= 6; i++)
        {
            await SendToConnectionAsync(connectionId, "m" + i);
        }

        await using var recovered = await TestSocket.ConnectAsync(RecoveryUrl(connectionId, token), [WebPubSubConstants.Subprotocols.JsonReliable]);
        var connected = await recovered.ReceiveJsonAsync();
        Assert.Equal("connected", connected.GetProperty("event").GetString());
        Assert.Equal(connectionId, connected.GetProperty("connectionId").GetString());

        await SendToConnectionAsync(connectionId, "m7");
        var replayed = await ReceiveMessagesAsync(recovered, 5);
        Assert.Equal([3UL, 4UL, 5UL, 6UL, 7UL], replayed.Select(m => m.Sequence));
        Assert.Equal(["m3", "m4", "m5", "m6", "m7"], replayed.Select(m => m.Data));

        // The same connection for the app: no second connect/connected, no disconnected.
        Assert.Single(emulator.Upstream.Requests, r => r.ConnectionId == connectionId && r.EventName == "connected");
        Assert.DoesNotContain(emulator.Upstream.Requests, r => r.ConnectionId == connectionId && r.EventName == "disconnected");
        Assert.Equal(HttpStatusCode.OK, (await _client.RestAsync(HttpMethod.Head, $"api/hubs/{Hub}/connections/{connectionId}?api-version=2024-12-01")).StatusCode);
    }

    [Fact]
    public async Task Groups_survive_a_recovery_and_group_messages_sent_during_the_drop_arrive()
    {
        var (socket, connectionId, token) = await ConnectReliableAsync("groups", groups: ["kitchen"]);
        var session = Session(connectionId);
        await DropAsync(socket, session);

        var send = await _client.SendTextAsync($"api/hubs/{Hub}/groups/kitchen/:send?api-version=2024-12-01", "while away");
        Assert.Equal(HttpStatusCode.Accepted, send.StatusCode);

        await using var recovered = await TestSocket.ConnectAsync(RecoveryUrl(connectionId, token), [WebPubSubConstants.Subprotocols.JsonReliable]);
        Assert.Equal("connected", (await recovered.ReceiveJsonAsync()).GetProperty("event").GetString());
        var message = await recovered.ReceiveJsonAsync();
        Assert.Equal("group", message.GetProperty("from").GetString());
        Assert.Equal("while away", message.GetProperty("data").GetString());
        Assert.Equal(1UL, message.GetProperty("sequenceId").GetUInt64());
    }

    [Fact]
    public async Task Recovery_with_a_wrong_token_or_an_unknown_connection_is_refused_with_1008_and_changes_nothing()
    {
        var (socket, connectionId, token) = await ConnectReliableAsync("wrong");
        var session = Session(connectionId);
        await DropAsync(socket, session);

        await AssertRecoveryRefusedAsync(RecoveryUrl(connectionId, "not-the-token"));
        await AssertRecoveryRefusedAsync(RecoveryUrl(connectionId, token[..^1]));
        await AssertRecoveryRefusedAsync(RecoveryUrl("0123456789abcdef0123456789abcdef", token));

        // The real token still recovers: a refusal did not end the session.
        Assert.False(session.IsEnded);
        await using var recovered = await TestSocket.ConnectAsync(RecoveryUrl(connectionId, token), [WebPubSubConstants.Subprotocols.JsonReliable]);
        Assert.Equal(connectionId, (await recovered.ReceiveJsonAsync()).GetProperty("connectionId").GetString());
    }

    [Fact]
    public async Task The_app_hears_no_disconnected_during_the_recovery_window_and_exactly_one_when_it_passes()
    {
        var (socket, connectionId, token) = await ConnectReliableAsync("window");
        await emulator.Upstream.WaitForEventAsync(connectionId, "connected");
        var session = Session(connectionId);
        await DropAsync(socket, session);

        emulator.Time.Advance(ReliableEmulatorFixture.Window - TimeSpan.FromSeconds(1));
        Assert.True(Manager.TryGet(Hub, connectionId, out _), "The connection must stay registered during the window.");
        Assert.DoesNotContain(emulator.Upstream.Requests, r => r.ConnectionId == connectionId && r.EventName == "disconnected");

        // The expiry runs inside Advance: the connection is gone when it returns, and disconnected is on its way.
        emulator.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.False(Manager.TryGet(Hub, connectionId, out _));
        var disconnected = await emulator.Upstream.WaitForEventAsync(connectionId, "disconnected");
        Assert.Contains("not recovered", disconnected.BodyText, StringComparison.Ordinal);

        // A late recovery is refused, and nothing reports a second disconnected.
        await AssertRecoveryRefusedAsync(RecoveryUrl(connectionId, token));
        emulator.Time.Advance(ReliableEmulatorFixture.Window);
        Assert.Single(emulator.Upstream.Requests, r => r.ConnectionId == connectionId && r.EventName == "disconnected");
    }

    [Fact]
    public async Task A_clean_close_by_the_client_ends_the_connection_at_once_and_cannot_be_recovered()
    {
        var (socket, connectionId, token) = await ConnectReliableAsync("leave");
        await emulator.Upstream.WaitForEventAsync(connectionId, "connected");
        await socket.DisposeAsync();

        // No time passes: a client that says goodbye is not waited for.
        await emulator.Upstream.WaitForEventAsync(connectionId, "disconnected");
        Assert.False(Manager.TryGet(Hub, connectionId, out _));
        await AssertRecoveryRefusedAsync(RecoveryUrl(connectionId, token));
    }

    [Fact]
    public async Task A_server_close_during_the_window_ends_it_at_once_with_one_disconnected()
    {
        var (socket, connectionId, token) = await ConnectReliableAsync("closed-away");
        await emulator.Upstream.WaitForEventAsync(connectionId, "connected");
        await DropAsync(socket, Session(connectionId));

        var close = await _client.RestAsync(HttpMethod.Delete, $"api/hubs/{Hub}/connections/{connectionId}?reason=bye&api-version=2024-12-01");
        Assert.Equal(HttpStatusCode.NoContent, close.StatusCode);
        var disconnected = await emulator.Upstream.WaitForEventAsync(connectionId, "disconnected");
        Assert.Contains("bye", disconnected.BodyText, StringComparison.Ordinal);
        await AssertRecoveryRefusedAsync(RecoveryUrl(connectionId, token));
        Assert.Single(emulator.Upstream.Requests, r => r.ConnectionId == connectionId && r.EventName == "disconnected");
    }

    [Fact]
    public async Task An_overflowing_buffer_closes_the_connection_with_1008_and_it_cannot_be_recovered()
    {
        var (socket, connectionId, token) = await ConnectReliableAsync("overflow");
        await using var owned = socket;
        await emulator.Upstream.WaitForEventAsync(connectionId, "connected");

        // The client reads but never acknowledges: message BufferLimit + 1 does not fit.
        for (var i = 1; i <= ReliableEmulatorFixture.BufferLimit + 1; i++)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await SendToConnectionAsync(connectionId, "m" + i)).StatusCode);
        }

        var (status, description) = await socket.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
        Assert.Equal("The reliable message buffer is full.", description);
        await emulator.Upstream.WaitForEventAsync(connectionId, "disconnected");
        await AssertRecoveryRefusedAsync(RecoveryUrl(connectionId, token));
    }

    private ConnectionManager Manager => emulator.Services.GetRequiredService<ConnectionManager>();

    private ReliableSession Session(string connectionId)
    {
        Assert.True(Manager.TryGet(Hub, connectionId, out var connection), $"Connection {connectionId} is not registered.");
        return connection.Reliable ?? throw new InvalidOperationException("Not a reliable connection.");
    }

    private async Task<(TestSocket Socket, string ConnectionId, string Token)> ConnectReliableAsync(string userId, string[]? groups = null)
    {
        var socket = await TestSocket.ConnectAsync(_client.ClientUrl(Hub, _client.ClientToken(Hub, userId, groups: groups)), [WebPubSubConstants.Subprotocols.JsonReliable]);
        var connected = await socket.ReceiveJsonAsync();
        Assert.Equal("connected", connected.GetProperty("event").GetString());
        var connectionId = connected.GetProperty("connectionId").GetString()!;
        socket.ConnectionId = connectionId;
        return (socket, connectionId, connected.GetProperty("reconnectionToken").GetString()!);
    }

    private Uri RecoveryUrl(string connectionId, string token) =>
        _client.ClientUrl(Hub, token: null, $"awps_connection_id={Uri.EscapeDataString(connectionId)}&awps_reconnection_token={Uri.EscapeDataString(token)}");

    private Task<HttpResponseMessage> SendToConnectionAsync(string connectionId, string text) =>
        _client.SendTextAsync($"api/hubs/{Hub}/connections/{connectionId}/:send?api-version=2024-12-01", text);

    /// <summary>Aborts the client socket (no close frame) and waits until the server has noticed.</summary>
    private static async Task DropAsync(TestSocket socket, ReliableSession session)
    {
        socket.Socket.Abort();
        await socket.DisposeAsync();
        await WaitUntilAsync(() => !session.IsAttached, "the server to notice the drop");
    }

    private static async Task AssertRecoveryRefusedAsync(Uri url)
    {
        await using var socket = await TestSocket.ConnectAsync(url, [WebPubSubConstants.Subprotocols.JsonReliable]);
        var (status, description) = await socket.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
        Assert.Equal("The connection could not be recovered.", description);
    }

    private static async Task<List<(ulong Sequence, string? Data)>> ReceiveMessagesAsync(TestSocket socket, int count)
    {
        var messages = new List<(ulong, string?)>();
        while (messages.Count < count)
        {
            var frame = await socket.ReceiveJsonAsync();
            if (frame.GetProperty("type").GetString() == "message")
            {
                messages.Add((frame.GetProperty("sequenceId").GetUInt64(), frame.GetProperty("data").GetString()));
            }
        }

        return messages;
    }

    /// <summary>A bounded wait for a condition the server reaches on its own (real time: socket I/O is not faked).</summary>
    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting for {what}.");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}
