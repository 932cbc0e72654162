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

            if (Deliver(target, message))
            {
                queued++;
            }
        }

        _metrics.MessagesOut(hub, queued);
        return queued;
    }

    /// <summary>Sends a data message to one connection (no metrics; callers count). True if it was queued or buffered.</summary>
    private bool Deliver(ClientConnection target, ServerMessage message)
    {
        if (target.Reliable is not { } session)
        {
            // FrameFor builds each protocol's frame once and reuses it for every later recipient.
            return target.Transport.TryEnqueue(message.FrameFor(target.Protocol)) == EnqueueResult.Enqueued;
        }

        switch (session.Send(message))
        {
            case ReliableSendResult.Sent:
            case ReliableSendResult.Buffered:
                return true;
            case ReliableSendResult.Overflow:
                _metrics.QueueOverflow(target.Hub);
                EmulatorLog.SlowConsumer(_logger, target.ConnectionId, target.Hub, CloseReasons.ReliableBufferFull);
                // Like a full send queue: a client that stopped reading may never take the queued frames, so they are
                // dropped and the close frame goes out at once.
                Close(target, CloseReasons.ReliableBufferFullCode, CloseReasons.ReliableBufferFull, dropPending: true);
                return false;
            default:
                return false;
        }
    }

    /// <summary>Sends a data message (numbered and buffered for reliable connections) to one connection.</summary>
    public bool Send(ClientConnection target, ServerMessage message)
    {
        var queued = Deliver(target, message);
        _metrics.MessagesOut(target.Hub, queued ? 1 : 0);
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

    public void Close(ClientConnection connection, WebSocketCloseStatus status, string reason, bool dropPending = false)
    {
        connection.SetDisconnectReason(string.IsNullOrEmpty(reason) ? status.ToString() : reason);

        // A server close is final for a reliable connection too: no recovery after it. While it waits for a recovery
        // it has no socket, so ending the session finishes it at once (removed, disconnected upstream).
        if (connection.Reliable is { } session && session.End())
        {
            EmulatorLog.ConnectionClosed(_logger, connection.ConnectionId, connection.Hub, reason);
            return;
        }

        OutboundFrame? final = connection.Protocol == ClientProtocol.Json ? JsonFrames.Disconnected(reason) : null;
        if (connection.Transport.BeginClose(status, reason, final, dropPending))
        {
            EmulatorLog.ConnectionClosed(_logger, connection.ConnectionId, connection.Hub, reason);
        }
    }
}
