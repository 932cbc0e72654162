using System.Diagnostics;
using RestaurantOs.Realtime.Connections;
using RestaurantOs.Realtime.Events;
using RestaurantOs.Realtime.Limits;
using RestaurantOs.Realtime.Presence;
using RestaurantOs.Realtime.Protocol;

namespace RestaurantOs.Realtime.Services;

/// <summary>
/// One client message, through the gates every message passes in this order: rate limit (garbage counts too),
/// parse, tenant, authentication, token expiry; then to the handler of its type.
/// </summary>
internal sealed class ClientMessageDispatcher(
    ConnectionAuthenticator authenticator,
    SubscriptionHandler subscriptions,
    HistoryCatchUp catchUp,
    ConnectionErrors errors,
    PresenceTracker presence,
    RealtimeMetrics metrics,
    TimeProvider time)
{
    public async Task<MessageOutcome> MessageAsync(string connectionId, ConnectionState? state, ReadOnlyMemory<byte> frame, string? transport, CancellationToken cancellationToken)
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
                return await errors.CloseAsync(connectionId, state, ErrorCodes.RateLimited, "Too many messages: the connection is closed.", cancellationToken).ConfigureAwait(false);
            }

            if (decision == RateDecision.Limited)
            {
                return errors.Reply(state, ErrorCodes.RateLimited, $"More than {ProtocolLimits.MaxMessagesPerMinute} messages in a minute; this message was dropped.", now);
            }

            var parsed = ClientMessageParser.Parse(frame.Span);
            if (parsed.Error is { } error)
            {
                return error.Code == ErrorCodes.MessageTooBig
                    ? await errors.CloseAsync(connectionId, state, error.Code, error.Message, cancellationToken).ConfigureAwait(false)
                    : errors.Reply(state, error.Code, error.Message, now);
            }

            var message = parsed.Message!;
            type = message.Type;

            if (state.Authenticated && message.RestaurantId is Guid named && named != state.RestaurantId)
            {
                metrics.AuthFailed(ErrorCodes.TenantViolation);
                return await errors.CloseAsync(connectionId, state, ErrorCodes.TenantViolation, "The message names another restaurant.", cancellationToken).ConfigureAwait(false);
            }

            if (message is AuthMessage auth)
            {
                return await authenticator.AuthenticateAsync(connectionId, state, auth, transport, now, cancellationToken).ConfigureAwait(false);
            }

            if (!state.Authenticated)
            {
                if (state.AuthDeadlineMs is long deadline && now.ToUnixTimeMilliseconds() > deadline)
                {
                    metrics.AuthFailed(ErrorCodes.AuthTimeout);
                    return await errors.CloseAsync(connectionId, state, ErrorCodes.AuthTimeout, "No auth message within the grace period.", cancellationToken).ConfigureAwait(false);
                }

                return message is PingMessage
                    ? new MessageOutcome(EventFactory.Pong(now), state, false)
                    : errors.Reply(state, ErrorCodes.NotAuthenticated, "Send {\"type\":\"auth\",\"token\":…} first.", now);
            }

            if (state.TokenExpiresMs is long expires && now.ToUnixTimeMilliseconds() > expires)
            {
                metrics.AuthFailed(ErrorCodes.Unauthorized);
                return await errors.CloseAsync(connectionId, state, ErrorCodes.Unauthorized, "The token has expired; refresh it with an auth message before it does.", cancellationToken).ConfigureAwait(false);
            }

            return message switch
            {
                PingMessage ping => await HeartbeatAsync(connectionId, state, ping, now, cancellationToken).ConfigureAwait(false),
                SubscribeMessage subscribe => await subscriptions.SubscribeAsync(connectionId, state, subscribe, now, cancellationToken).ConfigureAwait(false),
                UnsubscribeMessage unsubscribe => await subscriptions.UnsubscribeAsync(connectionId, state, unsubscribe, now, cancellationToken).ConfigureAwait(false),
                ResumeMessage resume => await ResumeAsync(state, resume.Since, now, cancellationToken).ConfigureAwait(false),
                _ => errors.Reply(state, ErrorCodes.UnknownType, $"'{message.Type}' is not handled here.", now),
            };
        }
        finally
        {
            metrics.MessageReceived(type, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    private async Task<MessageOutcome> HeartbeatAsync(string connectionId, ConnectionState state, PingMessage ping, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await presence.HeartbeatAsync(connectionId, state, ping.AppliedSeq, cancellationToken).ConfigureAwait(false);
        return new MessageOutcome(EventFactory.Pong(now), state, false);
    }

    private async Task<MessageOutcome> ResumeAsync(ConnectionState state, long since, DateTimeOffset now, CancellationToken cancellationToken)
    {
        metrics.Reconnected();
        var reply = await catchUp.ResumeAsync(state.ToIdentity(), state.Subscriptions, since, now, cancellationToken).ConfigureAwait(false);
        return new MessageOutcome(reply, state, false);
    }
}
