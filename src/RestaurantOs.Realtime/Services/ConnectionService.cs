using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Connections;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Presence;

namespace RestaurantOs.Realtime.Services;

/// <summary>
/// The connection lifecycle and the client protocol, as Web PubSub's upstream events reach them: <c>connect</c> and
/// <c>connected</c> (<see cref="ConnectHandler"/>), each client message (<see cref="ClientMessageDispatcher"/>, which
/// hands <c>auth</c>, <c>subscribe</c>/<c>unsubscribe</c> and <c>resume</c> to their handlers) and <c>disconnected</c>.
/// Presence (<see cref="PresenceTracker"/>) follows the same events: authenticated, heartbeat, disconnected.
/// It keeps no per-connection memory: everything it needs travels in <see cref="ConnectionState"/>, which Web PubSub
/// stores with the connection.
/// </summary>
public sealed class ConnectionService
{
    private readonly ConnectHandler _connect;
    private readonly ClientMessageDispatcher _dispatcher;

    public ConnectionService(
        IAppTokenValidator tokens,
        IConnectionManager connections,
        IEventPublisher publisher,
        HistoryCatchUp catchUp,
        PresenceTracker presence,
        IOptions<AppJwtOptions> jwtOptions,
        RealtimeMetrics metrics,
        TimeProvider time,
        ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(jwtOptions);
        ArgumentNullException.ThrowIfNull(loggers);
        AuthGrace = TimeSpan.FromSeconds(Math.Max(1, jwtOptions.Value.AuthGraceSeconds));
        var errors = new ConnectionErrors(connections, publisher, metrics, time, loggers.CreateLogger<ConnectionErrors>());
        var subscriptions = new SubscriptionHandler(connections, errors);
        var authenticator = new ConnectionAuthenticator(tokens, connections, subscriptions, errors, presence, metrics, AuthGrace);
        _connect = new ConnectHandler(tokens, publisher, presence, metrics, time, AuthGrace, loggers.CreateLogger<ConnectHandler>());
        _dispatcher = new ClientMessageDispatcher(authenticator, subscriptions, catchUp, errors, presence, metrics, time);
    }

    /// <summary>How long a connection that arrived without a token has to send <c>auth</c>.</summary>
    public TimeSpan AuthGrace { get; }

    /// <summary>Web PubSub's <c>connect</c>: accept (authenticated, or pending an <c>auth</c> message) or refuse.</summary>
    public Task<ConnectDecision> ConnectAsync(ConnectAttempt attempt, CancellationToken cancellationToken) =>
        _connect.ConnectAsync(attempt, cancellationToken);

    /// <summary>
    /// Sends the <c>connected</c> message once the realtime service has opened the connection, and records an
    /// authenticated screen as present.
    /// </summary>
    /// <param name="transport">The subprotocol the connection speaks (null for a plain WebSocket).</param>
    public Task ConnectedAsync(string connectionId, ConnectionState? state, string? transport, CancellationToken cancellationToken) =>
        _connect.ConnectedAsync(connectionId, state, transport, cancellationToken);

    /// <summary>The connection has closed: counted, and its screen marked gone.</summary>
    public Task DisconnectedAsync(string connectionId, ConnectionState? state, CancellationToken cancellationToken) =>
        _connect.DisconnectedAsync(connectionId, state, cancellationToken);

    /// <summary>One client message: a reply for the response body and the connection's new state.</summary>
    /// <param name="transport">The subprotocol the connection speaks (null for a plain WebSocket).</param>
    public Task<MessageOutcome> MessageAsync(string connectionId, ConnectionState? state, ReadOnlyMemory<byte> frame, string? transport, CancellationToken cancellationToken) =>
        _dispatcher.MessageAsync(connectionId, state, frame, transport, cancellationToken);
}
