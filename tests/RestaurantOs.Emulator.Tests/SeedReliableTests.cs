using System.Net;
using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using RestaurantOs.Emulator.Connections;
using RestaurantOs.Emulator.Tests.Infrastructure;
using RestaurantOs.WebPubSub.Protocol;

namespace RestaurantOs.Emulator.Tests;

/// <summary>
/// <c>json.reliable.webpubsub.azure.v1</c> on a seed-compatible endpoint: offered by a client (Microsoft's SDK given the
/// seed URL), it gets the reliable envelopes and recovers on the same URL; a seed client that offers nothing stays plain.
/// </summary>
public sealed class SeedReliableTests(SeedFixture fixture) : IClassFixture<SeedFixture>, IDisposable
{
    private readonly TestClient _client = new(fixture);

    public void Dispose() => _client.Dispose();

    private Uri SeedUrl(string query = "") => new UriBuilder(fixture.Endpoint) { Scheme = "ws", Path = "/seed", Query = query }.Uri;

    [Fact]
    public async Task A_reliable_client_on_the_seed_endpoint_is_numbered_and_recovers_there_but_not_on_the_client_endpoint()
    {
        var socket = await TestSocket.ConnectAsync(SeedUrl("token=app.jwt"), [WebPubSubConstants.Subprotocols.JsonReliable]);
        Assert.Equal(WebPubSubConstants.Subprotocols.JsonReliable, socket.Socket.SubProtocol);
        var connected = await socket.ReceiveJsonAsync();
        var connectionId = connected.GetProperty("connectionId").GetString()!;
        var token = connected.GetProperty("reconnectionToken").GetString()!;
        await fixture.Upstream.WaitForEventAsync(connectionId, "connected");

        Assert.Equal(HttpStatusCode.Accepted, (await _client.SendTextAsync($"api/hubs/seed/connections/{connectionId}/:send?api-version=2024-12-01", "one")).StatusCode);
        var first = await socket.ReceiveJsonAsync();
        Assert.Equal(1UL, first.GetProperty("sequenceId").GetUInt64());

        Assert.True(fixture.Services.GetRequiredService<ConnectionManager>().TryGet("seed", connectionId, out var connection));
        socket.Socket.Abort();
        await socket.DisposeAsync();
        var deadline = DateTime.UtcNow + TestClient.Timeout;
        while (connection.Reliable!.IsAttached)
        {
            Assert.True(DateTime.UtcNow < deadline, "The server did not notice the drop.");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        // The seed connection cannot be taken over through the Azure endpoint of the same hub.
        var recoveryQuery = $"awps_connection_id={connectionId}&awps_reconnection_token={Uri.EscapeDataString(token)}";
        await using (var elsewhere = await TestSocket.ConnectAsync(_client.ClientUrl("seed", token: null, recoveryQuery), [WebPubSubConstants.Subprotocols.JsonReliable]))
        {
            Assert.Equal(WebSocketCloseStatus.PolicyViolation, (await elsewhere.ReceiveCloseAsync()).Status);
        }

        await using var recovered = await TestSocket.ConnectAsync(SeedUrl("token=app.jwt&" + recoveryQuery), [WebPubSubConstants.Subprotocols.JsonReliable]);
        Assert.Equal(connectionId, (await recovered.ReceiveJsonAsync()).GetProperty("connectionId").GetString());
        var replayed = await recovered.ReceiveJsonAsync();
        Assert.Equal(1UL, replayed.GetProperty("sequenceId").GetUInt64());
        Assert.Equal("one", replayed.GetProperty("data").GetString());
        Assert.Single(fixture.Upstream.Requests, r => r.ConnectionId == connectionId && r.EventName == "connect");
    }

    [Fact]
    public async Task A_seed_client_that_offers_no_subprotocol_stays_plain()
    {
        await using var socket = await TestSocket.ConnectAsync(SeedUrl("token=plain.jwt"), []);
        Assert.Null(socket.Socket.SubProtocol);
    }
}
