using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using RestaurantOs.Emulator.Tests.Infrastructure;
using RestaurantOs.WebPubSub.Protocol;

namespace RestaurantOs.Emulator.Tests;

/// <summary>
/// Conformance rows that need control of the upstream handler (CloudEvents headers, signature, abuse protection,
/// connect semantics, user events, connection state) plus the protobuf-protocol refusal. A handler on localhost
/// cannot be reached by Azure, so the Azure run of this class is skipped test by test.
/// </summary>
public abstract class UpstreamConformanceTests : IDisposable
{
    private const string Hub = "upstream";
    private TestClient? _client;

    /// <summary>The emulator with its upstream recorder; the Azure subclass skips here.</summary>
    protected abstract EmulatorFixture Emulator { get; }

    private EmulatorFixture Fixture => Started();

    private TestClient Client
    {
        get
        {
            Started();
            return _client!;
        }
    }

    // Every test touches the fixture through here first, so the shared recorder is reset once per test.
    private EmulatorFixture Started()
    {
        var emulator = Emulator;
        if (_client is null)
        {
            emulator.Upstream.Reset();
            _client = new TestClient(emulator);
        }

        return emulator;
    }

    private UpstreamRecorder Upstream => Fixture.Upstream;

    public void Dispose()
    {
        _client?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Every_event_carries_the_cloud_event_headers_and_a_valid_signature()
    {
        await using var socket = await Client.ConnectAsync(Hub, "u1", extraQuery: "foo=bar");
        var connectionId = socket.ConnectionId;

        var connect = await Upstream.WaitForEventAsync(connectionId, "connect");
        AssertCommonHeaders(connect, connectionId, "azure.webpubsub.sys.connect", "connect");
        Assert.Null(connect.Header("ce-subprotocol"));
        Assert.Null(connect.Header("ce-connectionState"));
        Assert.StartsWith("application/json", connect.ContentType, StringComparison.Ordinal);
        Assert.Equal("/upstream/upstream/connect", connect.Path);

        var connected = await Upstream.WaitForEventAsync(connectionId, "connected");
        AssertCommonHeaders(connected, connectionId, "azure.webpubsub.sys.connected", "connected");
        Assert.Equal(WebPubSubConstants.Subprotocols.Json, connected.Header("ce-subprotocol"));

        await socket.SendTextAsync("{\"type\":\"event\",\"event\":\"orderPlaced\",\"dataType\":\"text\",\"data\":\"x\"}");
        var user = await Upstream.WaitForEventAsync(connectionId, "orderPlaced");
        AssertCommonHeaders(user, connectionId, "azure.webpubsub.user.orderPlaced", "orderPlaced");
        Assert.Equal("/upstream/upstream/orderPlaced", user.Path);

        await socket.Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", TestContext.Current.CancellationToken).WaitAsync(TestClient.Timeout, TestContext.Current.CancellationToken);
        var disconnected = await Upstream.WaitForEventAsync(connectionId, "disconnected");
        AssertCommonHeaders(disconnected, connectionId, "azure.webpubsub.sys.disconnected", "disconnected");
        using var body = JsonDocument.Parse(disconnected.Body);
        Assert.Contains("1000", body.RootElement.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    private void AssertCommonHeaders(RecordedRequest request, string connectionId, string type, string eventName)
    {
        Assert.Equal("1.0", request.Header("ce-specversion"));
        Assert.Equal("1.0", request.Header("ce-awpsversion"));
        Assert.Equal(type, request.Header("ce-type"));
        Assert.Equal($"/hubs/{Hub}/client/{connectionId}", request.Header("ce-source"));
        Assert.False(string.IsNullOrEmpty(request.Header("ce-id")));
        Assert.True(DateTimeOffset.TryParse(request.Header("ce-time"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time));
        Assert.True(Math.Abs((DateTimeOffset.UtcNow - time).TotalMinutes) < 5);
        Assert.Equal(Hub, request.Header("ce-hub"));
        Assert.Equal(connectionId, request.Header("ce-connectionId"));
        Assert.Equal("u1", request.Header("ce-userId"));
        Assert.Equal(eventName, request.Header("ce-eventName"));
        Assert.Equal("127.0.0.1", request.Header("WebHook-Request-Origin"));

        // Computed here independently: sha256= + lower-case hex HMAC-SHA256(UTF-8 key, UTF-8 connectionId).
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Fixture.AccessKey), Encoding.UTF8.GetBytes(connectionId)));
        Assert.Equal(expected, request.Header("ce-signature"));
    }

    [Fact]
    public async Task Connect_body_has_array_valued_claims_query_headers_and_subprotocols()
    {
        var token = Client.ClientToken(Hub, "claimed", roles: ["webpubsub.joinLeaveGroup"]);
        await using var socket = await TestSocket.ConnectAsync(Client.ClientUrl(Hub, token, "foo=bar&foo=baz"), ["custom.v1", WebPubSubConstants.Subprotocols.Json],
            o => o.SetRequestHeader("X-Test", "yes"));
        var connectedFrame = await socket.ReceiveJsonAsync();
        var connect = await Upstream.WaitForEventAsync(connectedFrame.GetProperty("connectionId").GetString()!, "connect");

        using var body = JsonDocument.Parse(connect.Body);
        var root = body.RootElement;
        Assert.Equal("claimed", root.GetProperty("claims").GetProperty("sub")[0].GetString());
        Assert.Equal("webpubsub.joinLeaveGroup", root.GetProperty("claims").GetProperty("role")[0].GetString());
        Assert.Equal(JsonValueKind.Array, root.GetProperty("claims").GetProperty("exp").ValueKind);
        Assert.Equal(["bar", "baz"], root.GetProperty("query").GetProperty("foo").EnumerateArray().Select(e => e.GetString()));
        Assert.False(root.GetProperty("query").TryGetProperty("access_token", out _));
        var headers = root.GetProperty("headers").EnumerateObject().ToDictionary(p => p.Name, p => p.Value, StringComparer.OrdinalIgnoreCase);
        Assert.Equal("yes", headers["X-Test"][0].GetString());
        Assert.Equal(["custom.v1", WebPubSubConstants.Subprotocols.Json], root.GetProperty("subprotocols").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(0, root.GetProperty("clientCertificates").GetArrayLength());
    }

    [Fact]
    public async Task Abuse_protection_validates_a_handler_once_with_origin_and_awps_version()
    {
        await using (await Client.ConnectAsync("once", "v1"))
        {
        }

        await using (await Client.ConnectAsync("once", "v2"))
        {
        }

        var validations = Upstream.Requests.Where(r => r.Method == "OPTIONS" && r.Path == "/once/once/validate").ToList();
        var validation = Assert.Single(validations);
        Assert.Equal("127.0.0.1", validation.Header("WebHook-Request-Origin"));
        Assert.Equal("1.0", validation.Header("ce-awpsversion"));
        Assert.Equal(2, Upstream.Requests.Count(r => r.Method == "POST" && r.Path == "/once/once/connect"));
    }

    [Fact]
    public async Task A_handler_that_fails_validation_gets_no_event_and_the_connect_is_refused()
    {
        var (status, socket) = await TestSocket.TryConnectAsync(Client.ClientUrl("invalidated", Client.ClientToken("invalidated", "x")), []);
        Assert.Null(socket);
        Assert.Equal(500, status);
        Assert.Contains(Upstream.Requests, r => r.Method == "OPTIONS" && r.Path == "/novalidate/invalidated/validate");
        Assert.DoesNotContain(Upstream.Requests, r => r.Method == "POST" && r.Path.StartsWith("/novalidate/", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(500)]
    public async Task Rejected_connect_refuses_the_upgrade_with_the_same_status_and_no_connected_or_disconnected(int rejectStatus)
    {
        Upstream.Responder = r => r.EventName == "connect" && r.Header("ce-userId") == "rejected"
            ? UpstreamReply.Text("no entry", rejectStatus)
            : UpstreamRecorder.DefaultReply(r);
        var (status, socket) = await TestSocket.TryConnectAsync(Client.ClientUrl(Hub, Client.ClientToken(Hub, "rejected")), [WebPubSubConstants.Subprotocols.Json]);
        Assert.Null(socket);
        Assert.Equal(rejectStatus, status);
        var rejectedId = (await Upstream.WaitForAsync(r => r.EventName == "connect" && r.Header("ce-userId") == "rejected")).ConnectionId;

        // A later accepted connection's full lifecycle is a sync point: the rejected one's events would precede it.
        await using (var probe = await Client.ConnectAsync(Hub, "probe"))
        {
            await Upstream.WaitForEventAsync(probe.ConnectionId, "connected");
        }

        Assert.DoesNotContain(Upstream.Requests, r => r.ConnectionId == rejectedId && r.EventName is "connected" or "disconnected");
    }

    [Fact]
    public async Task Connect_response_overrides_user_groups_roles_and_subprotocol()
    {
        Upstream.Responder = r => r.EventName == "connect"
            ? UpstreamReply.Json($"{{\"userId\":\"override\",\"groups\":[\"og\"],\"roles\":[\"webpubsub.sendToGroup\"],\"subprotocol\":\"{WebPubSubConstants.Subprotocols.Json}\"}}")
            : UpstreamRecorder.DefaultReply(r);
        await using var socket = await TestSocket.ConnectAsync(Client.ClientUrl(Hub, Client.ClientToken(Hub, "original", groups: ["tokengroup"])), ["custom.v1", WebPubSubConstants.Subprotocols.Json]);
        Assert.Equal(WebPubSubConstants.Subprotocols.Json, socket.Socket.SubProtocol);
        var connected = await socket.ReceiveJsonAsync();
        Assert.Equal("override", connected.GetProperty("userId").GetString());

        using (var inGroup = await Client.RestAsync(HttpMethod.Head, $"api/hubs/{Hub}/groups/og?api-version=2024-12-01"))
        {
            Assert.Equal(HttpStatusCode.OK, inGroup.StatusCode);
        }

        using (var tokenGroup = await Client.RestAsync(HttpMethod.Head, $"api/hubs/{Hub}/groups/tokengroup?api-version=2024-12-01"))
        {
            Assert.Equal(HttpStatusCode.NotFound, tokenGroup.StatusCode);
        }

        await socket.SendTextAsync("{\"type\":\"sendToGroup\",\"group\":\"og\",\"ackId\":1,\"noEcho\":true,\"data\":1}");
        Assert.True((await socket.ReceiveJsonAsync()).GetProperty("success").GetBoolean());
        var connectedEvent = await Upstream.WaitForEventAsync(connected.GetProperty("connectionId").GetString()!, "connected");
        Assert.Equal("override", connectedEvent.Header("ce-userId"));
    }

    [Fact]
    public async Task Connect_handler_may_pick_a_custom_subprotocol_which_behaves_as_plain()
    {
        Upstream.Responder = r => r.EventName == "connect" ? UpstreamReply.Json("{\"userId\":\"custom\",\"subprotocol\":\"custom.v1\"}") : UpstreamRecorder.DefaultReply(r);
        await using var socket = await TestSocket.ConnectAsync(Client.ClientUrl(Hub, Client.ClientToken(Hub, "x")), ["custom.v1", WebPubSubConstants.Subprotocols.Json]);
        Assert.Equal("custom.v1", socket.Socket.SubProtocol);
        using var send = await Client.SendTextAsync($"api/hubs/{Hub}/users/custom/:send?api-version=2024-12-01", "raw");
        Assert.Equal("raw", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task Connection_state_from_replies_is_sent_with_later_events()
    {
        Upstream.Responder = r => r.EventName switch
        {
            "connect" => new UpstreamReply(204, Headers: new Dictionary<string, string> { ["ce-connectionState"] = "c3RhdGUx" }),
            "first" => new UpstreamReply(204, Headers: new Dictionary<string, string> { ["ce-connectionState"] = "c3RhdGUy" }),
            _ => UpstreamRecorder.DefaultReply(r),
        };
        await using var socket = await Client.ConnectAsync(Hub, "stateful");
        var connected = await Upstream.WaitForEventAsync(socket.ConnectionId, "connected");
        Assert.Equal("c3RhdGUx", connected.Header("ce-connectionState"));

        await socket.SendTextAsync("{\"type\":\"event\",\"event\":\"first\",\"ackId\":1,\"data\":{}}");
        Assert.True((await socket.ReceiveJsonAsync()).GetProperty("success").GetBoolean());
        Assert.Equal("c3RhdGUx", (await Upstream.WaitForEventAsync(socket.ConnectionId, "first")).Header("ce-connectionState"));

        await socket.SendTextAsync("{\"type\":\"event\",\"event\":\"second\",\"ackId\":2,\"data\":{}}");
        Assert.True((await socket.ReceiveJsonAsync()).GetProperty("success").GetBoolean());
        Assert.Equal("c3RhdGUy", (await Upstream.WaitForEventAsync(socket.ConnectionId, "second")).Header("ce-connectionState"));
    }

    [Fact]
    public async Task Empty_roles_from_connect_clear_token_roles_and_empty_state_clears_state()
    {
        Upstream.Responder = r => r.EventName switch
        {
            "connect" => UpstreamReply.Json("{\"roles\":[]}", new Dictionary<string, string> { ["ce-connectionState"] = "c3RhdGUx" }),
            "clear" => new UpstreamReply(204, Headers: new Dictionary<string, string> { ["ce-connectionState"] = "" }),
            _ => UpstreamRecorder.DefaultReply(r),
        };
        await using var socket = await Client.ConnectAsync(Hub, "noroles", roles: ["webpubsub.joinLeaveGroup"]);
        await socket.SendTextAsync("{\"type\":\"joinGroup\",\"group\":\"g\",\"ackId\":1}");
        Assert.Equal("Forbidden", (await socket.ReceiveJsonAsync()).GetProperty("error").GetProperty("name").GetString());

        await socket.SendTextAsync("{\"type\":\"event\",\"event\":\"clear\",\"ackId\":2,\"data\":1}");
        Assert.True((await socket.ReceiveJsonAsync()).GetProperty("success").GetBoolean());
        Assert.Equal("c3RhdGUx", (await Upstream.WaitForEventAsync(socket.ConnectionId, "clear")).Header("ce-connectionState"));
        await socket.SendTextAsync("{\"type\":\"event\",\"event\":\"after\",\"ackId\":3,\"data\":1}");
        Assert.True((await socket.ReceiveJsonAsync()).GetProperty("success").GetBoolean());
        Assert.Null((await Upstream.WaitForEventAsync(socket.ConnectionId, "after")).Header("ce-connectionState"));
    }

    [Fact]
    public async Task Plain_client_frames_become_message_events_and_replies_come_back_raw()
    {
        Upstream.Responder = r => r.EventName == "message"
            ? r.ContentType!.StartsWith("text/plain", StringComparison.Ordinal)
                ? UpstreamReply.Text("echo:" + r.BodyText)
                : new UpstreamReply(200, [.. r.Body, 0xFF], "application/octet-stream")
            : UpstreamRecorder.DefaultReply(r);
        await using var socket = await Client.ConnectAsync(Hub, "plainuser", json: false);

        await socket.SendTextAsync("hi");
        Assert.Equal("echo:hi", await socket.ReceiveTextAsync());
        var textEvent = await Upstream.WaitForAsync(r => r.EventName == "message" && r.Header("ce-userId") == "plainuser");
        Assert.Equal("azure.webpubsub.user.message", textEvent.Header("ce-type"));
        Assert.StartsWith("text/plain", textEvent.ContentType, StringComparison.Ordinal);

        await socket.SendBinaryAsync([1, 2]);
        var (type, data) = await socket.ReceiveAsync();
        Assert.Equal(WebSocketMessageType.Binary, type);
        Assert.Equal(new byte[] { 1, 2, 0xFF }, data);
    }

    [Fact]
    public async Task Json_event_reply_arrives_as_a_server_message_after_the_ack()
    {
        Upstream.Responder = r => r.EventName == "lookup" ? UpstreamReply.Json("{\"ok\":true}") : UpstreamRecorder.DefaultReply(r);
        await using var socket = await Client.ConnectAsync(Hub, "jsonuser");
        await socket.SendTextAsync("{\"type\":\"event\",\"event\":\"lookup\",\"ackId\":5,\"dataType\":\"json\",\"data\":{\"q\":[1]}}");

        var ack = await socket.ReceiveJsonAsync();
        Assert.Equal(5, ack.GetProperty("ackId").GetInt32());
        Assert.True(ack.GetProperty("success").GetBoolean());
        var message = await socket.ReceiveJsonAsync();
        Assert.Equal("server", message.GetProperty("from").GetString());
        Assert.Equal("json", message.GetProperty("dataType").GetString());
        Assert.True(message.GetProperty("data").GetProperty("ok").GetBoolean());

        var request = await Upstream.WaitForEventAsync(socket.ConnectionId, "lookup");
        Assert.StartsWith("application/json", request.ContentType, StringComparison.Ordinal);
        Assert.Equal("{\"q\":[1]}", request.BodyText);
    }

    [Fact]
    public async Task Failed_user_event_closes_a_plain_client_with_1011()
    {
        Upstream.Responder = r => r.EventName == "message" ? UpstreamReply.Text("boom", 500) : UpstreamRecorder.DefaultReply(r);
        await using var socket = await Client.ConnectAsync(Hub, "plainfail", json: false);
        await socket.SendTextAsync("hi");
        var (status, _) = await socket.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.InternalServerError, status);
    }

    [Fact]
    public async Task Failed_user_event_is_acked_to_a_json_client_as_internal_server_error()
    {
        Upstream.Responder = r => r.EventName == "broken" ? UpstreamReply.Text("boom", 500) : UpstreamRecorder.DefaultReply(r);
        await using var socket = await Client.ConnectAsync(Hub, "jsonfail");
        await socket.SendTextAsync("{\"type\":\"event\",\"event\":\"broken\",\"ackId\":9,\"data\":1}");
        var ack = await socket.ReceiveJsonAsync();
        Assert.False(ack.GetProperty("success").GetBoolean());
        Assert.Equal("InternalServerError", ack.GetProperty("error").GetProperty("name").GetString());
        await socket.SendTextAsync("{\"type\":\"ping\"}");
        Assert.Equal("pong", (await socket.ReceiveJsonAsync()).GetProperty("type").GetString());
    }

    [Fact]
    public async Task Message_of_exactly_the_limit_is_delivered_and_one_byte_more_closes_with_1009()
    {
        await using (var socket = await Client.ConnectAsync(Hub, "big", json: false))
        {
            await socket.SendTextAsync(new string('a', 1024 * 1024));
            var delivered = await Upstream.WaitForAsync(r => r.EventName == "message" && r.Header("ce-userId") == "big");
            Assert.Equal(1024 * 1024, delivered.Body.Length);
        }

        await using var tooBig = await Client.ConnectAsync(Hub, "toobig", json: false);
        await tooBig.SendTextAsync(new string('a', (1024 * 1024) + 1));
        var (status, _) = await tooBig.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, status);
    }

    [Fact]
    public async Task Anonymous_hub_accepts_a_client_without_token_and_others_refuse_with_401()
    {
        await using var anonymous = await TestSocket.ConnectAsync(Client.ClientUrl("anon", token: null), [WebPubSubConstants.Subprotocols.Json]);
        var connected = await anonymous.ReceiveJsonAsync();
        Assert.Equal(JsonValueKind.Null, connected.GetProperty("userId").ValueKind);

        var (status, socket) = await TestSocket.TryConnectAsync(Client.ClientUrl(Hub, token: null), [WebPubSubConstants.Subprotocols.Json]);
        Assert.Null(socket);
        Assert.Equal(401, status);
    }

    [Theory]
    [InlineData("protobuf.webpubsub.azure.v1")]
    [InlineData("protobuf.reliable.webpubsub.azure.v1")]
    public async Task Protobuf_subprotocols_are_refused_with_400_as_documented(string subprotocol)
    {
        var (status, socket) = await TestSocket.TryConnectAsync(Client.ClientUrl(Hub, Client.ClientToken(Hub, "reliable")), [subprotocol]);
        Assert.Null(socket);
        Assert.Equal(400, status);
        Assert.DoesNotContain(Upstream.Requests, r => r.Header("ce-userId") == "reliable");
    }
}

/// <summary>The upstream rows against the emulator.</summary>
public sealed class EmulatorUpstreamConformanceTests(EmulatorFixture fixture) : UpstreamConformanceTests, IClassFixture<EmulatorFixture>
{
    protected override EmulatorFixture Emulator => fixture;
}

/// <summary>The upstream rows for an Azure run: always skipped, since Azure cannot call a handler on localhost.</summary>
public sealed class AzureUpstreamConformanceTests : UpstreamConformanceTests
{
    protected override EmulatorFixture Emulator
    {
        get
        {
            Assert.Skip(new AzureTarget().IsConfigured
                ? "Emulator only: needs an upstream handler the service can reach (a localhost recorder here)"
                : $"{AzureTarget.ConnectionStringVariable} not set");
            return null!;
        }
    }
}
