using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Connections;
using RestaurantOs.Realtime.Events;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Presence;
using RestaurantOs.Realtime.Protocol;
using RestaurantOs.Realtime.Routing;

namespace RestaurantOs.Realtime.Services;

/// <summary>
/// The <c>auth</c> message: the first one authenticates a pending connection (it leaves its auth-grace bucket and
/// joins its groups); a later one refreshes the token of an open connection, for the same restaurant and user only.
/// </summary>
internal sealed class ConnectionAuthenticator(
    IAppTokenValidator tokens,
    IConnectionManager connections,
    SubscriptionHandler subscriptions,
    ConnectionErrors errors,
    PresenceTracker presence,
    RealtimeMetrics metrics,
    TimeSpan authGrace)
{
    public async Task<MessageOutcome> AuthenticateAsync(string connectionId, ConnectionState state, AuthMessage auth, string? transport, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var outcome = await tokens.ValidateAsync(auth.Token, cancellationToken).ConfigureAwait(false);
        if (!outcome.Succeeded)
        {
            // UNAUTHORIZED is terminal for the client; INTERNAL_ERROR (signing keys unreachable) closes with 1011 and may retry.
            metrics.AuthFailed(outcome.ErrorCode);
            return await errors.CloseAsync(connectionId, state, outcome.ErrorCode, outcome.ErrorMessage, cancellationToken).ConfigureAwait(false);
        }

        var identity = outcome.Identity!;
        if (auth.RestaurantId is Guid named && named != identity.RestaurantId)
        {
            metrics.AuthFailed(ErrorCodes.TenantViolation);
            return await errors.CloseAsync(connectionId, state, ErrorCodes.TenantViolation, "The message names a restaurant other than the token's.", cancellationToken).ConfigureAwait(false);
        }

        // The station: the token's, else the one the first auth named; a refresh keeps it. Naming another one is refused
        // (the connection keeps its state), so a screen cannot pass itself off as another station.
        var station = identity.Station ?? (state.Authenticated ? state.Station : auth.Station);
        var device = identity.Device ?? (state.Authenticated ? state.Device : auth.Device);
        if ((auth.Station is not null && auth.Station != station) || (auth.Device is not null && auth.Device != device)
            || (state.Authenticated && (state.Station != station || state.Device != device)))
        {
            return errors.Reply(state, ErrorCodes.InvalidMessage, "'station' and 'device' may not differ from the token's, or change on an open connection.", now);
        }

        identity = identity with { Station = station, Device = device };
        if (state.Authenticated)
        {
            // Token refresh on an open socket: same restaurant and user only.
            if (state.RestaurantId != identity.RestaurantId || !string.Equals(state.UserId, identity.UserId, StringComparison.Ordinal))
            {
                metrics.AuthFailed(ErrorCodes.TenantViolation);
                return await errors.CloseAsync(connectionId, state, ErrorCodes.TenantViolation, "A refreshed token must be for the same restaurant and user.", cancellationToken).ConfigureAwait(false);
            }

            var before = GroupRouting.GroupsFor(state.ToIdentity(), state.Subscriptions);
            var refreshed = AuthenticatedState(state, identity, outcome.ExpiresAt);
            await subscriptions.ApplyGroupsAsync(connectionId, before, GroupRouting.GroupsFor(identity, refreshed.Subscriptions), cancellationToken).ConfigureAwait(false);
            return new MessageOutcome(EventFactory.Authenticated(connectionId, refreshed, (int)authGrace.TotalSeconds, now), refreshed, false);
        }

        var next = AuthenticatedState(state, identity, outcome.ExpiresAt);
        await connections.AddToGroupsAsync(connectionId, [.. GroupRouting.GroupsFor(identity, next.Subscriptions)], cancellationToken).ConfigureAwait(false);
        if (state.PendingGroup is { } pendingGroup)
        {
            await connections.RemoveFromGroupsAsync(connectionId, [pendingGroup], cancellationToken).ConfigureAwait(false);
        }

        metrics.ConnectionClosed(null);
        metrics.ConnectionOpened(identity.RestaurantId);
        await presence.JoinedAsync(connectionId, next, transport, cancellationToken).ConfigureAwait(false);
        return new MessageOutcome(EventFactory.Authenticated(connectionId, next, (int)authGrace.TotalSeconds, now), next, false);
    }

    /// <summary>The state of a connection authenticated as <paramref name="identity"/> (subscriptions kept).</summary>
    public static ConnectionState AuthenticatedState(ConnectionState state, ConnectionIdentity identity, DateTimeOffset? expiresAt) => state with
    {
        Authenticated = true,
        UserId = identity.UserId,
        RestaurantId = identity.RestaurantId,
        Role = identity.Role,
        OrderIds = identity.OrderIds,
        Station = identity.Station,
        Device = identity.Device,
        AuthDeadlineMs = null,
        PendingGroup = null,
        TokenExpiresMs = expiresAt?.ToUnixTimeMilliseconds(),
    };
}
