using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using RestaurantOs.Emulator.Transport;

namespace RestaurantOs.Emulator.Protocol;

/// <summary>Encodes the downstream frames of <c>json.webpubsub.azure.v1</c>.</summary>
internal static class JsonFrames
{
    public static readonly OutboundFrame Pong = Text("{\"type\":\"pong\"}"u8.ToArray());

    /// <summary>The first frame of a JSON connection; reliable connections also get the token that recovers them.</summary>
    public static OutboundFrame Connected(string connectionId, string? userId, string? reconnectionToken = null) => Write(writer =>
    {
        writer.WriteString("type", "system");
        writer.WriteString("event", "connected");
        if (userId is null)
        {
            writer.WriteNull("userId");
        }
        else
        {
            writer.WriteString("userId", userId);
        }

        writer.WriteString("connectionId", connectionId);
        if (reconnectionToken is not null)
        {
            writer.WriteString("reconnectionToken", reconnectionToken);
        }
    });

    public static OutboundFrame Disconnected(string reason) => Write(writer =>
    {
        writer.WriteString("type", "system");
        writer.WriteString("event", "disconnected");
        writer.WriteString("message", reason);
    });

    public static OutboundFrame Ack(ulong ackId, string? errorName = null, string? errorMessage = null) => Write(writer =>
    {
        writer.WriteString("type", "ack");
        writer.WriteNumber("ackId", ackId);
        writer.WriteBoolean("success", errorName is null);
        if (errorName is not null)
        {
            writer.WriteStartObject("error");
            writer.WriteString("name", errorName);
            writer.WriteString("message", errorMessage ?? errorName);
            writer.WriteEndObject();
        }
    });

    public static OutboundFrame Message(ServerMessage message) => Write(writer =>
    {
        writer.WriteString("type", "message");
        if (message.Group is null)
        {
            writer.WriteString("from", "server");
        }
        else
        {
            writer.WriteString("from", "group");
            writer.WriteString("group", message.Group);
            if (message.FromUserId is not null)
            {
                writer.WriteString("fromUserId", message.FromUserId);
            }
        }

        writer.WriteString("dataType", DataTypes.Name(message.DataType));
        switch (message.DataType)
        {
            case DataType.Json:
                // The JSON value goes in as-is (validated when it entered the emulator).
                writer.WritePropertyName("data");
                writer.WriteRawValue(message.Data.Span, skipInputValidation: true);
                break;
            case DataType.Text:
                writer.WriteString("data", message.Data.Span);
                break;
            case DataType.Binary:
                writer.WriteBase64String("data", message.Data.Span);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(message), message.DataType, "Unknown data type.");
        }
    });

    private static OutboundFrame Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return Text(buffer.WrittenMemory.ToArray());
    }

    private static OutboundFrame Text(byte[] bytes) => new(bytes, WebSocketMessageType.Text);
}
