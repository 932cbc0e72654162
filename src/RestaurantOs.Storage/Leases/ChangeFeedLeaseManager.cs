using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RestaurantOs.Storage.Internal;

namespace RestaurantOs.Storage.Leases;

/// <summary>
/// Shares a change feed among instances: each consumer's feed is split into ranges, each range has a lease, and
/// every live instance aims for its fair share of the leases. Store-agnostic: it works over any
/// <see cref="ILeaseStore"/> (one range in SQLite, one per feed range and container in Cosmos DB).
/// </summary>
/// <remarks>
/// <para>Balancing, run when a reader asks for its leases and the last round is older than the acquire interval
/// (while the instance has less than its share) or the renew interval (a third of the lease duration):
/// the instance renews its presence row and its leases, counts the live instances (unexpired presence rows and
/// lease owners), and then either gives leases up (it holds more than <c>ceil(ranges / instances)</c>, or more
/// than <c>floor(ranges / instances)</c> while another live instance has fewer than that) or takes free ones
/// (released, expired or never taken) up to <c>ceil</c>. Nobody takes a lease another live instance holds: an
/// instance over its share releases, so a range is never read by two instances at once while both are healthy.</para>
/// <para>Handover: <see cref="ReleaseAsync"/> (on shutdown) writes every held lease back with no owner, so the
/// next instance takes it on its next round, within the acquire interval. After a crash the leases expire after
/// the lease duration. Every write is ETag-guarded: a release or checkpoint that lost a race to another instance
/// changes nothing, and the lease is dropped here.</para>
/// </remarks>
internal sealed class ChangeFeedLeaseManager : IDisposable
{
    private const string Store = "leases";

    private readonly ILeaseStore store;
    private readonly TimeProvider time;
    private readonly StorageMetrics metrics;
    private readonly ILogger logger;
    private readonly ConcurrentDictionary<string, ConsumerLeases> consumers = new(StringComparer.Ordinal);
    private volatile bool stopped;

    public ChangeFeedLeaseManager(
        ILeaseStore store, TimeProvider time, IOptions<ChangeFeedOptions> options, StorageMetrics metrics, ILogger<ChangeFeedLeaseManager> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.store = store;
        this.time = time;
        this.metrics = metrics;
        this.logger = logger;
        LeaseDuration = TimeSpan.FromSeconds(options.Value.LeaseDurationSeconds);
        RenewInterval = LeaseDuration / 3;
        AcquireInterval = TimeSpan.FromMilliseconds(options.Value.LeaseAcquireIntervalMilliseconds);
        OwnerId = string.Create(CultureInfo.InvariantCulture, $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}");
    }

    /// <summary>This instance's owner id in the lease rows.</summary>
    public string OwnerId { get; }

    public TimeSpan LeaseDuration { get; }

    public TimeSpan RenewInterval { get; }

    public TimeSpan AcquireInterval { get; }

    /// <summary>
    /// The leases of <paramref name="consumer"/> this instance may read now (balancing first when a round is due);
    /// empty while other instances hold them all, and after <see cref="ReleaseAsync"/>.
    /// </summary>
    public async Task<IReadOnlyList<FeedLease>> AcquireAsync(string consumer, CancellationToken cancellationToken)
    {
        if (stopped)
        {
            return [];
        }

        var state = consumers.GetOrAdd(consumer, _ => new ConsumerLeases());
        await state.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = time.GetUtcNow();
            var interval = state.Owned.Count < state.Share ? AcquireInterval : RenewInterval;
            if (state.LastRound is not { } last || now - last >= interval || state.Owned.Values.Any(l => l.ExpiresAt - now < RenewInterval))
            {
                await BalanceAsync(consumer, state, cancellationToken).ConfigureAwait(false);
                now = time.GetUtcNow();
            }

            return [.. state.Owned.Values.Where(l => l.ExpiresAt > now).OrderBy(l => l.Key, StringComparer.Ordinal)];
        }
        finally
        {
            state.Gate.Release();
        }
    }

    /// <summary>
    /// Stores the checkpoint of the range <paramref name="key"/> (renewing the lease with it) if this instance still
    /// holds it: <paramref name="next"/> gets the stored position and returns the new one, or null to keep it.
    /// False when the lease is no longer this instance's: the new owner reads from its own checkpoint.
    /// </summary>
    public async Task<bool> CheckpointAsync(
        string consumer, string key, Func<string?, string?> next, CancellationToken cancellationToken)
    {
        if (!consumers.TryGetValue(consumer, out var state))
        {
            return false;
        }

        await state.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!state.Owned.TryGetValue(key, out var lease))
            {
                metrics.Operation(Store, "checkpoint", "not_owned");
                return false;
            }

            if (next(lease.Continuation) is not { } continuation)
            {
                return true;
            }

            var written = await store.TryReplaceAsync(
                lease with { Continuation = continuation, ExpiresAt = time.GetUtcNow() + LeaseDuration }, cancellationToken).ConfigureAwait(false);
            if (written is null)
            {
                Lost(consumer, state, key);
                return false;
            }

            state.Owned[key] = written;
            metrics.Operation(Store, "checkpoint", Outcomes.Ok);
            return true;
        }
        finally
        {
            state.Gate.Release();
        }
    }

    /// <summary>Renews the held leases and presence of every consumer read so far (the background keeper's round).</summary>
    public async Task RenewAsync(CancellationToken cancellationToken)
    {
        foreach (var (consumer, state) in consumers)
        {
            if (stopped)
            {
                return;
            }

            await state.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var now = time.GetUtcNow();
                foreach (var lease in state.Owned.Values.Where(l => l.ExpiresAt - now <= LeaseDuration - RenewInterval).ToList())
                {
                    await RenewLeaseAsync(consumer, state, lease, cancellationToken).ConfigureAwait(false);
                }

                await RenewPresenceAsync(consumer, state, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                state.Gate.Release();
            }
        }
    }

    /// <summary>
    /// Gives every held lease back (owner cleared, position kept) and removes this instance's presence, so other
    /// instances take over at once. After this the manager hands out no leases. ETag-guarded: a lease another
    /// instance took in the meantime is left as it is.
    /// </summary>
    public async Task ReleaseAsync(CancellationToken cancellationToken)
    {
        stopped = true;
        foreach (var (consumer, state) in consumers)
        {
            await state.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                foreach (var lease in state.Owned.Values.ToList())
                {
                    await ReleaseLeaseAsync(consumer, state, lease, cancellationToken).ConfigureAwait(false);
                }

                if (state.Presence is { } presence)
                {
                    await store.TryDeleteAsync(presence, cancellationToken).ConfigureAwait(false);
                    state.Presence = null;
                }
            }
            finally
            {
                state.Gate.Release();
            }
        }
    }

    private async Task BalanceAsync(string consumer, ConsumerLeases state, CancellationToken ct)
    {
        var rows = await store.ListAsync(consumer, ct).ConfigureAwait(false);
        if (!rows.Any(r => !r.IsPresence))
        {
            foreach (var range in await store.RangesAsync(consumer, ct).ConfigureAwait(false))
            {
                await store.TryCreateAsync(
                    new FeedLease(consumer, range.Key, range.Range, null, DateTimeOffset.UnixEpoch, range.Continuation, null), ct).ConfigureAwait(false);
            }

            rows = await store.ListAsync(consumer, ct).ConfigureAwait(false);
        }

        var now = time.GetUtcNow();
        state.LastRound = now;
        var leases = rows.Where(r => !r.IsPresence).OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
        state.Presence = rows.FirstOrDefault(r => r.IsPresence && r.Owner == OwnerId);
        await RenewPresenceAsync(consumer, state, ct).ConfigureAwait(false);
        foreach (var stale in rows.Where(r => r.IsPresence && r.Owner != OwnerId && r.ExpiresAt <= now))
        {
            await store.TryDeleteAsync(stale, ct).ConfigureAwait(false);
        }

        // The store is the truth: what it says this instance holds (and has not expired) is held, nothing else.
        foreach (var key in state.Owned.Keys.ToList())
        {
            if (!leases.Any(l => l.Key == key && l.Owner == OwnerId && l.ExpiresAt > now))
            {
                Lost(consumer, state, key);
            }
        }

        foreach (var lease in leases.Where(l => l.Owner == OwnerId && l.ExpiresAt > now))
        {
            state.Owned[lease.Key] = lease;
            if (lease.ExpiresAt - now <= LeaseDuration - RenewInterval)
            {
                await RenewLeaseAsync(consumer, state, lease, ct).ConfigureAwait(false);
            }
        }

        var live = new HashSet<string>(StringComparer.Ordinal) { OwnerId };
        live.UnionWith(rows.Where(r => r.IsPresence && r.ExpiresAt > now).Select(r => r.Owner!));
        live.UnionWith(leases.Where(l => l.IsHeld(now)).Select(l => l.Owner!));
        var held = leases.Where(l => l.IsHeld(now) && l.Owner != OwnerId).GroupBy(l => l.Owner!).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var floor = leases.Count / live.Count;
        var ceiling = (leases.Count + live.Count - 1) / live.Count;
        state.Share = ceiling;
        var someoneShort = live.Any(o => o != OwnerId && held.GetValueOrDefault(o) < floor);

        if (state.Owned.Count > ceiling || (state.Owned.Count > floor && someoneShort))
        {
            var keep = state.Owned.Count > ceiling ? ceiling : floor;
            foreach (var lease in state.Owned.Values.OrderByDescending(l => l.Key, StringComparer.Ordinal).Take(state.Owned.Count - keep).ToList())
            {
                await ReleaseLeaseAsync(consumer, state, lease, ct).ConfigureAwait(false);
            }

            return;
        }

        foreach (var free in leases.Where(l => !l.IsHeld(now)))
        {
            if (state.Owned.Count >= ceiling)
            {
                break;
            }

            var taken = await store.TryReplaceAsync(free with { Owner = OwnerId, ExpiresAt = now + LeaseDuration }, ct).ConfigureAwait(false);
            if (taken is null)
            {
                metrics.Operation(Store, "take", Outcomes.Conflict);
                continue;
            }

            state.Owned[taken.Key] = taken;
            metrics.Operation(Store, "take", Outcomes.Ok);
            LeaseLog.Taken(logger, consumer, taken.Key, OwnerId, free.Owner);
        }
    }

    private async Task RenewLeaseAsync(string consumer, ConsumerLeases state, FeedLease lease, CancellationToken ct)
    {
        var renewed = await store.TryReplaceAsync(lease with { ExpiresAt = time.GetUtcNow() + LeaseDuration }, ct).ConfigureAwait(false);
        if (renewed is null)
        {
            Lost(consumer, state, lease.Key);
            return;
        }

        state.Owned[lease.Key] = renewed;
        metrics.Operation(Store, "renew", Outcomes.Ok);
    }

    private async Task RenewPresenceAsync(string consumer, ConsumerLeases state, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (state.Presence is { } presence && presence.ExpiresAt - now > LeaseDuration - RenewInterval)
        {
            return;
        }

        var row = new FeedLease(consumer, FeedLease.PresencePrefix + OwnerId, null, OwnerId, now + LeaseDuration, null, state.Presence?.ETag);
        state.Presence = state.Presence is null
            ? await store.TryCreateAsync(row, ct).ConfigureAwait(false)
            : await store.TryReplaceAsync(row, ct).ConfigureAwait(false);
    }

    private async Task ReleaseLeaseAsync(string consumer, ConsumerLeases state, FeedLease lease, CancellationToken ct)
    {
        state.Owned.Remove(lease.Key);
        var released = await store.TryReplaceAsync(lease with { Owner = null, ExpiresAt = DateTimeOffset.UnixEpoch }, ct).ConfigureAwait(false);
        metrics.Operation(Store, "release", released is null ? Outcomes.Conflict : Outcomes.Ok);
        LeaseLog.Released(logger, consumer, lease.Key, OwnerId, released is not null);
    }

    private void Lost(string consumer, ConsumerLeases state, string key)
    {
        if (state.Owned.Remove(key))
        {
            metrics.Operation(Store, "lost", Outcomes.Conflict);
            LeaseLog.Lost(logger, consumer, key, OwnerId);
        }
    }

    public void Dispose()
    {
        stopped = true;
        foreach (var state in consumers.Values)
        {
            state.Gate.Dispose();
        }
    }

    private sealed class ConsumerLeases
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public Dictionary<string, FeedLease> Owned { get; } = new(StringComparer.Ordinal);

        public FeedLease? Presence { get; set; }

        public DateTimeOffset? LastRound { get; set; }

        /// <summary>The most leases this instance should hold, as of the last round (1 before the first).</summary>
        public int Share { get; set; } = 1;
    }
}

internal static partial class LeaseLog
{
    [LoggerMessage(EventId = 4020, Level = LogLevel.Information, Message = "Consumer {Consumer} lease {Lease} taken by {Instance} (previous owner {PreviousOwner})")]
    public static partial void Taken(ILogger logger, string consumer, string lease, string instance, string? previousOwner);

    [LoggerMessage(EventId = 4021, Level = LogLevel.Information, Message = "Consumer {Consumer} lease {Lease} released by {Instance} (written: {Written})")]
    public static partial void Released(ILogger logger, string consumer, string lease, string instance, bool written);

    [LoggerMessage(EventId = 4022, Level = LogLevel.Warning, Message = "Consumer {Consumer} lease {Lease} is no longer held by {Instance}; another instance reads it now")]
    public static partial void Lost(ILogger logger, string consumer, string lease, string instance);
}
