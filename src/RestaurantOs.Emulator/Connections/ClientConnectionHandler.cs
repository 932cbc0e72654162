using System.Buffers;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RestaurantOs.Emulator.Hosting;
using RestaurantOs.Emulator.Protocol;
using RestaurantOs.Emulator.Transport;
using RestaurantOs.Emulator.Upstream;
using RestaurantOs.WebPubSub.Protocol;

namespace RestaurantOs.Emulator.Connections;

/// <summary>
/// Runs one accepted connection from registration to removal: the receive loop (with the message size limit),
/// client messages of both protocols, upstream user events, and the connected/disconnected events.
/// </summary>
internal sealed class ClientConnectionHandler
{
    private readonly ConnectionManager _connections;
    private readonly UpstreamDispatcher _upstream;
    private readonly MessageBroadcaster _broadcaster;
    private readonly EmulatorMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _recoveryWindow;
    private readonly ILogger<ClientConnectionHandler> _logger;

    public ClientConnectionHandler(ConnectionManager connections, UpstreamDispatcher upstream, MessageBroadcaster broadcaster, EmulatorMetrics metrics, TimeProvider timeProvider, IOptions<EmulatorOptions> options, ILogger<ClientConnectionHandler> logger)
    {
        _recoveryWindow = options.Value.ReliableRecoveryWindow;
        _timeProvider = timeProvider;
        _connections = connections;
        _upstream = upstream;
        _broadcaster = broadcaster;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Runs a new connection: registers it, reports <c>connected</c>, and serves its first socket.</summary>
    public async Task RunAsync(ClientConnection connection, IEnumerable<string> initialGroups, int maxMessageBytes, CancellationToken cancellationToken)
    {
        var transport = connection.Transport;
        WatchOverflow(connection, transport);

        // The connected frame is queued before the connection is visible to broadcasts, so it is always first; the
        // writer starts after registration, so nothing reaches the client before REST calls can find it.
        if (connection.Reliable is { } session)
        {
            session.EndedWhileDetached = () => FinishDetached(connection);
            session.TryAttach(connection, transport, JsonFrames.Connected(connection.ConnectionId, connection.UserId, session.ReconnectionToken), out _);
        }
        else if (connection.Protocol == ClientProtocol.Json)
        {
            _broadcaster.Send(connection, JsonFrames.Connected(connection.ConnectionId, connection.UserId));
        }

        _connections.Add(connection, initialGroups);
        transport.Start();
        _metrics.ConnectionOpened(connection.Hub);
        EmulatorLog.ConnectionOpened(_logger, connection.ConnectionId, connection.Hub, connection.UserId, connection.Subprotocol ?? "plain");
        connection.ChainSystemEvent(() => _upstream.SystemEventAsync(Target(connection), WebPubSubConstants.EventTypes.ConnectedEventName, null, CancellationToken.None));
        await ServeAsync(connection, transport, maxMessageBytes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Serves a recovered reliable connection on a new socket: <c>connected</c> again (same id and token), then
    /// every unacknowledged message in order, then live traffic. No upstream <c>connect</c>/<c>connected</c>: for
    /// the app it is the same connection. Refused with 1008 if the session ended meanwhile.
    /// </summary>
    public async Task ResumeAsync(ClientConnection connection, WebSocketTransport transport, int maxMessageBytes, CancellationToken cancellationToken)
    {
        var session = connection.Reliable ?? throw new InvalidOperationException("Only reliable connections can be recovered.");
        WatchOverflow(connection, transport);
        if (!session.TryAttach(connection, transport, JsonFrames.Connected(connection.ConnectionId, connection.UserId, session.ReconnectionToken), out var previous))
        {
            await RefuseRecoveryAsync(transport, cancellationToken).ConfigureAwait(false);
            return;
        }

        // A socket still attached is a drop the server had not noticed (no FIN yet): the client has moved on.
        previous?.Abort();
        connection.ClearDisconnectReason();
        transport.Start();
        EmulatorLog.ConnectionRecovered(_logger, connection.ConnectionId, connection.Hub, session.UnacknowledgedCount);
        await ServeAsync(connection, transport, maxMessageBytes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Accepted only to say no: 1008 tells the SDK to stop recovering and start a new connection.</summary>
    internal async Task RefuseRecoveryAsync(WebSocketTransport transport, CancellationToken cancellationToken)
    {
        transport.BeginClose(CloseReasons.RecoveryRefusedCode, CloseReasons.RecoveryRefused);
        transport.Start();
        var chunk = ArrayPool<byte>.Shared.Rent(1024);
        try
        {
            await DrainAsync(transport, chunk, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
            await transport.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void WatchOverflow(ClientConnection connection, WebSocketTransport transport) =>
        transport.Overflowed += reason =>
        {
            // No session.End() here: this runs inside the session's lock (an enqueue that overflowed). The socket is
            // closing, so its receive loop ends the session (a close is never recoverable).
            connection.SetDisconnectReason(reason);
            _metrics.QueueOverflow(connection.Hub);
            EmulatorLog.SlowConsumer(_logger, connection.ConnectionId, connection.Hub, reason);
        };

    /// <summary>
    /// Reads one socket until it ends. A plain or JSON connection ends with it. A reliable one whose socket dropped
    /// (no close frame from either side) waits for a recovery instead: it stays registered, in its groups, and keeps
    /// buffering, and the app hears <c>disconnected</c> only if the recovery window passes.
    /// </summary>
    private async Task ServeAsync(ClientConnection connection, WebSocketTransport transport, int maxMessageBytes, CancellationToken cancellationToken)
    {
        try
        {
            await ReceiveLoopAsync(connection, transport, maxMessageBytes, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            var finish = true;
            if (connection.Reliable is { } session)
            {
                // IsClosing: a close handshake was started by either side (client close, REST close, overflow,
                // shutdown, protocol error). Anything else ended the socket without one: a drop.
                var outcome = session.Detach(transport, recoverable: !transport.IsClosing);
                finish = outcome == ReliableDetachResult.Ended;
                if (outcome == ReliableDetachResult.Suspended)
                {
                    EmulatorLog.ConnectionSuspended(_logger, connection.ConnectionId, connection.Hub, connection.DisconnectReason ?? "", _recoveryWindow.TotalSeconds);
                    connection.ClearDisconnectReason();
                }
            }

            if (finish)
            {
                connection.SetDisconnectReason("Connection closed.");
                Finish(connection);
            }

            await transport.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>A reliable session ended with no socket: the recovery window passed, or the server closed it meanwhile.</summary>
    private void FinishDetached(ClientConnection connection)
    {
        connection.SetDisconnectReason($"The connection dropped and was not recovered within {_recoveryWindow.TotalSeconds:0.###} s.");
        Finish(connection);
    }

    /// <summary>Removes the connection and reports <c>disconnected</c> upstream, once.</summary>
    private void Finish(ClientConnection connection)
    {
        if (!connection.TryMarkFinished())
        {
            return;
        }

        connection.Reliable?.Dispose();
        if (_connections.Remove(connection))
        {
            _metrics.ConnectionClosed(connection.Hub);
        }

        var reason = connection.DisconnectReason;
        EmulatorLog.ConnectionClosed(_logger, connection.ConnectionId, connection.Hub, reason ?? "");
        connection.ChainSystemEvent(() => _upstream.SystemEventAsync(Target(connection), WebPubSubConstants.EventTypes.DisconnectedEventName, reason, CancellationToken.None));
    }

    internal static UpstreamTarget Target(ClientConnection connection) =>
        new(connection.Hub, connection.ConnectionId, connection.UserId, connection.Origin, connection.Subprotocol, connection.ConnectionState);

    private async Task ReceiveLoopAsync(ClientConnection connection, WebSocketTransport transport, int maxMessageBytes, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                // Wait for the next frame with a zero-byte read, holding no buffer: an idle connection (most of a
                // kitchen screen's life) then costs no receive memory. Buffers are rented per message.
                var first = await transport.ReceiveAsync(Memory<byte>.Empty, cancellationToken).ConfigureAwait(false);
                if (first.MessageType == WebSocketMessageType.Close)
                {
                    await CompleteClientCloseAsync(connection, transport).ConfigureAwait(false);
                    return;
                }

                if (!await ReceiveMessageAsync(connection, transport, first, maxMessageBytes, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            connection.SetDisconnectReason("The connection was aborted.");
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException)
        {
            // Includes keep-alive timeouts: the socket is aborted when a ping goes unanswered.
            connection.SetDisconnectReason("The connection was lost: " + ex.Message);
        }
    }

    /// <summary>Reads the rest of a message whose first (zero-byte) read returned <paramref name="first"/>, and handles it.</summary>
    /// <returns>False when the connection is done (closed by either side).</returns>
    private async Task<bool> ReceiveMessageAsync(ClientConnection connection, WebSocketTransport transport, ValueWebSocketReceiveResult first, int maxMessageBytes, CancellationToken cancellationToken)
    {
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            var message = new ArrayBufferWriter<byte>();
            var result = first;
            while (!result.EndOfMessage)
            {
                result = await transport.ReceiveAsync(chunk, cancellationToken).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await CompleteClientCloseAsync(connection, transport).ConfigureAwait(false);
                    return false;
                }

                if (message.WrittenCount + result.Count > maxMessageBytes)
                {
                    _broadcaster.Close(connection, CloseReasons.MessageTooBigCode, $"{CloseReasons.MessageTooBig}: over {maxMessageBytes} bytes");
                    await DrainAsync(transport, chunk, cancellationToken).ConfigureAwait(false);
                    return false;
                }

                chunk.AsSpan(0, result.Count).CopyTo(message.GetSpan(result.Count));
                message.Advance(result.Count);
            }

            _metrics.MessageIn(connection.Hub);
            var type = result.MessageType;
            var invalidText = false;
            if (connection.TextFrames is { } marks)
            {
                // The socket saw this message as binary; restore its type and do the UTF-8 check it skipped.
                type = marks.NextMessageWasText() ? WebSocketMessageType.Text : WebSocketMessageType.Binary;
                invalidText = type == WebSocketMessageType.Text && !System.Text.Unicode.Utf8.IsValid(message.WrittenSpan);
            }

            if (connection.Protocol == ClientProtocol.Json)
            {
                await HandleJsonAsync(connection, type, message.WrittenMemory, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await HandlePlainAsync(connection, type, message.WrittenMemory.ToArray(), cancellationToken).ConfigureAwait(false);
            }

            if (invalidText)
            {
                // The app has answered (INVALID_MESSAGE); RFC 6455 §8.1 then requires failing the connection with 1007.
                _broadcaster.Close(connection, CloseReasons.InvalidUtf8Code, CloseReasons.InvalidUtf8);
            }

            if (transport.IsClosing)
            {
                await DrainAsync(transport, chunk, cancellationToken).ConfigureAwait(false);
                return false;
            }

            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private static async Task CompleteClientCloseAsync(ClientConnection connection, WebSocketTransport transport)
    {
        var status = transport.Socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure;
        var description = transport.Socket.CloseStatusDescription;
        connection.SetDisconnectReason(string.IsNullOrEmpty(description)
            ? $"The client closed the connection ({(int)status})."
            : $"The client closed the connection ({(int)status} {description}).");

        // Echo the client's close (status and description) to complete the handshake.
        transport.BeginClose(status, description);
        await transport.CloseSent.ConfigureAwait(false);
    }

    /// <summary>
    /// After the server started closing, keep reading (and discarding) until the client's close frame arrives or
    /// the writer gives up, so unread client bytes do not turn our close into a reset that loses the close frame.
    /// </summary>
    private async Task DrainAsync(WebSocketTransport transport, byte[] chunk, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5), _timeProvider);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            while (transport.Socket.State is WebSocketState.Open or WebSocketState.CloseSent)
            {
                var result = await transport.ReceiveAsync(chunk, stop.Token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
            }

            await transport.CloseSent.WaitAsync(stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            // The peer is gone or slow to answer; the connection ends either way.
        }
    }

    private async Task HandlePlainAsync(ClientConnection connection, WebSocketMessageType type, byte[] data, CancellationToken cancellationToken)
    {
        var dataType = type == WebSocketMessageType.Binary ? DataType.Binary : DataType.Text;
        if (connection.PlainSendToGroup is { } group)
        {
            if (connection.HasPermission(Permissions.SendToGroup, group))
            {
                var message = new ServerMessage(dataType, data, group, connection.UserId);
                _broadcaster.Broadcast(connection.Hub, _connections.GroupMembers(connection.Hub, group), message, c => !(connection.PlainNoEcho && ReferenceEquals(c, connection)));
            }

            return;
        }

        var outcome = await _upstream.UserEventAsync(Target(connection), WebPubSubConstants.EventTypes.MessageEventName, dataType, data, cancellationToken).ConfigureAwait(false);
        ApplyState(connection, outcome.HasState, outcome.State);
        switch (outcome.Status)
        {
            case UserEventStatus.NoHandler:
            case UserEventStatus.Failed:
                // The service drops a plain connection whose message cannot be handled.
                _broadcaster.Close(connection, CloseReasons.UserEventFailedCode, outcome.Reason);
                break;
            case UserEventStatus.Succeeded when outcome.Data is not null:
                _broadcaster.Send(connection, new ServerMessage(outcome.DataType, outcome.Data));
                break;
            case UserEventStatus.Succeeded:
                break;
            default:
                throw new InvalidOperationException($"Unknown user event status {outcome.Status}.");
        }
    }

    private async Task HandleJsonAsync(ClientConnection connection, WebSocketMessageType type, ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        if (type != WebSocketMessageType.Text)
        {
            _broadcaster.Close(connection, CloseReasons.TextFramesOnlyCode, CloseReasons.TextFramesOnly);
            return;
        }

        var message = JsonClientMessage.Parse(frame.Span);
        if (message is null)
        {
            _broadcaster.Close(connection, CloseReasons.NotAJsonObjectCode, CloseReasons.NotAJsonObject);
            return;
        }

        if (message.AckId is { } seen && message.Kind is not (JsonClientMessageKind.Invalid or JsonClientMessageKind.Unknown) && connection.HasSeenAck(seen))
        {
            Ack(connection, seen, AckErrors.Duplicate, $"Message with ackId {seen} was already processed.");
            return;
        }

        switch (message.Kind)
        {
            case JsonClientMessageKind.Ping:
                _broadcaster.Send(connection, JsonFrames.Pong);
                return;
            case JsonClientMessageKind.SequenceAck:
                // Meaningful only on json.reliable.webpubsub.azure.v1; on json.webpubsub.azure.v1 it is an unknown type.
                connection.Reliable?.Acknowledge(message.SequenceId!.Value);
                return;
            case JsonClientMessageKind.Unknown:
                return;
            case JsonClientMessageKind.Invalid:
                Ack(connection, message.AckId, AckErrors.BadRequest, message.Error);
                return;
            case JsonClientMessageKind.JoinGroup:
            case JsonClientMessageKind.LeaveGroup:
                {
                    var group = message.Group!;
                    if (!HubNames.IsValidGroup(group))
                    {
                        Ack(connection, message.AckId, AckErrors.BadRequest, "Invalid group name.");
                    }
                    else if (!connection.HasPermission(Permissions.JoinLeaveGroup, group))
                    {
                        Ack(connection, message.AckId, AckErrors.Forbidden, $"The connection has no permission to join or leave group '{group}'.");
                    }
                    else
                    {
                        if (message.Kind == JsonClientMessageKind.JoinGroup)
                        {
                            _connections.Join(connection, group);
                        }
                        else
                        {
                            _connections.Leave(connection, group);
                        }

                        Succeeded(connection, message.AckId);
                    }

                    return;
                }

            case JsonClientMessageKind.SendToGroup:
                {
                    var group = message.Group!;
                    if (!HubNames.IsValidGroup(group))
                    {
                        Ack(connection, message.AckId, AckErrors.BadRequest, "Invalid group name.");
                    }
                    else if (!connection.HasPermission(Permissions.SendToGroup, group))
                    {
                        Ack(connection, message.AckId, AckErrors.Forbidden, $"The connection has no permission to send to group '{group}'.");
                    }
                    else
                    {
                        var outbound = new ServerMessage(message.DataType, message.Data!, group, connection.UserId);
                        _broadcaster.Broadcast(connection.Hub, _connections.GroupMembers(connection.Hub, group), outbound, c => !(message.NoEcho && ReferenceEquals(c, connection)));
                        Succeeded(connection, message.AckId);
                    }

                    return;
                }

            case JsonClientMessageKind.Event:
                {
                    var outcome = await _upstream.UserEventAsync(Target(connection), message.EventName!, message.DataType, message.Data!, cancellationToken).ConfigureAwait(false);
                    ApplyState(connection, outcome.HasState, outcome.State);
                    if (outcome.Status == UserEventStatus.Succeeded)
                    {
                        Succeeded(connection, message.AckId);
                        if (outcome.Data is not null)
                        {
                            _broadcaster.Send(connection, new ServerMessage(outcome.DataType, outcome.Data));
                        }
                    }
                    else
                    {
                        // Subprotocol clients are not dropped for a failed event; they learn it from the ack.
                        Ack(connection, message.AckId, AckErrors.InternalServerError, outcome.Reason);
                    }

                    return;
                }

            default:
                throw new InvalidOperationException($"Unknown message kind {message.Kind}.");
        }
    }

    private void Succeeded(ClientConnection connection, ulong? ackId)
    {
        if (ackId is { } id)
        {
            connection.TryRecordAck(id);
            _broadcaster.Send(connection, JsonFrames.Ack(id));
        }
    }

    private void Ack(ClientConnection connection, ulong? ackId, string errorName, string? errorMessage)
    {
        if (ackId is { } id)
        {
            _broadcaster.Send(connection, JsonFrames.Ack(id, errorName, errorMessage));
        }
    }

    private static void ApplyState(ClientConnection connection, bool hasState, string? state)
    {
        // A ce-connectionState reply replaces the state (empty clears it); no header keeps it. Handler SDKs merge
        // old and new keys before replying, as the service itself does not merge.
        if (hasState)
        {
            connection.ConnectionState = state;
        }
    }
}
