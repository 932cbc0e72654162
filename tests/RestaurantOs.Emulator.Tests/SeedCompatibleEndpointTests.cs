using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using RestaurantOs.Emulator.Tests.Infrastructure;

namespace RestaurantOs.Emulator.Tests;

/// <summary>An emulator with seed-compatible endpoints: <c>/seed</c> (defaults) and <c>/seed-small</c> (1 KB limit).</summary>
public sealed class SeedFixture : EmulatorFixture
{
    protected override void MapExtra(WebApplication app)
    {
        app.MapSeedCompatibleEndpoint("/seed", "seed");
        app.MapSeedCompatibleEndpoint("/seed-small", "seed", o => o.MaxInboundMessageBytes = 1024);
        app.MapSeedCompatibleEndpoint("/seed-http", "seed", o => o.CloseRejectedConnectOverWebSocket = false);
    }
}

/// <summary>The seed-compatible endpoint's differences from the Azure-faithful client endpoint.</summary>
public sealed class SeedCompatibleEndpointTests : IClassFixture<SeedFixture>, IDisposable
{
    private readonly SeedFixture _fixture;
    private readonly TestClient _client;

    public SeedCompatibleEndpointTests(SeedFixture fixture)
    {
        _fixture = fixture;
        _fixture.Upstream.Reset();
        _client = new TestClient(fixture);
    }

    public void Dispose() => _client.Dispose();

    private Uri SeedUrl(string path, string query = "") =>
        new UriBuilder(_fixture.Endpoint) { Scheme = "ws", Path = path, Query = query }.Uri;

    /// <summary>Connects with a unique probe query value and returns the socket and its connection id (from the connect event).</summary>
    private async Task<(TestSocket Socket, string ConnectionId)> ConnectSeedAsync(string path = "/seed", string extraQuery = "", Action<ClientWebSocketOptions>? configure = null)
    {
        var probe = Guid.NewGuid().ToString("N");
        var socket = await TestSocket.ConnectAsync(SeedUrl(path, $"probe={probe}" + (extraQuery.Length > 0 ? "&" + extraQuery : "")), [], configure);
        var connect = await _fixture.Upstream.WaitForAsync(r => r.EventName == "connect" && r.BodyText.Contains(probe, StringComparison.Ordinal));

        // connected is sent after registration: from then on REST calls can find the connection.
        await _fixture.Upstream.WaitForEventAsync(connect.ConnectionId, "connected");
        return (socket, connect.ConnectionId);
    }

    [Fact]
    public async Task App_jwt_reaches_the_connect_handler_in_query_and_headers_without_claims()
    {
        var (socket, connectionId) = await ConnectSeedAsync(extraQuery: "token=app.jwt.value", configure: o => o.SetRequestHeader("Authorization", "Bearer header.jwt.value"));
        await using var _ = socket;
        var connect = await _fixture.Upstream.WaitForEventAsync(connectionId, "connect");
        using var body = JsonDocument.Parse(connect.Body);
        Assert.Equal("app.jwt.value", body.RootElement.GetProperty("query").GetProperty("token")[0].GetString());
        var headers = body.RootElement.GetProperty("headers").EnumerateObject().ToDictionary(p => p.Name, p => p.Value, StringComparer.OrdinalIgnoreCase);
        Assert.Equal("Bearer header.jwt.value", headers["Authorization"][0].GetString());
        Assert.Empty(body.RootElement.GetProperty("claims").EnumerateObject());
        Assert.Equal("/seed/seed/connect", connect.Path);
    }

    [Fact]
    public async Task Access_token_query_is_passed_through_too()
    {
        var (socket, connectionId) = await ConnectSeedAsync(extraQuery: "access_token=abc");
        await using var _ = socket;
        using var body = JsonDocument.Parse((await _fixture.Upstream.WaitForEventAsync(connectionId, "connect")).Body);
        Assert.Equal("abc", body.RootElement.GetProperty("query").GetProperty("access_token")[0].GetString());
    }

    [Theory]
    [InlineData(401, WebSocketCloseStatus.PolicyViolation)]
    [InlineData(403, WebSocketCloseStatus.PolicyViolation)]
    [InlineData(500, WebSocketCloseStatus.InternalServerError)]
    public async Task Rejected_connect_is_accepted_then_closed_with_the_handler_reason(int rejectStatus, WebSocketCloseStatus expected)
    {
        _fixture.Upstream.Responder = r => r.EventName == "connect"
            ? new UpstreamReply(rejectStatus, "{\"code\":\"Unauthorized\",\"errorMessage\":\"UNAUTHORIZED: token expired\"}"u8.ToArray(), "application/json")
            : UpstreamRecorder.DefaultReply(r);
        await using var socket = await TestSocket.ConnectAsync(SeedUrl("/seed"), []);
        var (status, description) = await socket.ReceiveCloseAsync();
        Assert.Equal(expected, status);
        Assert.Equal("UNAUTHORIZED: token expired", description);
        var connect = await _fixture.Upstream.WaitForAsync(r => r.EventName == "connect");
        Assert.DoesNotContain(_fixture.Upstream.Requests, r => r.ConnectionId == connect.ConnectionId && r.EventName is "connected" or "disconnected");
    }

    [Fact]
    public async Task Rejected_connect_can_be_refused_over_http_when_configured()
    {
        _fixture.Upstream.Responder = r => r.EventName == "connect" ? UpstreamReply.Text("no", 401) : UpstreamRecorder.DefaultReply(r);
        var (status, socket) = await TestSocket.TryConnectAsync(SeedUrl("/seed-http"), []);
        Assert.Null(socket);
        Assert.Equal(401, status);
    }

    [Fact]
    public async Task Messages_over_64_KB_close_with_1009_and_smaller_ones_are_relayed()
    {
        var (socket, connectionId) = await ConnectSeedAsync();
        await using var _ = socket;
        await socket.SendTextAsync(new string('a', 64 * 1024));
        var relayed = await _fixture.Upstream.WaitForEventAsync(connectionId, "message");
        Assert.Equal(64 * 1024, relayed.Body.Length);

        await socket.SendTextAsync(new string('a', (64 * 1024) + 1));
        var (status, _) = await socket.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, status);
    }

    [Fact]
    public async Task Per_endpoint_options_change_the_inbound_limit()
    {
        var (socket, _) = await ConnectSeedAsync("/seed-small");
        await using var __ = socket;
        await socket.SendTextAsync(new string('a', 1025));
        var (status, _) = await socket.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, status);
    }

    [Fact]
    public async Task First_auth_message_is_relayed_as_a_user_event_and_the_reply_is_sent_raw()
    {
        _fixture.Upstream.Responder = r => r.EventName == "message"
            ? UpstreamReply.Json("{\"type\":\"auth:ok\"}")
            : UpstreamRecorder.DefaultReply(r);
        var (socket, connectionId) = await ConnectSeedAsync();
        await using var _ = socket;
        await socket.SendTextAsync("{\"type\":\"auth\",\"token\":\"t\"}");
        Assert.Equal("{\"type\":\"auth:ok\"}", await socket.ReceiveTextAsync());
        var message = await _fixture.Upstream.WaitForEventAsync(connectionId, "message");
        Assert.Equal("{\"type\":\"auth\",\"token\":\"t\"}", message.BodyText);
        Assert.Equal("azure.webpubsub.user.message", message.Header("ce-type"));
    }

    [Theory]
    [InlineData("UNAUTHORIZED", WebSocketCloseStatus.PolicyViolation)]
    [InlineData("AUTH_TIMEOUT: no auth within 10 s", WebSocketCloseStatus.PolicyViolation)]
    [InlineData("TENANT_VIOLATION", WebSocketCloseStatus.PolicyViolation)]
    [InlineData("rate_limited", WebSocketCloseStatus.PolicyViolation)]
    [InlineData("MESSAGE_TOO_BIG", WebSocketCloseStatus.MessageTooBig)]
    [InlineData("INTERNAL_ERROR", WebSocketCloseStatus.InternalServerError)]
    [InlineData("server restarting", WebSocketCloseStatus.NormalClosure)]
    public async Task Rest_close_reason_maps_to_a_close_code(string reason, WebSocketCloseStatus expected)
    {
        var (socket, connectionId) = await ConnectSeedAsync();
        await using var _ = socket;
        using var response = await _client.RestAsync(HttpMethod.Delete, $"api/hubs/seed/connections/{connectionId}?api-version=2024-12-01&reason={Uri.EscapeDataString(reason)}");
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var (status, description) = await socket.ReceiveCloseAsync();
        Assert.Equal(expected, status);
        Assert.Equal(reason, description);
        var disconnected = await _fixture.Upstream.WaitForEventAsync(connectionId, "disconnected");
        Assert.Contains(reason, disconnected.BodyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rest_sends_reach_seed_clients_as_raw_frames()
    {
        var (socket, connectionId) = await ConnectSeedAsync();
        await using var _ = socket;
        using var response = await _client.SendTextAsync($"api/hubs/seed/connections/{connectionId}/:send?api-version=2024-12-01", "{\"type\":\"order:created\"}", "application/json");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("{\"type\":\"order:created\"}", await socket.ReceiveTextAsync());
    }
}
