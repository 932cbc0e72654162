using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using RestaurantOs.Realtime.Auth;

namespace RestaurantOs.WorkerHost.Tests;

/// <summary>
/// The deployed shape, locally: the real worker behind the host's front, the Web PubSub emulator as its service (its
/// event handler calling the front). A screen negotiates and connects through them; an order posted through the front
/// reaches the screen — connect/connected upstream events, the HTTP write, the change feed and the publish all run in the
/// worker process.
/// </summary>
public sealed class WorkerEndToEndTests(WorkerFixture worker) : IClassFixture<WorkerFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Token(Guid restaurant, Role role) =>
        AppTokenIssuer.CreateHs256(WorkerFixture.SigningKey, WorkerFixture.Issuer, WorkerFixture.Audience, "worker-e2e", restaurant, role, null,
            DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1));

    [Fact]
    public async Task An_order_posted_through_the_worker_reaches_a_connected_screen()
    {
        var restaurant = Guid.NewGuid();
        using var http = new HttpClient { BaseAddress = worker.Front, Timeout = Wait };
        using var negotiate = new HttpRequestMessage(HttpMethod.Get, "api/negotiate");
        negotiate.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token(restaurant, Role.Kitchen));
        using var negotiated = await http.SendAsync(negotiate, Ct);
        var negotiateBody = await negotiated.Content.ReadAsStringAsync(Ct);
        Assert.True(negotiated.IsSuccessStatusCode, $"{negotiated.StatusCode}: {negotiateBody}\n{worker.Host.Output}");
        var url = JsonDocument.Parse(negotiateBody).RootElement.GetProperty("url").GetString()!;

        using var screen = new ClientWebSocket();
        await screen.ConnectAsync(new Uri(url), Ct);
        var received = new List<string>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(Wait);

        // Wait until the app has taken the connection in (its `connected` handler answers with a hello).
        await ReceiveUntilAsync(screen, received, m => m.Contains("\"connected\"", StringComparison.Ordinal), timeout.Token);

        // A client message is a user event upstream: the worker's handler answers the ping.
        await screen.SendAsync(Encoding.UTF8.GetBytes("""{"type":"ping"}"""), WebSocketMessageType.Text, endOfMessage: true, Ct);
        await ReceiveUntilAsync(screen, received, m => m.Contains("\"pong\"", StringComparison.Ordinal), timeout.Token);

        using var create = new HttpRequestMessage(HttpMethod.Post, "api/orders")
        {
            Content = new StringContent("""{"items":[{"name":"Soup","quantity":1,"price":900}],"table_number":"T2"}""", Encoding.UTF8, "application/json"),
        };
        create.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token(restaurant, Role.Server));
        using var created = await http.SendAsync(create, Ct);
        Assert.True(created.IsSuccessStatusCode, $"{created.StatusCode}: {await created.Content.ReadAsStringAsync(Ct)}");

        var order = await ReceiveUntilAsync(screen, received, m => m.Contains("\"order:created\"", StringComparison.Ordinal), timeout.Token);
        using var json = JsonDocument.Parse(order);
        Assert.Equal(restaurant.ToString(), json.RootElement.GetProperty("restaurant_id").GetString());

        // Closing sends `disconnected` upstream through the front to the worker, which answers it.
        await screen.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", Ct);
        var deadline = DateTime.UtcNow + Wait;
        while (!worker.FrontHost.Forwarded.Any(f => f.EventName == "disconnected") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, Ct);
        }

        Assert.False(worker.Host.Output.Contains("[host] front:", StringComparison.Ordinal), worker.Host.Output);
        var upstream = worker.FrontHost.Forwarded.Where(f => f.Path == "/api/webpubsub").ToList();
        foreach (var name in new[] { "connect", "connected", "message", "disconnected" })
        {
            Assert.Contains(upstream, f => f.EventName == name && f.Status is >= 200 and < 300);
        }

        Assert.DoesNotContain("[log Error]", worker.Host.Output, StringComparison.Ordinal);
    }

    private async Task<string> ReceiveUntilAsync(ClientWebSocket socket, List<string> received, Func<string, bool> match, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                using var message = new MemoryStream();
                WebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer, cancellationToken);
                    message.Write(buffer, 0, result.Count);
                }
                while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    throw new InvalidOperationException($"The screen was closed ({socket.CloseStatus} {socket.CloseStatusDescription}); got: {string.Join("\n", received)}\n{worker.Host.Output}");
                }

                var text = Encoding.UTF8.GetString(message.ToArray());
                received.Add(text);
                if (match(text))
                {
                    return text;
                }
            }
        }
        catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
        {
            throw new TimeoutException($"Nothing matched within {Wait.TotalSeconds} s; got: {string.Join("\n", received)}\n{worker.Host.Output}");
        }
    }
}
