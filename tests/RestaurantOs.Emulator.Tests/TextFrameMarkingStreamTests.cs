using System.Net.WebSockets;
using System.Text;
using RestaurantOs.Emulator.Transport;

namespace RestaurantOs.Emulator.Tests;

/// <summary>
/// The seed endpoint's frame marker: client text frames reach the socket as binary with their type noted, whatever
/// the read sizes, frame lengths (7-, 16- and 64-bit) and control frames in between; payloads are untouched.
/// </summary>
public sealed class TextFrameMarkingStreamTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(100_000)]
    public async Task Text_frames_become_binary_and_are_noted_in_order_across_any_read_size(int readSize)
    {
        var big = new byte[70_000];
        Random.Shared.NextBytes(big);
        var frames = new (byte Opcode, bool Fin, byte[] Payload)[]
        {
            (0x1, true, Encoding.UTF8.GetBytes("{\"type\":\"ping\"}")),
            (0x2, true, [1, 2, 3]),
            (0x9, true, [9]), // ping between messages
            (0x1, false, Encoding.UTF8.GetBytes(new string('a', 300))), // 16-bit length, fragmented text
            (0xA, true, []), // pong inside the fragmented message
            (0x0, true, [0xFF, 0xFE]), // continuation carrying invalid UTF-8
            (0x2, true, big), // 64-bit length
            (0x1, true, []),
        };
        var wire = frames.SelectMany(f => Frame(f.Opcode, f.Fin, f.Payload)).ToArray();

        await using var marked = new TextFrameMarkingStream(new ChunkedStream(wire, readSize), static () => { });
        var seen = new MemoryStream();
        var buffer = new byte[4096];
        int read;
        while ((read = await marked.ReadAsync(buffer, TestContext.Current.CancellationToken)) > 0)
        {
            seen.Write(buffer, 0, read);
        }

        var expected = frames.SelectMany(f => Frame(f.Opcode == 0x1 ? (byte)0x2 : f.Opcode, f.Fin, f.Payload)).ToArray();
        Assert.Equal(expected, seen.ToArray());
        Assert.Equal([true, false, true, false, true], Enumerable.Range(0, 5).Select(_ => marked.NextMessageWasText()));
        Assert.False(marked.NextMessageWasText()); // nothing more noted
    }

    [Fact]
    public async Task A_server_socket_on_the_marker_returns_invalid_UTF8_text_as_a_binary_message_instead_of_failing()
    {
        var payload = Encoding.UTF8.GetBytes("{\"type\":\"ping\",\"x\":\"").Concat(new byte[] { 0xFF }).Concat(Encoding.UTF8.GetBytes("\"}")).ToArray();
        var marked = new TextFrameMarkingStream(new ChunkedStream(Frame(0x1, true, payload), 5), static () => { });
        using var socket = WebSocket.CreateFromStream(marked, new WebSocketCreationOptions { IsServer = true });
        var buffer = new byte[1024];
        var result = await socket.ReceiveAsync(buffer.AsMemory(), TestContext.Current.CancellationToken);
        var total = result.Count;
        while (!result.EndOfMessage)
        {
            result = await socket.ReceiveAsync(buffer.AsMemory(total), TestContext.Current.CancellationToken);
            total += result.Count;
        }

        Assert.Equal(WebSocketMessageType.Binary, result.MessageType);
        Assert.Equal(payload, buffer[..total]);
        Assert.True(marked.NextMessageWasText());
    }

    /// <summary>A masked client frame (RFC 6455 §5.2).</summary>
    private static byte[] Frame(byte opcode, bool fin, byte[] payload)
    {
        var frame = new List<byte> { (byte)((fin ? 0x80 : 0) | opcode) };
        if (payload.Length < 126)
        {
            frame.Add((byte)(0x80 | payload.Length));
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            frame.Add(0x80 | 126);
            frame.Add((byte)(payload.Length >> 8));
            frame.Add((byte)payload.Length);
        }
        else
        {
            frame.Add(0x80 | 127);
            for (var shift = 56; shift >= 0; shift -= 8)
            {
                frame.Add((byte)((long)payload.Length >> shift));
            }
        }

        byte[] mask = [0x12, 0x34, 0x56, 0x78];
        frame.AddRange(mask);
        frame.AddRange(payload.Select((b, i) => (byte)(b ^ mask[i % 4])));
        return [.. frame];
    }

    /// <summary>Returns the bytes at most <c>chunk</c> at a time, like a network read.</summary>
    private sealed class ChunkedStream(byte[] data, int chunk) : Stream
    {
        private int _position;

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, chunk), data.Length - _position);
            Array.Copy(data, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = Math.Min(Math.Min(buffer.Length, chunk), data.Length - _position);
            data.AsMemory(_position, n).CopyTo(buffer);
            _position += n;
            return ValueTask.FromResult(n);
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
        }

        public override void Flush()
        {
        }

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => data.Length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
