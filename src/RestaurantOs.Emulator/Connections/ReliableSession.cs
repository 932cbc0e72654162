using System.Security.Cryptography;
using RestaurantOs.Emulator.Protocol;
using RestaurantOs.Emulator.Transport;

namespace RestaurantOs.Emulator.Connections;

/// <summary>Outcome of <see cref="ReliableSession.Send"/>.</summary>
internal enum ReliableSendResult
{
    /// <summary>Numbered, buffered and queued to the attached socket.</summary>
    Sent,
    /// <summary>Numbered and buffered while no socket is attached; it goes out on recovery.</summary>
    Buffered,
    /// <summary>The buffer was full: the caller must end the session and close the connection (1008).</summary>
    Overflow,
    /// <summary>The session had already ended; nothing was sent.</summary>
    Ended,
}

/// <summary>Outcome of <see cref="ReliableSession.Detach"/>.</summary>
internal enum ReliableDetachResult
{
    /// <summary>A newer socket (a recovery) already took over: the old socket's end means nothing.</summary>
    Superseded,
    /// <summary>The socket dropped; the session waits for a recovery until the window expires.</summary>
    Suspended,
    /// <summary>The session is over: the connection must be removed and <c>disconnected</c> sent upstream.</summary>
    Ended,
}

/// <summary>
/// The state that makes a <c>json.reliable.webpubsub.azure.v1</c> connection outlive its sockets: the per-connection
/// <c>sequenceId</c> counter, the buffer of messages the client has not acknowledged yet (bounded by count and bytes),
/// the reconnection token, and the recovery window. One lock orders everything: numbering, buffering, queueing to the
/// socket, and replay on recovery, so a client always sees sequence ids strictly increasing by one, and a replay is
/// queued ahead of anything sent after it. Only the handler's own receive loops attach and detach sockets.
/// </summary>
internal sealed class ReliableSession : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Queue<(ulong SequenceId, OutboundFrame Frame)> _unacknowledged = new();
    private readonly int _maxMessages;
    private readonly long _maxBytes;
    private readonly TimeSpan _recoveryWindow;
    private readonly TimeProvider _timeProvider;
    private WebSocketTransport? _attached;
    private ulong _lastSequenceId;
    private long _bufferedBytes;
    private long _generation;
    private bool _ended;
    private ITimer? _expiry;

    public ReliableSession(int maxMessages, long maxBytes, TimeSpan recoveryWindow, TimeProvider timeProvider)
    {
        _maxMessages = maxMessages;
        _maxBytes = maxBytes;
        _recoveryWindow = recoveryWindow;
        _timeProvider = timeProvider;

        // 32 random bytes: the token is the only credential a recovery presents (the access token in the URL may
        // have expired by then), so it must not be guessable from the connection id.
        ReconnectionToken = Base64Url(RandomNumberGenerator.GetBytes(32));
    }

    /// <summary>Called once, outside the lock, when the session ends while no socket is attached (window expired, closed by the server).</summary>
    public Action? EndedWhileDetached { get; set; }

    public string ReconnectionToken { get; }

    /// <summary>How many messages wait for the client's <c>sequenceAck</c>.</summary>
    public int UnacknowledgedCount
    {
        get
        {
            lock (_gate)
            {
                return _unacknowledged.Count;
            }
        }
    }

    /// <summary>True while a socket carries the session (false during a recovery window).</summary>
    public bool IsAttached
    {
        get
        {
            lock (_gate)
            {
                return _attached is not null;
            }
        }
    }

    public bool IsEnded
    {
        get
        {
            lock (_gate)
            {
                return _ended;
            }
        }
    }

    /// <summary>Compares in constant time, so a wrong token reveals nothing about the right one.</summary>
    public bool TokenMatches(string? candidate)
    {
        if (string.IsNullOrEmpty(candidate))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(candidate), System.Text.Encoding.ASCII.GetBytes(ReconnectionToken));
    }

    /// <summary>
    /// Makes <paramref name="transport"/> the connection's socket. <paramref name="first"/> is queued first (the
    /// <c>connected</c> frame), then, on recovery, every unacknowledged message in order. Returns false if the session
    /// has ended. <paramref name="previous"/> is a socket still attached (a drop the server had not noticed yet): the
    /// caller aborts it.
    /// </summary>
    public bool TryAttach(ClientConnection connection, WebSocketTransport transport, OutboundFrame first, out WebSocketTransport? previous)
    {
        lock (_gate)
        {
            previous = null;
            if (_ended)
            {
                return false;
            }

            previous = _attached;
            _attached = transport;
            _generation++;
            _expiry?.Dispose();
            _expiry = null;

            transport.TryEnqueue(first);
            foreach (var (_, frame) in _unacknowledged)
            {
                transport.TryEnqueue(frame);
            }

            connection.ReplaceTransport(transport);
            return true;
        }
    }

    /// <summary>Numbers <paramref name="message"/>, keeps it until acknowledged, and queues it if a socket is attached.</summary>
    public ReliableSendResult Send(ServerMessage message)
    {
        lock (_gate)
        {
            if (_ended)
            {
                return ReliableSendResult.Ended;
            }

            var sequenceId = _lastSequenceId + 1;
            var frame = message.SequencedJsonFrame(sequenceId);
            if (_unacknowledged.Count + 1 > _maxMessages || _bufferedBytes + frame.Payload.Length > _maxBytes)
            {
                // The client stopped acknowledging (or is gone for good): keeping more would grow without bound.
                // The caller ends the session (no recovery) and closes the socket with 1008.
                return ReliableSendResult.Overflow;
            }

            _lastSequenceId = sequenceId;
            _unacknowledged.Enqueue((sequenceId, frame));
            _bufferedBytes += frame.Payload.Length;
            if (_attached is null)
            {
                return ReliableSendResult.Buffered;
            }

            _attached.TryEnqueue(frame);
            return ReliableSendResult.Sent;
        }
    }

    /// <summary>A <c>sequenceAck</c>: every message up to <paramref name="sequenceId"/> has arrived, so it is dropped from the buffer.</summary>
    public void Acknowledge(ulong sequenceId)
    {
        lock (_gate)
        {
            while (_unacknowledged.TryPeek(out var head) && head.SequenceId <= sequenceId)
            {
                _unacknowledged.Dequeue();
                _bufferedBytes -= head.Frame.Payload.Length;
            }
        }
    }

    /// <summary>
    /// The receive loop of <paramref name="transport"/> ended. A drop (<paramref name="recoverable"/>) keeps the
    /// session for the recovery window; a clean close by either side ends it.
    /// </summary>
    public ReliableDetachResult Detach(WebSocketTransport transport, bool recoverable)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(_attached, transport))
            {
                return ReliableDetachResult.Superseded;
            }

            _attached = null;
            if (_ended || !recoverable)
            {
                EndLocked();
                return ReliableDetachResult.Ended;
            }

            var generation = _generation;
            _expiry = _timeProvider.CreateTimer(_ => Expire(generation), null, _recoveryWindow, Timeout.InfiniteTimeSpan);
            return ReliableDetachResult.Suspended;
        }
    }

    /// <summary>
    /// Ends the session (server close, overflow, shutdown): no recovery after this. Returns true if no socket was
    /// attached, in which case <see cref="EndedWhileDetached"/> has been called; otherwise the socket's receive loop
    /// finishes the connection when it ends.
    /// </summary>
    public bool End()
    {
        bool detached;
        lock (_gate)
        {
            if (_ended)
            {
                return false;
            }

            detached = _attached is null;
            EndLocked();
        }

        if (detached)
        {
            EndedWhileDetached?.Invoke();
        }

        return detached;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _expiry?.Dispose();
            _expiry = null;
        }
    }

    private void Expire(long generation)
    {
        lock (_gate)
        {
            // A recovery that raced the timer wins: it bumped the generation or attached a socket.
            if (_ended || _attached is not null || generation != _generation)
            {
                return;
            }

            EndLocked();
        }

        EndedWhileDetached?.Invoke();
    }

    private void EndLocked()
    {
        _ended = true;
        _unacknowledged.Clear();
        _bufferedBytes = 0;
        _expiry?.Dispose();
        _expiry = null;
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
