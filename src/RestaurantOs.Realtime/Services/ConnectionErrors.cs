using Microsoft.Extensions.Logging;
using RestaurantOs.Realtime.Connections;
using RestaurantOs.Realtime.Events;
using RestaurantOs.Realtime.Ports;

namespace RestaurantOs.Realtime.Services;

/// <summary>The two ways a client message can fail: an <c>error</c> reply, or an <c>error</c> and a close.</summary>
internal sealed partial class ConnectionErrors(
    IConnectionManager connections,
    IEventPublisher publisher,
    RealtimeMetrics metrics,
    TimeProvider time,
    ILogger<ConnectionErrors> logger)
{
    /// <summary>An <c>error</c> reply; the message is dropped and the connection stays open.</summary>
    public MessageOutcome Reply(ConnectionState state, string code, string message, DateTimeOffset now)
    {
        metrics.Error(code);
        return new MessageOutcome(EventFactory.Error(code, message, now), state, false);
    }

    /// <summary>Sends <c>error</c> with <paramref name="code"/>, then closes the connection with it as the reason.</summary>
    public async Task<MessageOutcome> CloseAsync(string connectionId, ConnectionState state, string code, string message, CancellationToken cancellationToken)
    {
        // A REST close cannot carry a WebSocket close code, so the error message goes first: the client learns
        // whether to reconnect from its code. The seed-compatible endpoint maps the reason to 1008/1009/1011.
        metrics.Error(code);
        Log.Closing(logger, connectionId, code);
        await publisher.SendToConnectionAsync(connectionId, EventFactory.Error(code, message, time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        await connections.CloseConnectionAsync(connectionId, code, cancellationToken).ConfigureAwait(false);
        return new MessageOutcome(null, state, true);
    }

    private static partial class Log
    {
        [LoggerMessage(2, LogLevel.Information, "Closing connection {ConnectionId}: {Code}.")]
        public static partial void Closing(ILogger logger, string connectionId, string code);
    }
}
