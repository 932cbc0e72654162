using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using RestaurantOs.Emulator.Hosting;
using RestaurantOs.Emulator.Protocol;
using RestaurantOs.Emulator.Transport;

namespace RestaurantOs.Emulator.Connections;

/// <summary>
/// Fans messages out to connections and closes connections on behalf of the server. Every write is a
/// non-blocking enqueue on the recipient's transport, so one slow or failing recipient never delays the others.
/// </summary>
internal sealed class MessageBroadcaster
{
    private readonly EmulatorMetrics _metrics;
    private readonly ILogger<MessageBroadcaster> _logger;

    public MessageBroadcaster(EmulatorMetrics metrics, ILogger<MessageBroadcaster> logger)
    {
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Queues <paramref name="message"/> to every target that passes <paramref name="include"/>; returns how many were queued.</summary>
    public int Broadcast(string hub, IEnumerable<ClientConnection> targets, ServerMessage message, Func<ClientConnection, bool>? include = null)
    {
        var queued = 0;
        foreach (var target in targets)
        {
            if (include is not null && !include(target))
            {
                continue;
            }

            // FrameFor builds each protocol's frame once and reuses it for every later recipient.
            if (target.Transport.TryEnqueue(message.FrameFor(target.Protocol)) == EnqueueResult.Enqueued)
            {
                queued++;
            }
        }

        _metrics.MessagesOut(hub, queued);
        return queued;
    }

    public bool Send(ClientConnection target, OutboundFrame frame)
    {
        var queued = target.Transport.TryEnqueue(frame) == EnqueueResult.Enqueued;
        _metrics.MessagesOut(target.Hub, queued ? 1 : 0);
        return queued;
    }

    /// <summary>
    /// Closes a connection from the server side (REST close, policy): JSON clients first get a
    /// <c>disconnected</c> frame; the close code is 1000 on the Azure endpoint and mapped from the reason on a
    /// seed-compatible endpoint.
    /// </summary>
    public void CloseFromServer(ClientConnection connection, string? reason)
    {
        var text = string.IsNullOrEmpty(reason) ? CloseReasons.ClosedByServer : reason;
        connection.SetDisconnectReason(text);
        var code = connection.Endpoint == EndpointKind.SeedCompatible && connection.SeedOptions is { } seed
            ? (WebSocketCloseStatus)seed.CloseCodeFor(reason)
            : WebSocketCloseStatus.NormalClosure;
        Close(connection, code, reason ?? "");
    }

    public void Close(ClientConnection connection, WebSocketCloseStatus status, string reason)
    {
        connection.SetDisconnectReason(string.IsNullOrEmpty(reason) ? status.ToString() : reason);
        OutboundFrame? final = connection.Protocol == ClientProtocol.Json ? JsonFrames.Disconnected(reason) : null;
        if (connection.Transport.BeginClose(status, reason, final))
        {
            EmulatorLog.ConnectionClosed(_logger, connection.ConnectionId, connection.Hub, reason);
        }
    }
}
