using System.Net.WebSockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace RestaurantOs.Emulator.Transport;

/// <summary>Outcome of handing a frame to a connection's send queue.</summary>
internal enum EnqueueResult
{
    Enqueued,
    /// <summary>The queue was over its count or byte limit: the connection is being closed as a slow consumer.</summary>
    Full,
    Closed,
}

/// <summary>One WebSocket message to write: the bytes and whether it is a text or binary frame.</summary>
internal readonly record struct OutboundFrame(ReadOnlyMemory<byte> Payload, WebSocketMessageType Type);

/// <summary>
/// Moves bytes for one WebSocket: a bounded queue (count and bytes) drained by exactly one writer loop, so a
/// broadcaster never awaits a client and a slow client is dropped instead of stalling others. Also the single
/// place that sends the close frame. Reading is done by the connection handler through <see cref="ReceiveAsync"/>.
/// </summary>
internal sealed partial class WebSocketTransport : IAsyncDisposable
{
    private readonly WebSocket _socket;
    private readonly int _maxMessages;
    private readonly long _maxBytes;
    private readonly TimeSpan _closeGrace;
    private readonly TimeProvider _timeProvider;
    private readonly TaskCompletionSource _closeSent = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ILogger _logger;
    private readonly string _connectionId;
    private readonly Channel<OutboundFrame> _queue = Channel.CreateUnbounded<OutboundFrame>(new UnboundedChannelOptions { SingleReader = true });

    // Cancelled to abort a writer stuck on a client that stopped reading. Created on the TimeProvider so the
    // close grace (CancelAfter) follows injected time. Disposed with the transport.
    private readonly CancellationTokenSource _abort;
    private Task _writerTask = Task.CompletedTask;
    private int _queuedCount;
    private long _queuedBytes;
    private int _closing;
    private volatile bool _dropPending;
    private WebSocketCloseStatus _closeStatus = WebSocketCloseStatus.NormalClosure;
    private string? _closeDescription;

    public WebSocketTransport(WebSocket socket, string connectionId, int maxMessages, long maxBytes, TimeProvider timeProvider, ILogger logger, TimeSpan? closeGrace = null)
    {
        _socket = socket;
        _connectionId = connectionId;
        _maxMessages = maxMessages;
        _maxBytes = maxBytes;
        _logger = logger;
        _closeGrace = closeGrace ?? TimeSpan.FromSeconds(2);
        _timeProvider = timeProvider;
        _abort = new CancellationTokenSource(Timeout.InfiniteTimeSpan, timeProvider);
    }

    /// <summary>
    /// Starts the writer. Frames queued before this (the <c>connected</c> frame) are written first; the handler
    /// starts the writer only after the connection is registered, so a client that has seen <c>connected</c> can
    /// already be found by REST calls.
    /// </summary>
    public void Start() => _writerTask = Task.Run(WriteLoopAsync);

    /// <summary>Raised once when the queue overflows; the argument is the close reason.</summary>
    public event Action<string>? Overflowed;

    public bool IsClosing => Volatile.Read(ref _closing) != 0;

    /// <summary>Completes when the writer has stopped (close frame sent, or aborted).</summary>
    public Task Completion => _writerTask;

    /// <summary>Completes once the close frame has been sent, or the writer gave up.</summary>
    public Task CloseSent => _closeSent.Task;

    public WebSocket Socket => _socket;

    /// <summary>Queues a frame without waiting. Never throws; a full queue starts closing the connection.</summary>
    public EnqueueResult TryEnqueue(OutboundFrame frame)
    {
        if (IsClosing)
        {
            return EnqueueResult.Closed;
        }

        var count = Interlocked.Increment(ref _queuedCount);
        var bytes = Interlocked.Add(ref _queuedBytes, frame.Payload.Length);
        if (count > _maxMessages || bytes > _maxBytes)
        {
            Interlocked.Decrement(ref _queuedCount);
            Interlocked.Add(ref _queuedBytes, -frame.Payload.Length);
            if (BeginClose(CloseReasons.SendQueueFullCode, CloseReasons.SendQueueFull, finalFrame: null, dropPending: true))
            {
                Overflowed?.Invoke(CloseReasons.SendQueueFull);
            }

            return EnqueueResult.Full;
        }

        if (!_queue.Writer.TryWrite(frame))
        {
            Interlocked.Decrement(ref _queuedCount);
            Interlocked.Add(ref _queuedBytes, -frame.Payload.Length);
            return EnqueueResult.Closed;
        }

        return EnqueueResult.Enqueued;
    }

    /// <summary>
    /// Sends <paramref name="finalFrame"/> (if any) after what is already queued, then the close frame. Only the first
    /// call wins. Returns false if the connection was already closing.
    /// </summary>
    public bool BeginClose(WebSocketCloseStatus status, string? description, OutboundFrame? finalFrame = null, bool dropPending = false)
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
        {
            return false;
        }

        _closeStatus = status;
        _closeDescription = Truncate(description);
        _dropPending = dropPending;
        if (finalFrame is { } last && !dropPending)
        {
            _queue.Writer.TryWrite(last);
        }

        _queue.Writer.TryComplete();
        if (dropPending)
        {
            // The writer may be blocked on a client that stopped reading: give it a moment to get the close
            // frame out, then abort the socket so the connection cannot linger.
            _abort.CancelAfter(_closeGrace);
        }

        return true;
    }

    /// <summary>Aborts the socket now (no close frame).</summary>
    public void Abort()
    {
        Interlocked.Exchange(ref _closing, 1);
        _queue.Writer.TryComplete();
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already disposed: nothing left to abort.
        }

        _socket.Abort();
    }

    public ValueTask<ValueWebSocketReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _socket.ReceiveAsync(buffer, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        Abort();
        try
        {
            await _writerTask.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The writer stops by cancellation when aborted.
        }

        _abort.Dispose();
        _socket.Dispose();
    }

    private async Task WriteLoopAsync()
    {
        var token = _abort.Token;
        try
        {
            await foreach (var frame in _queue.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                Interlocked.Decrement(ref _queuedCount);
                Interlocked.Add(ref _queuedBytes, -frame.Payload.Length);
                if (_dropPending)
                {
                    continue;
                }

                await _socket.SendAsync(frame.Payload, frame.Type, endOfMessage: true, token).ConfigureAwait(false);
            }

            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.CloseOutputAsync(_closeStatus, _closeDescription, token).ConfigureAwait(false);
            }

            _closeSent.TrySetResult();

            // A peer that never answers our close frame must not keep the connection (and its groups) alive:
            // after the grace period the socket is aborted, which ends the receive loop. Disposal cancels this wait.
            await Task.Delay(_closeGrace, _timeProvider, token).ConfigureAwait(false);
            if (_socket.State != WebSocketState.Closed)
            {
                _socket.Abort();
            }
        }
        catch (OperationCanceledException)
        {
            TransportLog.WriterAborted(_logger, _connectionId);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException)
        {
            // The peer went away; the receive side sees it too and ends the connection.
            TransportLog.WriteFailed(_logger, _connectionId, ex.Message);
            _socket.Abort();
        }
        finally
        {
            _closeSent.TrySetResult();
        }
    }

    /// <summary>Close reasons must fit in 123 UTF-8 bytes.</summary>
    internal static string? Truncate(string? description)
    {
        if (description is null)
        {
            return null;
        }

        while (System.Text.Encoding.UTF8.GetByteCount(description) > 123)
        {
            description = description[..^1];
        }

        return description;
    }

    private static partial class TransportLog
    {
        [LoggerMessage(EventId = 1001, Level = LogLevel.Debug, Message = "Writer of connection {ConnectionId} aborted")]
        public static partial void WriterAborted(ILogger logger, string connectionId);

        [LoggerMessage(EventId = 1002, Level = LogLevel.Debug, Message = "Write to connection {ConnectionId} failed: {Reason}")]
        public static partial void WriteFailed(ILogger logger, string connectionId, string reason);
    }
}
