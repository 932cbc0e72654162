using RestaurantOs.Realtime.Contracts;

namespace RestaurantOs.Realtime.Ports;

/// <summary>A page of history after a given seq.</summary>
/// <param name="Events">Events with seq &gt; the requested one, ascending.</param>
/// <param name="OldestSeq">The smallest seq still held for the restaurant (0 when none).</param>
/// <param name="LatestSeq">The largest seq assigned for the restaurant (0 when none).</param>
public sealed record HistoryPage(IReadOnlyList<RealtimeEvent> Events, long OldestSeq, long LatestSeq);

/// <summary>
/// The bounded, per-restaurant event history and the owner of <c>seq</c>: one writer per restaurant assigns
/// consecutive numbers starting at 1. Appending an event whose id is already stored returns the stored event
/// unchanged (the change feed is at-least-once).
/// </summary>
public interface IEventHistory
{
    /// <summary>Appends the event, assigning the next seq, or returns the stored event if its id exists.</summary>
    /// <returns>The stored event and whether it was newly appended.</returns>
    Task<(RealtimeEvent Event, bool Appended)> AppendAsync(NewEvent newEvent, CancellationToken cancellationToken);

    /// <summary>
    /// Appends one restaurant's events in list order with the same per-event rule as <see cref="AppendAsync"/>: an id
    /// already stored returns the stored event (same seq, <c>Appended</c> false); each new event gets the next seq, so
    /// the new events of the list get consecutive seqs in list order. A store appends the list in as few atomic writes
    /// as it can (SQLite: one transaction; Cosmos DB: one transactional batch per 99 events); if the call throws, a
    /// prefix of the list may be stored, and calling again with the same list completes it without duplicates.
    /// </summary>
    /// <param name="newEvents">
    /// Events of one restaurant, in commit order. The result is the same as appending them one by one: an id repeated
    /// in the list is appended once, and its later occurrences return the stored event with <c>Appended</c> false.
    /// </param>
    /// <returns>One result per input event, in input order.</returns>
    /// <exception cref="ArgumentException">The events belong to more than one restaurant, or one is invalid.</exception>
    async Task<IReadOnlyList<(RealtimeEvent Event, bool Appended)>> AppendManyAsync(IReadOnlyList<NewEvent> newEvents, CancellationToken cancellationToken)
    {
        // One event at a time: correct for any store (and any decorator that does not forward the batch call).
        ArgumentNullException.ThrowIfNull(newEvents);
        if (newEvents.Count > 0 && newEvents.Any(e => e is null || e.RestaurantId != newEvents[0].RestaurantId))
        {
            throw new ArgumentException("A batch append takes the events of one restaurant.", nameof(newEvents));
        }

        var results = new List<(RealtimeEvent Event, bool Appended)>(newEvents.Count);
        foreach (var newEvent in newEvents)
        {
            results.Add(await AppendAsync(newEvent, cancellationToken).ConfigureAwait(false));
        }

        return results;
    }

    Task<HistoryPage> ReadAfterAsync(Guid restaurantId, long afterSeq, int maxEvents, CancellationToken cancellationToken);
}

/// <summary>Delivers events to connections through the realtime service (Web PubSub in Azure).</summary>
public interface IEventPublisher
{
    /// <summary>Sends one broadcast event to every connection that may see it, with one service call.</summary>
    Task PublishAsync(RealtimeEvent realtimeEvent, CancellationToken cancellationToken);

    /// <summary>Sends a message to one connection.</summary>
    Task SendToConnectionAsync(string connectionId, RealtimeEvent message, CancellationToken cancellationToken);

    /// <summary>Sends a message to every connection in one group (used for auth-grace buckets).</summary>
    Task SendToGroupAsync(string group, RealtimeEvent message, CancellationToken cancellationToken);
}

/// <summary>Group membership and connection control in the realtime service.</summary>
public interface IConnectionManager
{
    Task AddToGroupsAsync(string connectionId, IReadOnlyCollection<string> groups, CancellationToken cancellationToken);

    Task RemoveFromGroupsAsync(string connectionId, IReadOnlyCollection<string> groups, CancellationToken cancellationToken);

    /// <summary>Closes one connection; <paramref name="reason"/> is one of <c>ErrorCodes</c>.</summary>
    Task CloseConnectionAsync(string connectionId, string reason, CancellationToken cancellationToken);

    /// <summary>Closes every connection in a group (used for auth-grace buckets).</summary>
    Task CloseGroupAsync(string group, string reason, CancellationToken cancellationToken);
}
