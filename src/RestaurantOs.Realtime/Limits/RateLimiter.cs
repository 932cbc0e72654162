using RestaurantOs.Realtime.Protocol;

namespace RestaurantOs.Realtime.Limits;

/// <summary>
/// Rate-limit state of one connection, small enough for Web PubSub connection state.
/// </summary>
/// <param name="WindowStartMs">Unix milliseconds at which the current window began.</param>
/// <param name="Count">Messages seen in the current window, including limited ones.</param>
/// <param name="Strikes">Consecutive windows (ending with the current one) in which the limit was exceeded.</param>
public sealed record RateLimitState(long WindowStartMs, int Count, int Strikes);

public enum RateDecision
{
    /// <summary>Process the message.</summary>
    Allowed,
    /// <summary>Drop the message and answer <c>RATE_LIMITED</c>.</summary>
    Limited,
    /// <summary>Sustained abuse: send <c>RATE_LIMITED</c> and close with 1008.</summary>
    Close,
}

/// <summary>
/// Per-connection message rate limit: a fixed 60-second window that starts with the first message after the
/// previous window ended; at most <see cref="ProtocolLimits.MaxMessagesPerMinute"/> messages per window.
/// The 101st message of a window is <see cref="RateDecision.Limited"/>. <see cref="RateDecision.Close"/> when a
/// window reaches twice the limit (200 messages) or when the limit is exceeded in
/// <see cref="MaxStrikes"/> consecutive windows. Pure: the caller stores <c>next</c>.
/// </summary>
public static class RateLimiter
{
    public const long WindowMs = 60_000;

    /// <summary>Consecutive limited windows that close the connection.</summary>
    public const int MaxStrikes = 3;

    /// <summary>Messages in one window that close the connection.</summary>
    public const int CloseCount = 2 * ProtocolLimits.MaxMessagesPerMinute;

    public static RateDecision Check(RateLimitState? state, DateTimeOffset now, out RateLimitState next)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        if (state is null || nowMs >= state.WindowStartMs + WindowMs || nowMs < state.WindowStartMs)
        {
            // A new window. Strikes survive only if the previous window was limited and ended just now
            // (the new one starts within one window of its end); a quiet minute forgives.
            var consecutive = state is not null && state.Count > ProtocolLimits.MaxMessagesPerMinute
                && nowMs >= state.WindowStartMs && nowMs < state.WindowStartMs + (2 * WindowMs);
            next = new RateLimitState(nowMs, 1, consecutive ? state!.Strikes : 0);
            return RateDecision.Allowed;
        }

        var count = state.Count == int.MaxValue ? state.Count : state.Count + 1;
        var strikes = count == ProtocolLimits.MaxMessagesPerMinute + 1 ? state.Strikes + 1 : state.Strikes;
        next = state with { Count = count, Strikes = strikes };
        if (count <= ProtocolLimits.MaxMessagesPerMinute)
        {
            return RateDecision.Allowed;
        }

        return count >= CloseCount || strikes >= MaxStrikes ? RateDecision.Close : RateDecision.Limited;
    }
}
