using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Events;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Routing;

namespace RestaurantOs.Realtime.Services;

/// <summary>
/// What a client that last applied a seq missed and may see, read from the restaurant's history. Used by
/// <c>resume</c> over WebSocket and by <c>GET /api/events</c>.
/// </summary>
public sealed class HistoryCatchUp(IEventHistory history)
{
    /// <summary>Longest replay sent in one <c>replay</c> reply; a client further behind gets <c>resync</c>.</summary>
    public const int MaxReplayEvents = 500;

    /// <summary>
    /// A <c>replay</c> with the events in seq order, or a <c>resync</c> when history no longer reaches back (or the
    /// client is too far behind).
    /// </summary>
    public async Task<RealtimeEvent> ResumeAsync(ConnectionIdentity identity, SubscriptionSet subscriptions, long since, DateTimeOffset now, CancellationToken cancellationToken)
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
}
