using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace RestaurantOs.Emulator.Transport;

/// <summary>
/// Sits between the upgraded connection and <see cref="WebSocket"/> on the seed-compatible endpoint, and presents
/// every client text frame to the socket as a binary one, noting that it was text. Why: .NET's WebSocket checks
/// text frames for UTF-8 itself and, on a bad byte, drops the connection before the application sees the frame, so
/// the seed client would get no <c>error</c>. With the check moved to the handler, the frame reaches the app (which
/// answers <c>INVALID_MESSAGE</c>) and the handler then closes with 1007 as RFC 6455 §8.1 requires.
/// Only the opcode bits of client data frames change; payloads, control frames and everything written pass through.
/// </summary>
internal sealed class TextFrameMarkingStream(Stream inner, Action abortConnection) : Stream
{
    private const byte OpcodeMask = 0x0F;
    private const byte TextOpcode = 0x1;
    private const byte BinaryOpcode = 0x2;
    private const byte CloseOpcode = 0x8;

    // One entry per client data message (its first frame), in order: true when it was sent as text.
    private readonly ConcurrentQueue<bool> _messageWasText = new();
    private readonly byte[] _header = new byte[14];
    private int _headerCount;
    private int _headerLength;
    private long _payloadLeft;

    // Both close frames went through: the handshake is complete and nothing reads any more (see Dispose).
    private volatile bool _closeReceived;
    private volatile bool _closeSent;

    /// <summary>Whether the next complete data message the socket returns was sent as text. Call once per message.</summary>
    public bool NextMessageWasText() => _messageWasText.TryDequeue(out var text) && text;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Mark(buffer.Span[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = inner.Read(buffer, offset, count);
        Mark(buffer.AsSpan(offset, read));
        return read;
    }

    /// <summary>Walks frame headers across reads (client frames are always masked) and rewrites text opcodes.</summary>
    private void Mark(Span<byte> bytes)
    {
        var i = 0;
        while (i < bytes.Length)
        {
            if (_payloadLeft > 0)
            {
                var skip = (int)Math.Min(_payloadLeft, bytes.Length - i);
                i += skip;
                _payloadLeft -= skip;
                continue;
            }

            if (_headerCount == 0)
            {
                var opcode = bytes[i] & OpcodeMask;
                if (opcode == TextOpcode)
                {
                    bytes[i] = (byte)((bytes[i] & ~OpcodeMask) | BinaryOpcode);
                    _messageWasText.Enqueue(true);
                }
                else if (opcode == BinaryOpcode)
                {
                    _messageWasText.Enqueue(false);
                }
                else if (opcode == CloseOpcode)
                {
                    _closeReceived = true;
                }

                _headerLength = 2;
            }
            else if (_headerCount == 1)
            {
                var length7 = bytes[i] & 0x7F;
                _headerLength = 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + ((bytes[i] & 0x80) != 0 ? 4 : 0);
            }

            _header[_headerCount++] = bytes[i++];
            if (_headerCount >= 2 && _headerCount == _headerLength)
            {
                _payloadLeft = PayloadLength();
                _headerCount = 0;
            }
        }
    }

    private long PayloadLength()
    {
        var length7 = _header[1] & 0x7F;
        return length7 switch
        {
            126 => (_header[2] << 8) | _header[3],
            127 => (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(_header.AsSpan(2, 8)) & long.MaxValue,
            _ => length7,
        };
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        NoteWrite(buffer.Span);
        return inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        NoteWrite(buffer.AsSpan(offset, count));
        return inner.WriteAsync(buffer, offset, count, cancellationToken);
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        NoteWrite(buffer.AsSpan(offset, count));
        inner.Write(buffer, offset, count);
    }

    /// <summary>The socket writes each frame, header first, in one call: a write that starts with a close header is our close.</summary>
    private void NoteWrite(ReadOnlySpan<byte> frame)
    {
        if (frame.Length > 0 && (frame[0] & OpcodeMask) == CloseOpcode)
        {
            _closeSent = true;
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override bool CanRead => inner.CanRead;

    public override bool CanWrite => inner.CanWrite;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            var handshakeDone = _closeReceived && _closeSent;
            inner.Dispose();
            // Disposing the upgraded stream does not end a read pending on it: a peer that never answers the close
            // would keep the request (and a server's graceful stop) waiting, so the connection is aborted. After a
            // complete close handshake nothing reads, and aborting would only throw away the close frame just written
            // (the peer would see 1006 instead of its close echoed): the request then ends normally.
            if (!handshakeDone)
            {
                abortConnection();
            }
        }

        base.Dispose(disposing);
    }

    /// <summary>
    /// Accepts the upgrade itself (RFC 6455 §4.2.2) so the socket can sit on a <see cref="TextFrameMarkingStream"/>.
    /// Returns null when the request is not an HTTP/1.1 upgrade (e.g. HTTP/2 extended CONNECT); the caller then
    /// accepts the usual way.
    /// </summary>
    public static async Task<(WebSocket Socket, TextFrameMarkingStream Marks)?> AcceptAsync(HttpContext context, WebSocketAcceptContext accept)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(accept);
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        string? key = context.Request.Headers.SecWebSocketKey;
        if (upgrade is not { IsUpgradableRequest: true } || string.IsNullOrEmpty(key))
        {
            return null;
        }

        context.Response.Headers.Connection = "Upgrade";
        context.Response.Headers.Upgrade = "websocket";
        context.Response.Headers.SecWebSocketAccept = AcceptKey(key);
        if (accept.SubProtocol is { } subprotocol)
        {
            context.Response.Headers.SecWebSocketProtocol = subprotocol;
        }

        context.Features.Get<Microsoft.AspNetCore.Http.Timeouts.IHttpRequestTimeoutFeature>()?.DisableTimeout();
        var stream = new TextFrameMarkingStream(await upgrade.UpgradeAsync().ConfigureAwait(false), context.Abort);
        var socket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions
        {
            IsServer = true,
            SubProtocol = accept.SubProtocol,
            KeepAliveInterval = accept.KeepAliveInterval ?? WebSocket.DefaultKeepAliveInterval,
            KeepAliveTimeout = accept.KeepAliveTimeout ?? Timeout.InfiniteTimeSpan,
        });
        return (socket, stream);
    }

    private static string AcceptKey(string key)
    {
        // SHA-1 is what RFC 6455 prescribes for this handshake value; it protects nothing.
#pragma warning disable CA5350
        return Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key.Trim() + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
#pragma warning restore CA5350
    }
}
