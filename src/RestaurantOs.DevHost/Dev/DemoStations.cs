using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using RestaurantOs.Realtime.Auth;

namespace RestaurantOs.DevHost.Dev;

/// <summary>
/// <c>--demo</c>: a grill KDS in each demo restaurant, connected over DevHost's own WebSocket endpoint like a real
/// screen: it names its station in its token, applies events and reports them with its heartbeat. Every few minutes
/// its network "drops" for longer than the presence grace, so the presence page shows a station alert being raised and
/// then cleared when it comes back.
/// </summary>
internal sealed partial class DemoStations(
    IServer server,
    IHostApplicationLifetime lifetime,
    IOptions<AppJwtOptions> jwt,
    ILogger<DemoStations> logger) : BackgroundService
{
    public const string Station = "demo-grill-kds";

    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan FirstDropAfter = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan UpFor = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan DownFor = TimeSpan.FromSeconds(45);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await WhenStartedAsync(stoppingToken).ConfigureAwait(false);
            var endpoint = WebSocketEndpoint();
            await Task.WhenAll(DemoRestaurants.All.Select(r => RunStationAsync(endpoint, r, stoppingToken))).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RunStationAsync(Uri endpoint, DevRestaurant restaurant, CancellationToken stoppingToken)
    {
        var upFor = FirstDropAfter;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await StayConnectedAsync(endpoint, restaurant, upFor, stoppingToken).ConfigureAwait(false);
                Log.Dropped(logger, restaurant.Name, DownFor.TotalSeconds);
            }
            catch (Exception ex) when (ex is WebSocketException or IOException or HttpRequestException)
            {
                Log.Failed(logger, restaurant.Name, ex.Message);
            }

            upFor = UpFor;
            await Task.Delay(DownFor, stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task StayConnectedAsync(Uri endpoint, DevRestaurant restaurant, TimeSpan upFor, CancellationToken stoppingToken)
    {
        var options = jwt.Value;
        var now = DateTimeOffset.UtcNow;
        var token = AppTokenIssuer.CreateHs256(options.SigningKey!, options.Issuer!, options.Audience!, "demo-kds", restaurant.Id, Role.Kitchen, null,
            now.AddSeconds(-5), now.AddHours(1), station: Station, device: "demo-tablet");
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(endpoint, "?token=" + Uri.EscapeDataString(token)), stoppingToken).ConfigureAwait(false);
        using var up = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        up.CancelAfter(upFor);
        var applied = 0L;
        var reading = ReadAsync(socket, seq => Interlocked.Exchange(ref applied, Math.Max(Interlocked.Read(ref applied), seq)), up.Token);
        try
        {
            // The first heartbeat after one interval, so its receipt covers the events that arrived meanwhile.
            await Task.Delay(Heartbeat, up.Token).ConfigureAwait(false);
            while (!up.IsCancellationRequested)
            {
                var ping = string.Create(CultureInfo.InvariantCulture, $$"""{"type":"ping","applied_seq":{{Interlocked.Read(ref applied)}}}""");
                await socket.SendAsync(Encoding.UTF8.GetBytes(ping), WebSocketMessageType.Text, true, stoppingToken).ConfigureAwait(false);
                await Task.Delay(Heartbeat, up.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // time to drop
        }

        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "demo network drop", CancellationToken.None).ConfigureAwait(false);
        await reading.ConfigureAwait(false);
    }

    /// <summary>Reads frames until the socket closes, reporting each event's seq as applied.</summary>
    private static async Task ReadAsync(ClientWebSocket socket, Action<long> applied, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        using var frame = new MemoryStream();
        try
        {
            while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
            {
                var result = await socket.ReceiveAsync(buffer, CancellationToken.None).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                frame.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                using (var json = JsonDocument.Parse(frame.ToArray()))
                {
                    if (json.RootElement.TryGetProperty("seq", out var seq) && seq.TryGetInt64(out var value))
                    {
                        applied(value);
                    }
                }

                frame.SetLength(0);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or JsonException || cancellationToken.IsCancellationRequested)
        {
            // the connection went away: the station is down until the next connect
        }
    }

    private async Task WhenStartedAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>DevHost's own seed endpoint (<c>/ws</c>), at the first address it listens on, over loopback.</summary>
    private Uri WebSocketEndpoint()
    {
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("DevHost has no listening address.");
        var uri = new UriBuilder(RestaurantOs.Emulator.Hosting.ListeningAddress.Reachable(address));
        uri.Scheme = uri.Scheme == "https" ? "wss" : "ws";
        uri.Path = "/ws";
        return uri.Uri;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Demo: the grill KDS of {Restaurant} drops off the network for {Seconds} s (a station alert follows).")]
        public static partial void Dropped(ILogger logger, string restaurant, double seconds);

        [LoggerMessage(2, LogLevel.Warning, "Demo: the grill KDS of {Restaurant} could not stay connected: {Reason}")]
        public static partial void Failed(ILogger logger, string restaurant, string reason);
    }
}
