namespace RestaurantOs.Storage.Leases;

/// <summary>
/// One lease row of a change-feed consumer: either a feed range (who reads it, until when, and the checkpointed
/// position in it) or an instance's presence marker (<see cref="IsPresence"/>), which lets an instance that owns
/// nothing yet be counted when the others work out their fair share.
/// </summary>
/// <param name="Consumer">The change-feed consumer (for example <c>events</c>).</param>
/// <param name="Key">The range's key, unique within the consumer; presence rows start with <see cref="PresencePrefix"/>.</param>
/// <param name="Range">What the store needs to start reading the range (opaque here); null for presence rows.</param>
/// <param name="Owner">The instance holding the lease; null when released or never taken.</param>
/// <param name="ExpiresAt">The lease is the owner's until then; afterwards anyone may take it.</param>
/// <param name="Continuation">The checkpointed position in the range (opaque here); null before the first checkpoint.</param>
/// <param name="ETag">The row's version as the store last reported it; every write is guarded by it.</param>
internal sealed record FeedLease(
    string Consumer,
    string Key,
    string? Range,
    string? Owner,
    DateTimeOffset ExpiresAt,
    string? Continuation,
    string? ETag)
{
    public const string PresencePrefix = "instance.";

    public bool IsPresence => Key.StartsWith(PresencePrefix, StringComparison.Ordinal);

    public bool IsHeld(DateTimeOffset now) => Owner is not null && ExpiresAt > now;
}

/// <summary>A range of the feed to lease, as the store first describes it.</summary>
/// <param name="Key">Stable key of the range within a consumer.</param>
/// <param name="Range">What the store needs to read the range.</param>
/// <param name="Continuation">Where to start (for example a position carried over from an older layout); null for the beginning.</param>
internal sealed record LeaseRange(string Key, string? Range, string? Continuation);

/// <summary>
/// The lease rows of the change feed, with optimistic concurrency: every create, replace and delete either applies
/// to exactly the version the caller read (its ETag) or does nothing and says so. That is all
/// <see cref="ChangeFeedLeaseManager"/> needs to share a feed safely among instances.
/// </summary>
internal interface ILeaseStore
{
    /// <summary>The ranges of the feed, used to create a consumer's leases the first time it reads.</summary>
    Task<IReadOnlyList<LeaseRange>> RangesAsync(string consumer, CancellationToken cancellationToken);

    /// <summary>Every lease and presence row of the consumer.</summary>
    Task<IReadOnlyList<FeedLease>> ListAsync(string consumer, CancellationToken cancellationToken);

    /// <summary>Creates the row; null when a row with that key already exists.</summary>
    Task<FeedLease?> TryCreateAsync(FeedLease lease, CancellationToken cancellationToken);

    /// <summary>Replaces the row if it is still at <see cref="FeedLease.ETag"/>; null when it changed or is gone.</summary>
    Task<FeedLease?> TryReplaceAsync(FeedLease lease, CancellationToken cancellationToken);

    /// <summary>Deletes the row if it is still at <see cref="FeedLease.ETag"/>; false when it changed or is gone.</summary>
    Task<bool> TryDeleteAsync(FeedLease lease, CancellationToken cancellationToken);
}
