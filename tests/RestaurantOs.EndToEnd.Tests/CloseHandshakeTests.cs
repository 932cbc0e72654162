using System.Net.WebSockets;
using RestaurantOs.EndToEnd.Tests.Infrastructure;

namespace RestaurantOs.EndToEnd.Tests;

/// <summary>
/// A client that closes gets its close echoed (RFC 6455 §5.5.1) on the seed endpoint, every time: the server used to
/// abort the connection right after writing its close frame, so most clients saw 1006 instead of their own 1000.
/// </summary>
public sealed class CloseHandshakeTests(DevHostFixture host) : IClassFixture<DevHostFixture>
{
    [Fact]
    public async Task A_client_close_is_echoed_and_completes_cleanly_every_time()
    {
        var token = await host.TokenAsync(Guid.NewGuid(), "kitchen");
        var failures = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            using var socket = new ClientWebSocket();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            await socket.ConnectAsync(host.SeedUri(token), timeout.Token);
            try
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
                if (socket.State != WebSocketState.Closed || socket.CloseStatus != WebSocketCloseStatus.NormalClosure)
                {
                    failures.Add($"#{i}: {socket.State} {socket.CloseStatus}");
                }
            }
            catch (WebSocketException ex)
            {
                failures.Add($"#{i}: {ex.Message}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
