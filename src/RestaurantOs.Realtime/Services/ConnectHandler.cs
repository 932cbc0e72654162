using Microsoft.Extensions.Logging;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Connections;
using RestaurantOs.Realtime.Events;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Presence;
using RestaurantOs.Realtime.Protocol;
using RestaurantOs.Realtime.Routing;

namespace RestaurantOs.Realtime.Services;

/// <summary>
/// The handshake: a connect with a token is authenticated at once; one without is parked in an auth-grace bucket
/// and must send <c>auth</c> before its deadline. Also the <c>connected</c> hello and the <c>disconnected</c> count.
/// </summary>
internal sealed partial class ConnectHandler(
    IAppTokenValidator tokens,
    IEventPublisher publisher,
    PresenceTracker presence,
    RealtimeMetrics metrics,
    TimeProvider time,
    TimeSpan authGrace,
    ILogger<ConnectHandler> logger)
{
    private static readonly string[] TokenQueryKeys = ["token", "access_token"];

    public async Task<ConnectDecision> ConnectAsync(ConnectAttempt attempt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        var token = FindToken(attempt);
        if (token is null)
        {
            // No token yet: the seed's own client authenticates with its first message. Park the connection in a
            // time bucket; the auth-grace timer closes the bucket when its deadline has passed.
            var deadline = time.GetUtcNow() + authGrace;
            var pendingGroup = GroupRouting.AuthPendingGroup(deadline, AuthGraceSweeper.BucketSize);
            var pending = new ConnectionState
            {
                Authenticated = false,
                AuthDeadlineMs = deadline.ToUnixTimeMilliseconds(),
                PendingGroup = pendingGroup,
            };
            return ConnectDecision.Accept(null, [pendingGroup], pending);
        }

        var outcome = await tokens.ValidateAsync(token, cancellationToken).ConfigureAwait(false);
        if (!outcome.Succeeded)
        {
            // A key-endpoint outage is the server's fault (retry); a bad token is the client's (terminal).
            metrics.AuthFailed(outcome.ErrorCode);
            Log.ConnectRejected(logger, attempt.ConnectionId, outcome.ErrorCode);
            return ConnectDecision.Reject(outcome.ErrorCode, outcome.ErrorMessage, serverFault: outcome.ErrorCode == ErrorCodes.InternalError);
        }

        var identity = outcome.Identity!;
        var state = ConnectionAuthenticator.AuthenticatedState(new ConnectionState(), identity, outcome.ExpiresAt);
        return ConnectDecision.Accept(identity.UserId, [.. GroupRouting.GroupsFor(identity, state.Subscriptions)], state);
    }

    public async Task ConnectedAsync(string connectionId, ConnectionState? state, string? transport, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionId);
        state ??= new ConnectionState();
        metrics.ConnectionOpened(state.RestaurantId);
        if (state.Authenticated)
        {
            // Before the hello, so a screen that has seen `connected` is already listed.
            await presence.JoinedAsync(connectionId, state, transport, cancellationToken).ConfigureAwait(false);
        }

        var hello = EventFactory.Connected(connectionId, state, (int)authGrace.TotalSeconds, time.GetUtcNow());
        await publisher.SendToConnectionAsync(connectionId, hello, cancellationToken).ConfigureAwait(false);
    }

    public async Task DisconnectedAsync(string connectionId, ConnectionState? state, CancellationToken cancellationToken)
    {
        metrics.ConnectionClosed(state?.RestaurantId);
        Log.Disconnected(logger, connectionId, state?.RestaurantId);
        if (state is { Authenticated: true })
        {
            await presence.LeftAsync(connectionId, state, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string? FindToken(ConnectAttempt attempt)
    {
        foreach (var key in TokenQueryKeys)
        {
            if (TryGet(attempt.Query, key) is { Length: > 0 } value)
            {
                return value;
            }
        }

        if (TryGet(attempt.Headers, "Authorization") is { } header &&
            header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header.Length > 7)
        {
            return header[7..].Trim();
        }

        return null;
    }

    private static string? TryGet(IReadOnlyDictionary<string, string[]> values, string key)
    {
        foreach (var (name, list) in values)
        {
            if (string.Equals(name, key, StringComparison.OrdinalIgnoreCase) && list.Length > 0)
            {
                return list[0];
            }
        }

        return null;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Refused connection {ConnectionId}: {Code}.")]
        public static partial void ConnectRejected(ILogger logger, string connectionId, string code);

        [LoggerMessage(3, LogLevel.Debug, "Connection {ConnectionId} of restaurant {RestaurantId} disconnected.")]
        public static partial void Disconnected(ILogger logger, string connectionId, Guid? restaurantId);
    }
}
