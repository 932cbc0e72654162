using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Threading.Channels;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.SignalR;
using RestaurantOs.Bench.Infrastructure;
using RestaurantOs.Emulator;
using RestaurantOs.WebPubSub.Protocol;

namespace RestaurantOs.Bench.Servers;

/// <summary>
/// The servers the fan-out and connection scenarios compare, each run alone in a child process (<c>serve &lt;kind&gt;</c>):
/// <list type="bullet">
/// <item><c>emulator</c>: our Web PubSub emulator, hub <c>bench</c> (clients join a group through their token).</item>
/// <item><c>kestrel</c>: the floor: a raw Kestrel WebSocket server; <c>POST /send/{group}</c> queues the body on each
/// member's send channel and one loop per connection writes it. Nothing else.</item>
/// <item><c>signalr</c>: an ASP.NET Core SignalR hub; <c>POST /send/{group}</c> is <c>Clients.Group(g).SendAsync</c>.</item>
/// </list>
/// All three answer <c>GET /bench/memory</c> with their memory after a forced full GC, and use the same keep-alive.
/// </summary>
internal static class BenchServers
{
    public const string Hub = "bench";
    public static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(20);

    public static async Task<int> RunAsync(string kind)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 1024 * 1024);
        switch (kind)
        {
            case "emulator":
                builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["WebPubSub:AccessKey"] = EmulatorOptions.DefaultAccessKey,
                    ["WebPubSub:KeepAliveInterval"] = KeepAlive.ToString("c", CultureInfo.InvariantCulture),
                });
                builder.Services.AddWebPubSubEmulator(builder.Configuration);
                break;
            case "kestrel":
                builder.Services.AddSingleton<RawGroups>();
                break;
            case "signalr":
                builder.Services.AddSignalR(o => o.KeepAliveInterval = KeepAlive);
                break;
            default:
                Console.Error.WriteLine($"Unknown server '{kind}': use emulator, kestrel or signalr.");
                return 2;
        }

        await using var app = builder.Build();
        app.MapGet("/bench/memory", () => Results.Text(MeasureMemory()));
        switch (kind)
        {
            case "emulator":
                app.MapWebPubSubEmulator();
                break;
            case "kestrel":
                app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = KeepAlive });
                app.Map("/ws", (HttpContext context, RawGroups groups) => groups.AcceptAsync(context));
                app.MapPost("/send/{group}", async (string group, HttpRequest request, RawGroups groups) =>
                {
                    groups.Broadcast(group, await ReadBodyAsync(request).ConfigureAwait(false));
                    return Results.Accepted();
                });
                break;
            case "signalr":
                app.MapHub<BenchHub>("/hub");
                app.MapPost("/send/{group}", async (string group, HttpRequest request, IHubContext<BenchHub> hub) =>
                {
                    var text = System.Text.Encoding.UTF8.GetString(await ReadBodyAsync(request).ConfigureAwait(false));
                    await hub.Clients.Group(group).SendAsync("m", text, request.HttpContext.RequestAborted).ConfigureAwait(false);
                    return Results.Accepted();
                });
                break;
        }

        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Console.WriteLine($"READY {address}");
        // Stops when the parent kills this process.
        await app.WaitForShutdownAsync().ConfigureAwait(false);
        return 0;
    }

    /// <summary>
    /// Opens one client of <paramref name="target"/> in <paramref name="group"/>: the emulator through a client access
    /// token carrying the group, the raw server through a query parameter, SignalR through its JSON handshake.
    /// </summary>
    public static async Task<ClientWebSocket> ConnectClientAsync(
        LoopbackClients loopback, Uri baseUri, string target, string group, int index, CancellationToken cancellationToken)
    {
        var ws = new UriBuilder(baseUri) { Scheme = "ws" };
        switch (target)
        {
            case "emulator":
                var token = AccessKeyToken.Create(
                    EmulatorOptions.DefaultAccessKey,
                    AccessKeyToken.GetClientAudience(baseUri, Hub),
                    TimeSpan.FromHours(1),
                    DateTimeOffset.UtcNow,
                    userId: "bench-" + group,
                    groups: [group]);
                ws.Path = "/client/hubs/" + Hub;
                ws.Query = "access_token=" + Uri.EscapeDataString(token);
                break;
            case "kestrel":
                ws.Path = "/ws";
                ws.Query = "group=" + group;
                break;
            default:
                ws.Path = "/hub";
                ws.Query = "group=" + group;
                break;
        }

        var socket = await loopback.ConnectAsync(ws.Uri, index, null, cancellationToken).ConfigureAwait(false);
        if (target == "signalr")
        {
            await socket.SendAsync("{\"protocol\":\"json\",\"version\":1}\u001e"u8.ToArray(), WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
        }

        return socket;
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted).ConfigureAwait(false);
        return buffer.ToArray();
    }

    private static string MeasureMemory()
    {
        // Twice, so objects freed by finalizers in the first pass are collected too.
        for (var i = 0; i < 2; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        using var self = Process.GetCurrentProcess();
        var heap = GC.GetGCMemoryInfo(GCKind.Any).HeapSizeBytes;
        return string.Create(CultureInfo.InvariantCulture, $"gc_heap={heap}\nworking_set={self.WorkingSet64}\nprivate={self.PrivateMemorySize64}\n");
    }

    /// <summary>The baseline server's whole state: group name → connections, each with its own send queue.</summary>
    internal sealed class RawGroups
    {
        private readonly ConcurrentDictionary<string, ConcurrentDictionary<RawConnection, byte>> _groups = new(StringComparer.Ordinal);

        public async Task AcceptAsync(HttpContext context)
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }

            var group = context.Request.Query["group"].ToString();
            using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
            var connection = new RawConnection(socket);
            var members = _groups.GetOrAdd(group, _ => new ConcurrentDictionary<RawConnection, byte>());
            members.TryAdd(connection, 0);
            try
            {
                await connection.RunAsync(context.RequestAborted).ConfigureAwait(false);
            }
            finally
            {
                members.TryRemove(connection, out _);
            }
        }

        public void Broadcast(string group, byte[] payload)
        {
            if (_groups.TryGetValue(group, out var members))
            {
                foreach (var connection in members.Keys)
                {
                    connection.Enqueue(payload);
                }
            }
        }
    }

    internal sealed class RawConnection(WebSocket socket)
    {
        private readonly Channel<byte[]> _queue = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });

        public void Enqueue(byte[] payload) => _queue.Writer.TryWrite(payload);

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            var sending = SendLoopAsync(cancellationToken);
            var buffer = new byte[1024];
            try
            {
                while (socket.State == WebSocketState.Open)
                {
                    var received = await socket.ReceiveAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
                    if (received.MessageType == WebSocketMessageType.Close)
                    {
                        break;
                    }
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                // The client went away.
            }

            _queue.Writer.TryComplete();
            await sending.ConfigureAwait(false);
        }

        private async Task SendLoopAsync(CancellationToken cancellationToken)
        {
            try
            {
                await foreach (var payload in _queue.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    await socket.SendAsync(payload, WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                // The client went away.
            }
        }
    }
}

/// <summary>The SignalR baseline's hub: a connection joins the group named in its query string.</summary>
public sealed class BenchHub : Hub
{
    public override async Task OnConnectedAsync()
    {
        var group = Context.GetHttpContext()?.Request.Query["group"].ToString();
        if (!string.IsNullOrEmpty(group))
        {
            await Groups.AddToGroupAsync(Context.ConnectionId, group).ConfigureAwait(false);
        }

        await base.OnConnectedAsync().ConfigureAwait(false);
    }
}
