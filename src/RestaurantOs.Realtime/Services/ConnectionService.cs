using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Connections;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Events;
using RestaurantOs.Realtime.Limits;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Protocol;
using RestaurantOs.Realtime.Routing;

namespace RestaurantOs.Realtime.Services;

/// <summary>What the realtime service tells us about a connecting client (Web PubSub's <c>connect</c> event).</summary>
public sealed record ConnectAttempt(
    string ConnectionId,
    IReadOnlyDictionary<string, string[]> Query,
    IReadOnlyDictionary<string, string[]> Headers);

/// <summary>
/// The answer to a connect: accept (with user id, groups and state) or refuse with an HTTP status.
/// A pending connection is accepted without identity and must send <c>auth</c> before its deadline.
/// </summary>
public sealed record ConnectDecision(
    bool Accepted,
    int RejectStatus,
    string? RejectCode,
    string? RejectMessage,
    string? UserId,
    IReadOnlyList<string> Groups,
    ConnectionState? State);

/// <summary>
/// The answer to one client message: an optional reply for the response body and the connection's new state.
/// Group changes and closes have already been applied through <see cref="IConnectionManager"/> when this returns.
/// </summary>
public sealed record MessageOutcome(RealtimeEvent? Reply, ConnectionState State, bool Closed);

/// <summary>
/// The connection lifecycle and the client protocol: authentication (on connect or with a first <c>auth</c>
/// message), subscriptions as group membership, rate limiting, ping, resume. It keeps no per-connection memory:
/// everything it needs travels in <see cref="ConnectionState"/>, which Web PubSub stores with the connection.
/// </summary>
public sealed partial class ConnectionService(
    IAppTokenValidator tokens,
    IConnectionManager connections,
    IEventPublisher publisher,
    IEventHistory history,
    IOptions<AppJwtOptions> jwtOptions,
    RealtimeMetrics metrics,
    TimeProvider time,
    ILogger<ConnectionService> logger)
{
    /// <summary>Longest replay sent in one <c>replay</c> reply; a client further behind gets <c>resync</c>.</summary>
    public const int MaxReplayEvents = 500;

    private static readonly string[] TokenQueryKeys = ["token", "access_token"];
    private readonly TimeSpan _authGrace = TimeSpan.FromSeconds(Math.Max(1, jwtOptions.Value.AuthGraceSeconds));

    public TimeSpan AuthGrace => _authGrace;

    public async Task<ConnectDecision> ConnectAsync(ConnectAttempt attempt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        var token = FindToken(attempt);
        var now = time.GetUtcNow();
        if (token is null)
        {
            // No token yet: the seed's own client authenticates with its first message. Park the connection in a
            // time bucket; the auth-grace timer closes the bucket when its deadline has passed.
            var deadline = now + _authGrace;
            var pendingGroup = GroupRouting.AuthPendingGroup(deadline, AuthGraceSweeper.BucketSize);
            var pending = new ConnectionState
            {
                Authenticated = false,
                AuthDeadlineMs = deadline.ToUnixTimeMilliseconds(),
                PendingGroup = pendingGroup,
            };
            return new ConnectDecision(true, 200, null, null, null, [pendingGroup], pending);
        }

        var outcome = await tokens.ValidateAsync(token, cancellationToken).ConfigureAwait(false);
        if (!outcome.Succeeded)
        {
            // A key-endpoint outage is the server's fault (500, retry); a bad token is the client's (401, terminal).
            var serverFault = outcome.ErrorCode == ErrorCodes.InternalError;
            metrics.AuthFailed(outcome.ErrorCode);
            Log.ConnectRejected(logger, attempt.ConnectionId, outcome.ErrorCode);
            return new ConnectDecision(false, serverFault ? 500 : 401, outcome.ErrorCode, outcome.ErrorMessage, null, [], null);
        }

        var identity = outcome.Identity!;
        var state = AuthenticatedState(new ConnectionState(), identity, outcome.ExpiresAt);
        var groups = GroupRouting.GroupsFor(identity, state.Subscriptions).ToList();
        return new ConnectDecision(true, 200, null, null, identity.UserId, groups, state);
    }

    /// <summary>Sends the <c>connected</c> message once the realtime service has opened the connection.</summary>
    public async Task ConnectedAsync(string connectionId, ConnectionState? state, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionId);
        state ??= new ConnectionState();
        metrics.ConnectionOpened(state.RestaurantId);
        var hello = EventFactory.Connected(connectionId, state, (int)_authGrace.TotalSeconds, time.GetUtcNow());
        await publisher.SendToConnectionAsync(connectionId, hello, cancellationToken).ConfigureAwait(false);
    }

    public void Disconnected(string connectionId, ConnectionState? state)
    {
        metrics.ConnectionClosed(state?.RestaurantId);
        Log.Disconnected(logger, connectionId, state?.RestaurantId);
    }

    public async Task<MessageOutcome> MessageAsync(string connectionId, ConnectionState? state, ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionId);
        state ??= new ConnectionState();
        var started = Stopwatch.GetTimestamp();
        var now = time.GetUtcNow();
        var type = "invalid";
        try
        {
            // Rate limit first: even garbage counts against the budget.
            var decision = RateLimiter.Check(state.Rate, now, out var rate);
            state = state with { Rate = rate };
            if (decision == RateDecision.Close)
            {
                return await CloseAsync(connectionId, state, ErrorCodes.RateLimited, "Too many messages: the connection is closed.", cancellationToken).ConfigureAwait(false);
            }

            if (decision == RateDecision.Limited)
            {
                return Reply(state, ErrorCodes.RateLimited, $"More than {ProtocolLimits.MaxMessagesPerMinute} messages in a minute; this message was dropped.", now);
            }

            var parsed = ClientMessageParser.Parse(frame.Span);
            if (parsed.Error is { } error)
            {
                if (error.Code == ErrorCodes.MessageTooBig)
                {
                    return await CloseAsync(connectionId, state, error.Code, error.Message, cancellationToken).ConfigureAwait(false);
                }

                return Reply(state, error.Code, error.Message, now);
            }

            var message = parsed.Message!;
            type = message.Type;

            if (state.Authenticated && message.RestaurantId is Guid named && named != state.RestaurantId)
            {
                metrics.AuthFailed(ErrorCodes.TenantViolation);
                return await CloseAsync(connectionId, state, ErrorCodes.TenantViolation, "The message names another restaurant.", cancellationToken).ConfigureAwait(false);
            }

            if (message is AuthMessage auth)
            {
                return await AuthenticateAsync(connectionId, state, auth, now, cancellationToken).ConfigureAwait(false);
            }

            if (!state.Authenticated)
            {
                if (state.AuthDeadlineMs is long deadline && now.ToUnixTimeMilliseconds() > deadline)
                {
                    metrics.AuthFailed(ErrorCodes.AuthTimeout);
                    return await CloseAsync(connectionId, state, ErrorCodes.AuthTimeout, "No auth message within the grace period.", cancellationToken).ConfigureAwait(false);
                }

                return message is PingMessage
                    ? new MessageOutcome(EventFactory.Pong(now), state, false)
                    : Reply(state, ErrorCodes.NotAuthenticated, "Send {\"type\":\"auth\",\"token\":…} first.", now);
            }

            if (state.TokenExpiresMs is long expires && now.ToUnixTimeMilliseconds() > expires)
            {
                metrics.AuthFailed(ErrorCodes.Unauthorized);
                return await CloseAsync(connectionId, state, ErrorCodes.Unauthorized, "The token has expired; refresh it with an auth message before it does.", cancellationToken).ConfigureAwait(false);
            }

            return message switch
            {
                PingMessage => new MessageOutcome(EventFactory.Pong(now), state, false),
                SubscribeMessage subscribe => await ChangeSubscriptionsAsync(connectionId, state, SubscriptionRules.Apply(state.ToIdentity(), state.Subscriptions, subscribe), EventTypes.Subscribed, subscribe.Events, subscribe.Filters, now, cancellationToken).ConfigureAwait(false),
                UnsubscribeMessage unsubscribe => await ChangeSubscriptionsAsync(connectionId, state, SubscriptionRules.Apply(state.ToIdentity(), state.Subscriptions, unsubscribe), EventTypes.Unsubscribed, unsubscribe.Events, null, now, cancellationToken).ConfigureAwait(false),
                ResumeMessage resume => await ResumeAsync(state, resume.Since, now, cancellationToken).ConfigureAwait(false),
                _ => Reply(state, ErrorCodes.UnknownType, $"'{message.Type}' is not handled here.", now),
            };
        }
        finally
        {
            metrics.MessageReceived(type, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    private async Task<MessageOutcome> AuthenticateAsync(string connectionId, ConnectionState state, AuthMessage auth, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var outcome = await tokens.ValidateAsync(auth.Token, cancellationToken).ConfigureAwait(false);
        if (!outcome.Succeeded)
        {
            // UNAUTHORIZED is terminal for the client; INTERNAL_ERROR (signing keys unreachable) closes with 1011 and may retry.
            metrics.AuthFailed(outcome.ErrorCode);
            return await CloseAsync(connectionId, state, outcome.ErrorCode, outcome.ErrorMessage, cancellationToken).ConfigureAwait(false);
        }

        var identity = outcome.Identity!;
        if (auth.RestaurantId is Guid named && named != identity.RestaurantId)
        {
            metrics.AuthFailed(ErrorCodes.TenantViolation);
            return await CloseAsync(connectionId, state, ErrorCodes.TenantViolation, "The message names a restaurant other than the token's.", cancellationToken).ConfigureAwait(false);
        }

        if (state.Authenticated)
        {
            // Token refresh on an open socket: same restaurant and user only.
            if (state.RestaurantId != identity.RestaurantId || !string.Equals(state.UserId, identity.UserId, StringComparison.Ordinal))
            {
                metrics.AuthFailed(ErrorCodes.TenantViolation);
                return await CloseAsync(connectionId, state, ErrorCodes.TenantViolation, "A refreshed token must be for the same restaurant and user.", cancellationToken).ConfigureAwait(false);
            }

            var before = GroupRouting.GroupsFor(state.ToIdentity(), state.Subscriptions);
            var refreshed = AuthenticatedState(state, identity, outcome.ExpiresAt);
            await ApplyGroupsAsync(connectionId, before, GroupRouting.GroupsFor(identity, refreshed.Subscriptions), cancellationToken).ConfigureAwait(false);
            return new MessageOutcome(EventFactory.Authenticated(connectionId, refreshed, (int)_authGrace.TotalSeconds, now), refreshed, false);
        }

        var next = AuthenticatedState(state, identity, outcome.ExpiresAt);
        await connections.AddToGroupsAsync(connectionId, [.. GroupRouting.GroupsFor(identity, next.Subscriptions)], cancellationToken).ConfigureAwait(false);
        if (state.PendingGroup is { } pendingGroup)
        {
            await connections.RemoveFromGroupsAsync(connectionId, [pendingGroup], cancellationToken).ConfigureAwait(false);
        }

        metrics.ConnectionClosed(null);
        metrics.ConnectionOpened(identity.RestaurantId);
        return new MessageOutcome(EventFactory.Authenticated(connectionId, next, (int)_authGrace.TotalSeconds, now), next, false);
    }

    private async Task<MessageOutcome> ChangeSubscriptionsAsync(
        string connectionId,
        ConnectionState state,
        SubscriptionChange change,
        string replyType,
        IReadOnlyList<string> events,
        IReadOnlyDictionary<string, string>? filters,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        if (change.Error is { } error)
        {
            return Reply(state, error.Code, error.Message, now);
        }

        var identity = state.ToIdentity();
        await ApplyGroupsAsync(connectionId, GroupRouting.GroupsFor(identity, state.Subscriptions), GroupRouting.GroupsFor(identity, change.Next), cancellationToken).ConfigureAwait(false);
        var next = state with { Subscriptions = change.Next };
        return new MessageOutcome(EventFactory.SubscriptionAck(replyType, events, filters, change.Next, identity.Role, now), next, false);
    }

    private async Task<MessageOutcome> ResumeAsync(ConnectionState state, long since, DateTimeOffset now, CancellationToken cancellationToken)
    {
        metrics.Reconnected();
        var reply = await CatchUpAsync(state.ToIdentity(), state.Subscriptions, since, now, cancellationToken).ConfigureAwait(false);
        return new MessageOutcome(reply, state, false);
    }

    /// <summary>
    /// What a client that last applied <paramref name="since"/> missed and may see: a <c>replay</c> with the events
    /// in seq order, or a <c>resync</c> when history no longer reaches back (or the client is too far behind).
    /// Used by <c>resume</c> over WebSocket and by <c>GET /api/events?since=</c>.
    /// </summary>
    public async Task<RealtimeEvent> CatchUpAsync(ConnectionIdentity identity, SubscriptionSet subscriptions, long since, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var page = await history.ReadAfterAsync(identity.RestaurantId, since, MaxReplayEvents + 1, cancellationToken).ConfigureAwait(false);
        if (since > page.LatestSeq)
        {
            // The client claims a seq we never assigned (history was reset): it must reload.
            return EventFactory.Resync(since, page.LatestSeq, "unknown_seq", now);
        }

        // Missed events exist but the oldest one held is past the gap (or none is held: all expired).
        if (page.LatestSeq > since && (page.OldestSeq == 0 || page.OldestSeq > since + 1))
        {
            return EventFactory.Resync(since, page.LatestSeq, "history_expired", now);
        }

        if (page.Events.Count > MaxReplayEvents)
        {
            return EventFactory.Resync(since, page.LatestSeq, "too_far_behind", now);
        }

        var visible = page.Events.Where(e => GroupRouting.CanSee(identity, subscriptions, e)).ToList();
        return EventFactory.Replay(since, page.LatestSeq, visible, now);
    }

    private async Task ApplyGroupsAsync(string connectionId, IReadOnlySet<string> before, IReadOnlySet<string> after, CancellationToken cancellationToken)
    {
        var join = after.Where(g => !before.Contains(g)).ToList();
        var leave = before.Where(g => !after.Contains(g)).ToList();
        // Join before leaving: an event sent in between reaches the connection at most once (the send filter matches
        // a connection once), and never zero times.
        if (join.Count > 0)
        {
            await connections.AddToGroupsAsync(connectionId, join, cancellationToken).ConfigureAwait(false);
        }

        if (leave.Count > 0)
        {
            await connections.RemoveFromGroupsAsync(connectionId, leave, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<MessageOutcome> CloseAsync(string connectionId, ConnectionState state, string code, string message, CancellationToken cancellationToken)
    {
        // A REST close cannot carry a WebSocket close code, so the error message goes first: the client learns
        // whether to reconnect from its code. The seed-compatible endpoint maps the reason to 1008/1009/1011.
        metrics.Error(code);
        Log.Closing(logger, connectionId, code);
        await publisher.SendToConnectionAsync(connectionId, EventFactory.Error(code, message, time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        await connections.CloseConnectionAsync(connectionId, code, cancellationToken).ConfigureAwait(false);
        return new MessageOutcome(null, state, true);
    }

    private MessageOutcome Reply(ConnectionState state, string code, string message, DateTimeOffset now)
    {
        metrics.Error(code);
        return new MessageOutcome(EventFactory.Error(code, message, now), state, false);
    }

    private static ConnectionState AuthenticatedState(ConnectionState state, ConnectionIdentity identity, DateTimeOffset? expiresAt) => state with
    {
        Authenticated = true,
        UserId = identity.UserId,
        RestaurantId = identity.RestaurantId,
        Role = identity.Role,
        OrderIds = identity.OrderIds,
        AuthDeadlineMs = null,
        PendingGroup = null,
        TokenExpiresMs = expiresAt?.ToUnixTimeMilliseconds(),
    };

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

        [LoggerMessage(2, LogLevel.Information, "Closing connection {ConnectionId}: {Code}.")]
        public static partial void Closing(ILogger logger, string connectionId, string code);

        [LoggerMessage(3, LogLevel.Debug, "Connection {ConnectionId} of restaurant {RestaurantId} disconnected.")]
        public static partial void Disconnected(ILogger logger, string connectionId, Guid? restaurantId);
    }
}
