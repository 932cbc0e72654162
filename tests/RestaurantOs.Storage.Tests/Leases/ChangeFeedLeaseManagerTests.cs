using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using RestaurantOs.Storage.Cosmos;
using RestaurantOs.Storage.Leases;
using RestaurantOs.Storage.Sqlite;
using RestaurantOs.Storage.Tests.Cosmos;
using RestaurantOs.Storage.Tests.Sqlite;

namespace RestaurantOs.Storage.Tests.Leases;

/// <summary>
/// The balancing and handover rules of <see cref="ChangeFeedLeaseManager"/>, run over each lease store: real
/// SQLite, and the Cosmos lease store over a mocked <c>leases</c> container (<see cref="FakeLeaseContainer"/>)
/// whose orders container reports six feed ranges. Each manager stands for one instance; time is fake.
/// </summary>
public abstract class ChangeFeedLeaseManagerTests : IDisposable
{
    protected const string Consumer = "events";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly List<ChangeFeedLeaseManager> managers = [];

    private protected CosmosFakes Fakes { get; } = new();

    protected FakeTimeProvider Time { get; } = new(Samples.T0);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The lease store every instance of a test shares.</summary>
    private protected abstract ILeaseStore Store { get; }

    /// <summary>How many ranges the store's feed has.</summary>
    protected abstract int Ranges { get; }

    public virtual void Dispose()
    {
        foreach (var manager in managers)
        {
            manager.Dispose();
        }

        Fakes.Dispose();
        GC.SuppressFinalize(this);
    }

    private ChangeFeedLeaseManager Instance()
    {
        var manager = new ChangeFeedLeaseManager(
            Store, Time, Options.Create(new ChangeFeedOptions { LeaseDurationSeconds = 15, LeaseAcquireIntervalMilliseconds = 1000 }),
            Fakes.Metrics, NullLogger<ChangeFeedLeaseManager>.Instance);
        managers.Add(manager);
        return manager;
    }

    private static async Task<List<string>> HeldAsync(ChangeFeedLeaseManager manager) =>
        [.. (await manager.AcquireAsync(Consumer, Ct).WaitAsync(Timeout, Ct)).Select(l => l.Key)];

    /// <summary>Every instance reads once per round, rounds <paramref name="step"/> apart; returns what each holds after the last.</summary>
    private async Task<List<List<string>>> RoundsAsync(int rounds, TimeSpan step, params ChangeFeedLeaseManager[] instances)
    {
        var held = new List<List<string>>();
        for (var round = 0; round < rounds; round++)
        {
            Time.Advance(step);
            held.Clear();
            foreach (var instance in instances)
            {
                held.Add(await HeldAsync(instance));
            }
        }

        return held;
    }

    private void AssertFairSplit(List<List<string>> held)
    {
        var all = held.SelectMany(h => h).ToList();
        Assert.Equal(all.Count, all.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(Ranges, all.Count);
        var ceiling = (Ranges + held.Count - 1) / held.Count;
        var floor = Ranges / held.Count;
        Assert.All(held, h => Assert.InRange(h.Count, floor, ceiling));
    }

    [Fact]
    public async Task Leases_split_fairly_as_instances_come_and_go()
    {
        var first = Instance();
        var alone = await HeldAsync(first);
        var second = Instance();
        var third = Instance();

        var three = await RoundsAsync(4, TimeSpan.FromSeconds(6), first, second, third);
        await third.ReleaseAsync(Ct).WaitAsync(Timeout, Ct);
        var two = await RoundsAsync(3, TimeSpan.FromSeconds(6), first, second);
        // The second instance crashes: it neither reads nor releases; its leases expire.
        var one = await RoundsAsync(3, TimeSpan.FromSeconds(6), first);

        Assert.Equal(Ranges, alone.Count);
        AssertFairSplit(three);
        AssertFairSplit(two);
        AssertFairSplit(one);
    }

    [Fact]
    public async Task A_released_lease_is_taken_within_the_acquire_interval()
    {
        var owner = Instance();
        var next = Instance();
        var owned = await HeldAsync(owner);
        var whileHeld = await HeldAsync(next);

        await owner.ReleaseAsync(Ct).WaitAsync(Timeout, Ct);
        var afterRelease = await HeldAsync(owner);
        Time.Advance(TimeSpan.FromSeconds(1));
        var taken = await HeldAsync(next);

        Assert.Equal(Ranges, owned.Count);
        Assert.Empty(whileHeld);
        Assert.Empty(afterRelease);
        Assert.Equal(owned, taken);
    }

    [Fact]
    public async Task Renewal_keeps_leases_past_their_duration_and_a_crashed_owner_loses_them_after_it()
    {
        var owner = Instance();
        var other = Instance();
        await HeldAsync(owner);
        for (var i = 0; i < 4; i++)
        {
            Time.Advance(TimeSpan.FromSeconds(5));
            await owner.RenewAsync(Ct).WaitAsync(Timeout, Ct);
        }

        var renewed = await HeldAsync(other);
        Time.Advance(TimeSpan.FromSeconds(14));
        var beforeExpiry = await HeldAsync(other);
        Time.Advance(TimeSpan.FromSeconds(2));
        var afterExpiry = await HeldAsync(other);

        Assert.Empty(renewed);
        Assert.Empty(beforeExpiry);
        Assert.Equal(Ranges, afterExpiry.Count);
    }

    [Fact]
    public async Task A_stale_owner_can_neither_checkpoint_nor_release_a_lease_taken_over()
    {
        var stale = Instance();
        var key = (await HeldAsync(stale))[0];
        Assert.True(await stale.CheckpointAsync(Consumer, key, _ => "7", Ct).WaitAsync(Timeout, Ct));
        Time.Advance(TimeSpan.FromSeconds(16));
        var taker = Instance();
        Assert.Contains(key, await HeldAsync(taker));
        Assert.True(await taker.CheckpointAsync(Consumer, key, _ => "9", Ct).WaitAsync(Timeout, Ct));

        var staleCheckpoint = await stale.CheckpointAsync(Consumer, key, _ => "8", Ct).WaitAsync(Timeout, Ct);
        await stale.ReleaseAsync(Ct).WaitAsync(Timeout, Ct);

        var stored = (await Store.ListAsync(Consumer, Ct).WaitAsync(Timeout, Ct)).Single(l => l.Key == key);
        Assert.False(staleCheckpoint);
        Assert.Equal((taker.OwnerId, "9"), (stored.Owner, stored.Continuation));
        Assert.True(stored.ExpiresAt > Time.GetUtcNow());
    }

    [Fact]
    public async Task Writes_with_a_stale_etag_change_nothing()
    {
        await HeldAsync(Instance());
        var lease = (await Store.ListAsync(Consumer, Ct).WaitAsync(Timeout, Ct)).First(l => !l.IsPresence);
        var replaced = await Store.TryReplaceAsync(lease with { Continuation = "1" }, Ct).WaitAsync(Timeout, Ct);

        var staleReplace = await Store.TryReplaceAsync(lease with { Continuation = "2" }, Ct).WaitAsync(Timeout, Ct);
        var staleDelete = await Store.TryDeleteAsync(lease, Ct).WaitAsync(Timeout, Ct);
        var duplicate = await Store.TryCreateAsync(lease with { ETag = null }, Ct).WaitAsync(Timeout, Ct);

        Assert.NotNull(replaced);
        Assert.NotEqual(lease.ETag, replaced.ETag);
        Assert.Null(staleReplace);
        Assert.False(staleDelete);
        Assert.Null(duplicate);
        Assert.Equal("1", (await Store.ListAsync(Consumer, Ct).WaitAsync(Timeout, Ct)).Single(l => l.Key == lease.Key).Continuation);
        Assert.True(await Store.TryDeleteAsync(replaced, Ct).WaitAsync(Timeout, Ct));
    }
}

/// <summary>The lease rules over a real SQLite file: one range.</summary>
public sealed class SqliteChangeFeedLeaseManagerTests : ChangeFeedLeaseManagerTests
{
    private readonly TempFolder folder = new();
    private readonly SqliteDatabase database;

    public SqliteChangeFeedLeaseManagerTests()
    {
        database = new SqliteDatabase(
            Options.Create(new SqliteStoreOptions { Path = folder.File("leases.db") }), Options.Create(new StorageOptions()), NullLogger<SqliteDatabase>.Instance);
        Store = new SqliteLeaseStore(database);
    }

    private protected override ILeaseStore Store { get; }

    protected override int Ranges => 1;

    public override void Dispose()
    {
        base.Dispose();
        database.Dispose();
        folder.Dispose();
    }
}

/// <summary>The lease rules over the Cosmos lease store and a mocked leases container: 6 feed ranges.</summary>
public sealed class CosmosChangeFeedLeaseManagerTests : ChangeFeedLeaseManagerTests
{
    public CosmosChangeFeedLeaseManagerTests()
    {
        _ = new FakeLeaseContainer(Fakes.Leases);
        FakeLeaseContainer.FeedRanges(Fakes, ordersRanges: 6);
        Store = new CosmosLeaseStore(Fakes.Containers, Fakes.Metrics, NullLogger<CosmosLeaseStore>.Instance);
    }

    private protected override ILeaseStore Store { get; }

    protected override int Ranges => 6;
}
