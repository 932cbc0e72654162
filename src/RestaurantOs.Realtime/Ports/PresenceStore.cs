using RestaurantOs.Realtime.Presence;

namespace RestaurantOs.Realtime.Ports;

/// <summary>
/// Presence entries, partitioned by restaurant and kept in the store (not in process memory), so every instance sees
/// the same screens and a restart loses nothing. Writes are guarded by <see cref="StationPresence.Version"/>: two
/// instances that change one entry at once cannot both win, which is what makes an alert fire once.
/// Entries expire a day after their last write (Cosmos DB: container TTL; SQLite: <see cref="PurgeAsync"/>).
/// </summary>
public interface IPresenceStore
{
    Task<StationPresence?> GetAsync(Guid restaurantId, string key, CancellationToken cancellationToken);

    /// <summary>Every entry of one restaurant.</summary>
    Task<IReadOnlyList<StationPresence>> ListAsync(Guid restaurantId, CancellationToken cancellationToken);

    /// <summary>
    /// Creates (<paramref name="expectedVersion"/> null: the key must not exist) or replaces (the stored version must
    /// equal it) an entry; the entry's own <see cref="StationPresence.Version"/> is what gets stored.
    /// <see cref="WriteStatus.Conflict"/> when another writer was first.
    /// </summary>
    Task<WriteResult<StationPresence>> WriteAsync(StationPresence entry, int? expectedVersion, CancellationToken cancellationToken);

    /// <summary>Deletes the entry when its stored version is <paramref name="expectedVersion"/>; false when it was not.</summary>
    Task<bool> DeleteAsync(Guid restaurantId, string key, int expectedVersion, CancellationToken cancellationToken);

    /// <summary>
    /// Across all restaurants, the entries a sweep must look at: named stations gone since at or before
    /// <paramref name="goneBefore"/> with no alert yet, and connected entries whose last heartbeat is at or before
    /// <paramref name="silentBefore"/>, that have reported an applied seq and are not yet behind. At most
    /// <paramref name="max"/>, oldest first.
    /// </summary>
    Task<IReadOnlyList<StationPresence>> ListDueAsync(DateTimeOffset goneBefore, DateTimeOffset silentBefore, int max, CancellationToken cancellationToken);

    /// <summary>Deletes entries last written before <paramref name="before"/>; returns how many.</summary>
    Task<int> PurgeAsync(DateTimeOffset before, CancellationToken cancellationToken);
}
