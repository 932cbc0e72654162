using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Events;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Routing;

namespace RestaurantOs.Realtime.Services;

/// <summary>How a read of visible history ended.</summary>
public enum VisibleHistoryEnd
{
    /// <summary>Every event up to the end of history was scanned.</summary>
    Complete,

    /// <summary>The requested number of visible events was found; more may follow.</summary>
    LimitReached,

    /// <summary><see cref="HistoryCatchUp.MaxScannedEvents"/> events were scanned without reaching the end.</summary>
    ScanBoundReached,

    /// <summary>History no longer holds every event after <c>since</c>.</summary>
    HistoryExpired,

    /// <summary><c>since</c> is beyond any seq the restaurant has assigned (history was reset).</summary>
    UnknownSeq,
}

/// <summary>
/// One read of the history a connection may see: the visible events after <c>since</c>, in seq order, and where to
/// continue. <see cref="Next"/> is the last seq scanned (visible or not), so the next read skips what this one
/// filtered out; it equals <c>since</c> when nothing was scanned.
/// </summary>
public sealed record VisibleHistory(VisibleHistoryEnd End, IReadOnlyList<RealtimeEvent> Events, long Since, long Next, long LatestSeq)
{
    /// <summary>Whether events after <see cref="Next"/> may remain (the read stopped before the end of history).</summary>
    public bool HasMore => End is VisibleHistoryEnd.LimitReached or VisibleHistoryEnd.ScanBoundReached && Next < LatestSeq;
}

/// <summary>
/// Reads what a client that last applied a seq missed and may see (role, orders, subscriptions), from the
/// restaurant's history. The one implementation behind <c>resume</c> over WebSocket and <c>GET /api/events</c>.
/// </summary>
/// <remarks>
/// Events are counted after filtering: a customer or a narrowed subscription is never told it is behind because
/// of events it would not have received. The history is read in pages until enough visible events are found, the
/// history ends, or <see cref="MaxScannedEvents"/> events were scanned, so one request costs at most that many
/// event reads.
/// </remarks>
public sealed class HistoryCatchUp(IEventHistory history)
{
    /// <summary>Most visible events one <c>replay</c> holds; a client with more pending gets <c>resync</c>.</summary>
    public const int MaxReplayEvents = 500;

    /// <summary>
    /// Most history events scanned (before filtering) per request. It equals the history's default size
    /// (<c>Storage:History:MaxEventsPerRestaurant</c>, 10,000), which holds a full day of a busy restaurant
    /// (see docs/events.md), so with the defaults a scan always reaches the end of history.
    /// </summary>
    public const int MaxScannedEvents = 10_000;

    /// <summary>Largest page read from the store at once.</summary>
    private const int StorePageSize = 1_000;

    /// <summary>
    /// The answer to <c>resume</c>: a <c>replay</c> with every visible event after <paramref name="since"/> in seq
    /// order, or a <c>resync</c> when history no longer reaches back (<c>history_expired</c>), <paramref name="since"/>
    /// was never assigned (<c>unknown_seq</c>), or more than <see cref="MaxReplayEvents"/> visible events are pending
    /// or more than <see cref="MaxScannedEvents"/> events would have to be scanned (<c>too_far_behind</c>).
    /// </summary>
    public async Task<RealtimeEvent> ResumeAsync(ConnectionIdentity identity, SubscriptionSet subscriptions, long since, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // One more than a replay holds: finding it is how "more than 500 pending" is known.
        var read = await ReadVisibleAsync(identity, subscriptions, since, MaxReplayEvents + 1, cancellationToken).ConfigureAwait(false);
        return read.End switch
        {
            VisibleHistoryEnd.UnknownSeq => EventFactory.Resync(since, read.LatestSeq, "unknown_seq", now),
            VisibleHistoryEnd.HistoryExpired => EventFactory.Resync(since, read.LatestSeq, "history_expired", now),
            VisibleHistoryEnd.ScanBoundReached => EventFactory.Resync(since, read.LatestSeq, "too_far_behind", now),
            _ when read.Events.Count > MaxReplayEvents => EventFactory.Resync(since, read.LatestSeq, "too_far_behind", now),
            _ => EventFactory.Replay(since, read.LatestSeq, read.Events, now),
        };
    }

    /// <summary>
    /// Up to <paramref name="limit"/> events after <paramref name="since"/> that <paramref name="identity"/> with
    /// <paramref name="subscriptions"/> may see, in seq order, scanning at most <see cref="MaxScannedEvents"/> events.
    /// Never throws for a client's values; store failures propagate.
    /// </summary>
    public async Task<VisibleHistory> ReadVisibleAsync(ConnectionIdentity identity, SubscriptionSet subscriptions, long since, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(subscriptions);
        ArgumentOutOfRangeException.ThrowIfNegative(since);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);

        // The connection's groups, computed once for the whole scan. Visible means "its groups meet the event's
        // groups", the definition GroupRouting.CanSee uses and live delivery's send filter follows.
        var mine = GroupRouting.GroupsFor(identity, subscriptions);
        var visible = new List<RealtimeEvent>();
        var cursor = since;
        var latest = 0L;
        var scanned = 0;
        // Start with as many as are wanted (a staff screen sees most events), then grow: what is left to find is
        // sparse, or the first page would have found it.
        var pageSize = Math.Min(limit, StorePageSize);
        var first = true;
        while (true)
        {
            var size = Math.Min(pageSize, MaxScannedEvents - scanned);
            var page = await history.ReadAfterAsync(identity.RestaurantId, cursor, size, cancellationToken).ConfigureAwait(false);
            latest = Math.Max(latest, page.LatestSeq);
            if (first)
            {
                first = false;
                if (since > page.LatestSeq)
                {
                    return new VisibleHistory(VisibleHistoryEnd.UnknownSeq, [], since, since, page.LatestSeq);
                }

                // Missed events exist but the oldest one held is past the gap (or none is held: all expired).
                if (page.LatestSeq > since && (page.OldestSeq == 0 || page.OldestSeq > since + 1))
                {
                    return new VisibleHistory(VisibleHistoryEnd.HistoryExpired, [], since, since, page.LatestSeq);
                }
            }

            // Seqs are consecutive: a page that does not start right after the cursor means events were pruned
            // while we read, and the client cannot be told it has everything.
            if (page.Events.Count > 0 && page.Events[0].Seq > cursor + 1)
            {
                return new VisibleHistory(VisibleHistoryEnd.HistoryExpired, [], since, since, latest);
            }

            foreach (var e in page.Events)
            {
                scanned++;
                cursor = e.Seq ?? cursor;
                if (e.RestaurantId == identity.RestaurantId && GroupRouting.GroupsForEvent(e).Any(mine.Contains))
                {
                    visible.Add(e);
                    if (visible.Count == limit)
                    {
                        return new VisibleHistory(VisibleHistoryEnd.LimitReached, visible, since, cursor, latest);
                    }
                }
            }

            if (page.Events.Count < size || cursor >= page.LatestSeq)
            {
                return new VisibleHistory(VisibleHistoryEnd.Complete, visible, since, cursor, latest);
            }

            if (scanned >= MaxScannedEvents)
            {
                return new VisibleHistory(VisibleHistoryEnd.ScanBoundReached, visible, since, cursor, latest);
            }

            pageSize = Math.Min(pageSize * 2, StorePageSize);
        }
    }
}
