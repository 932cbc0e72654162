using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;

namespace RestaurantOs.Bench.Infrastructure;

/// <summary>
/// Opens real WebSockets over loopback from several source addresses (127.0.0.1, .2, ...), so thousands of
/// connections never run one source address out of ephemeral ports. <see cref="ClientWebSocket"/> cannot bind a
/// local address itself; a <see cref="SocketsHttpHandler.ConnectCallback"/> binding the socket first can.
/// </summary>
internal sealed class LoopbackClients : IDisposable
{
    /// <summary>Connections per source address: well below the ~28,000 ephemeral ports Linux offers each.</summary>
    private const int ConnectionsPerAddress = 2000;

    private readonly HttpMessageInvoker[] _invokers;

    public LoopbackClients(int plannedConnections)
    {
        var addresses = Math.Clamp((plannedConnections + ConnectionsPerAddress - 1) / ConnectionsPerAddress, 1, 32);
        _invokers = new HttpMessageInvoker[addresses];
        for (var i = 0; i < addresses; i++)
        {
            var local = new IPAddress(new byte[] { 127, 0, 0, (byte)(i + 1) });
            var handler = new SocketsHttpHandler
            {
                UseProxy = false,
                ConnectCallback = (context, cancellationToken) => ConnectFromAsync(local, context.DnsEndPoint, cancellationToken),
            };
            _invokers[i] = new HttpMessageInvoker(handler, disposeHandler: true);
        }
    }

    public int SourceAddresses => _invokers.Length;

    public async Task<ClientWebSocket> ConnectAsync(Uri uri, int index, string? subprotocol, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        // The servers ping; the client answers. No client-side pings, so idle connections stay idle.
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        if (subprotocol is not null)
        {
            socket.Options.AddSubProtocol(subprotocol);
        }

        try
        {
            await socket.ConnectAsync(uri, _invokers[index % _invokers.Length], cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var invoker in _invokers)
        {
            invoker.Dispose();
        }
    }

    private static async ValueTask<Stream> ConnectFromAsync(IPAddress local, DnsEndPoint remote, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Bind(new IPEndPoint(local, 0));
            await socket.ConnectAsync(remote, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
