using System.Net.WebSockets;
using RestaurantOs.Emulator.Connections;
using RestaurantOs.Emulator.Transport;

namespace RestaurantOs.Emulator.Protocol;

/// <summary>
/// One message going to many connections. Each protocol's frame is built at most once, on the first recipient
/// that needs it, and shared by all others (fan-out runs on one thread, so no locking is needed).
/// </summary>
internal sealed class ServerMessage
{
    private OutboundFrame? _jsonFrame;

    public ServerMessage(DataType dataType, ReadOnlyMemory<byte> data, string? group = null, string? fromUserId = null)
    {
        DataType = dataType;
        Data = data;
        Group = group;
        FromUserId = fromUserId;
    }

    public DataType DataType { get; }

    /// <summary>UTF-8 for text and JSON; raw bytes for binary.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>Set for group messages (<c>from: group</c>).</summary>
    public string? Group { get; }

    public string? FromUserId { get; }

    /// <summary>
    /// The JSON frame with <c>"sequenceId":n</c> as its first property, for a reliable connection. The shared JSON frame
    /// is built once; each recipient gets a copy with its own number spliced in after the opening brace.
    /// </summary>
    public OutboundFrame SequencedJsonFrame(ulong sequenceId)
    {
        var json = FrameFor(ClientProtocol.Json).Payload.Span;
        Span<byte> prefix = stackalloc byte[40];
        "{\"sequenceId\":"u8.CopyTo(prefix);
        var length = 14;
        System.Buffers.Text.Utf8Formatter.TryFormat(sequenceId, prefix[length..], out var digits);
        length += digits;
        prefix[length++] = (byte)',';
        var bytes = new byte[length + json.Length - 1];
        prefix[..length].CopyTo(bytes);
        json[1..].CopyTo(bytes.AsSpan(length));
        return new OutboundFrame(bytes, WebSocketMessageType.Text);
    }

    public OutboundFrame FrameFor(ClientProtocol protocol) => protocol switch
    {
        ClientProtocol.Plain => new OutboundFrame(Data, DataType == DataType.Binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text),
        ClientProtocol.Json => _jsonFrame ??= JsonFrames.Message(this),
        _ => throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "Unknown protocol."),
    };
}
