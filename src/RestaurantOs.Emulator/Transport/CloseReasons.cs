using System.Net.WebSockets;

namespace RestaurantOs.Emulator.Transport;

/// <summary>
/// The close codes and reasons the emulator uses on its own initiative (reasons fit the 123-byte limit).
/// Whether a client should reconnect is noted per entry.
/// </summary>
internal static class CloseReasons
{
    /// <summary>1008: the connection fell too far behind. Reconnect (and resync).</summary>
    public const string SendQueueFull = "Send queue full (slow consumer)";

    /// <summary>1008: a reliable connection's unacknowledged messages passed the buffer limit. Start a new connection (and resync).</summary>
    public const string ReliableBufferFull = "The reliable message buffer is full.";

    /// <summary>1008: a recovery that names an unknown or ended connection, or a wrong reconnection token. Start a new connection.</summary>
    public const string RecoveryRefused = "The connection could not be recovered.";

    /// <summary>1009: a client message over the limit. Reconnect, but do not resend that message.</summary>
    public const string MessageTooBig = "Message too big";

    /// <summary>1001: the emulator is stopping. Reconnect with backoff.</summary>
    public const string ShuttingDown = "The service is shutting down.";

    /// <summary>1007: a <c>json.webpubsub.azure.v1</c> frame that is not a JSON object. A client bug; reconnecting repeats it.</summary>
    public const string NotAJsonObject = "The frame is not a JSON object.";

    /// <summary>1007: a text frame that is not UTF-8 on a seed endpoint (after the app's <c>INVALID_MESSAGE</c>). A client bug.</summary>
    public const string InvalidUtf8 = "The text frame is not valid UTF-8.";

    /// <summary>1003: a binary frame on <c>json.webpubsub.azure.v1</c>. A client bug.</summary>
    public const string TextFramesOnly = "json.webpubsub.azure.v1 accepts only text frames.";

    /// <summary>1000: a REST close without a reason.</summary>
    public const string ClosedByServer = "Closed by the server.";

    public const WebSocketCloseStatus SendQueueFullCode = WebSocketCloseStatus.PolicyViolation;
    public const WebSocketCloseStatus ReliableBufferFullCode = WebSocketCloseStatus.PolicyViolation;
    public const WebSocketCloseStatus RecoveryRefusedCode = WebSocketCloseStatus.PolicyViolation;
    public const WebSocketCloseStatus MessageTooBigCode = WebSocketCloseStatus.MessageTooBig;
    public const WebSocketCloseStatus ShuttingDownCode = WebSocketCloseStatus.EndpointUnavailable;
    public const WebSocketCloseStatus NotAJsonObjectCode = WebSocketCloseStatus.InvalidPayloadData;
    public const WebSocketCloseStatus InvalidUtf8Code = WebSocketCloseStatus.InvalidPayloadData;
    public const WebSocketCloseStatus TextFramesOnlyCode = WebSocketCloseStatus.InvalidMessageType;

    /// <summary>1011: a plain client's user event failed or had no handler (the reason is the handler's error).</summary>
    public const WebSocketCloseStatus UserEventFailedCode = WebSocketCloseStatus.InternalServerError;
}
