using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Storage.Leases;

namespace RestaurantOs.Storage.Tests.Contract;

/// <summary>
/// How instances share a change feed through leases, for every store (STYLE.md item 14): several instances on one
/// database never read the same change while they cooperate, a graceful stop hands over within the acquire
/// interval, a crash within the lease duration, and a stale instance can neither release nor checkpoint a lease
/// another instance took. Time is a <see cref="FakeTimeProvider"/> shared by the instances: no test sleeps.
/// </summary>
public abstract class ChangeFeedLeaseContractTests : IAsyncLifetime
{
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan AcquireInterval = TimeSpan.FromSeconds(1);

    private readonly List<StoreSet> opened = [];
    private readonly string consumer = $"events-{Guid.NewGuid():N}";

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Shared by every instance of a test; starts at the wall clock (Cosmos compares nothing with it).</summary>
    protected FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    /// <summary>Opens stores over this test's database with <paramref name="settings"/> and the services added by <paramref name="configure"/>.</summary>
    protected abstract Task<StoreSet> CreateStoresAsync(IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection> configure);

    public virtual ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public virtual async ValueTask DisposeAsync()
    {
        foreach (var set in opened)
        {
            await set.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>A new instance (process) on this test's database.</summary>
    private async Task<StoreSet> InstanceAsync()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Storage:ChangeFeed:LeaseDurationSeconds"] = ((int)LeaseDuration.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Storage:ChangeFeed:LeaseAcquireIntervalMilliseconds"] = ((int)AcquireInterval.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var set = await CreateStoresAsync(settings, services => services.AddSingleton<TimeProvider>(Time)).WaitAsync(Timeout, Ct);
        opened.Add(set);
        return set;
    }

    [Fact]
    public async Task Two_instances_split_the_leases_and_never_read_the_same_change()
    {
        var a = await InstanceAsync();
        var b = await InstanceAsync();
        var restaurants = Enumerable.Range(0, 12).Select(_ => Guid.NewGuid()).ToList();
        await ReadAsync(a);
        await ReadAsync(b);
        var written = await WriteEveryKindAsync(a, restaurants);

        var read = new List<StoreChange>();
        for (var round = 0; round < 6; round++)
        {
            Time.Advance(TimeSpan.FromSeconds(6));
            read.AddRange(await ReadAndCheckpointAsync(a, restaurants));
            read.AddRange(await ReadAndCheckpointAsync(b, restaurants));
        }

        var ranges = (await a.Services.GetRequiredService<ILeaseStore>().ListAsync(consumer, Ct).WaitAsync(Timeout, Ct)).Count(l => !l.IsPresence);
        var heldByA = await a.Services.GetRequiredService<ChangeFeedLeaseManager>().AcquireAsync(consumer, Ct).WaitAsync(Timeout, Ct);
        var heldByB = await b.Services.GetRequiredService<ChangeFeedLeaseManager>().AcquireAsync(consumer, Ct).WaitAsync(Timeout, Ct);
        Assert.Equal(written.Order(StringComparer.Ordinal), read.Select(c => c.ChangeId).Order(StringComparer.Ordinal));
        Assert.Equal(ranges, heldByA.Count + heldByB.Count);
        Assert.Empty(heldByA.Select(l => l.Key).Intersect(heldByB.Select(l => l.Key)));
        Assert.InRange(heldByA.Count - heldByB.Count, -1, 1);
    }

    [Fact]
    public async Task After_a_graceful_stop_another_instance_reads_within_the_acquire_interval()
    {
        var restaurant = Guid.NewGuid();
        var a = await InstanceAsync();
        var b = await InstanceAsync();
        await ReadAsync(a);
        var order = Samples.Order(restaurant);
        await a.Orders.CreateAsync(order, Ct).WaitAsync(Timeout, Ct);
        Time.Advance(AcquireInterval);
        var whileHeld = await ReadAndCheckpointAsync(b, [restaurant]);

        await a.StopAsync().WaitAsync(Timeout, Ct);
        Time.Advance(AcquireInterval);
        var afterStop = await ReadAndCheckpointAsync(b, [restaurant]);

        Assert.Empty(whileHeld);
        Assert.Equal(new[] { order.Id.ToString() }, afterStop.Select(c => c.DocumentId));
    }

    [Fact]
    public async Task After_a_crash_another_instance_reads_once_the_lease_expires()
    {
        var restaurant = Guid.NewGuid();
        var crashed = await InstanceAsync();
        var b = await InstanceAsync();
        await ReadAsync(crashed);
        var order = Samples.Order(restaurant);
        await crashed.Orders.CreateAsync(order, Ct).WaitAsync(Timeout, Ct);

        Time.Advance(LeaseDuration - TimeSpan.FromSeconds(1));
        var beforeExpiry = await ReadAndCheckpointAsync(b, [restaurant]);
        Time.Advance(TimeSpan.FromSeconds(2));
        var afterExpiry = await ReadAndCheckpointAsync(b, [restaurant]);

        Assert.Empty(beforeExpiry);
        Assert.Equal(new[] { order.Id.ToString() }, afterExpiry.Select(c => c.DocumentId));
    }

    [Fact]
    public async Task A_stale_instance_can_neither_release_nor_checkpoint_a_lease_another_took()
    {
        var restaurant = Guid.NewGuid();
        var stale = await InstanceAsync();
        var order = Samples.Order(restaurant);
        await stale.Orders.CreateAsync(order, Ct).WaitAsync(Timeout, Ct);
        var staleBatch = await stale.Feed.ReadAsync(consumer, 100, Ct).WaitAsync(Timeout, Ct);
        Time.Advance(LeaseDuration + TimeSpan.FromSeconds(1));
        var taker = await InstanceAsync();
        var takerBatch = await taker.Feed.ReadAsync(consumer, 100, Ct).WaitAsync(Timeout, Ct);

        // The stale instance wakes up: its release (ETag-guarded) and its checkpoint must both lose to the taker.
        await stale.StopAsync().WaitAsync(Timeout, Ct);
        await stale.Feed.CheckpointAsync(consumer, staleBatch.Continuation, Ct).WaitAsync(Timeout, Ct);
        var third = await InstanceAsync();
        Time.Advance(AcquireInterval);
        var thirdWhileTakerHolds = await ReadAndCheckpointAsync(third, [restaurant]);
        await taker.StopAsync().WaitAsync(Timeout, Ct);
        Time.Advance(AcquireInterval);
        var thirdAfterTakerStopped = await ReadAndCheckpointAsync(third, [restaurant]);

        Assert.Contains(staleBatch.Changes, c => c.DocumentId == order.Id.ToString());
        Assert.Contains(takerBatch.Changes, c => c.DocumentId == order.Id.ToString());
        Assert.Empty(thirdWhileTakerHolds);
        // Neither the taker nor the stale instance confirmed the order, so the next owner reads it again.
        Assert.Equal(new[] { order.Id.ToString() }, thirdAfterTakerStopped.Select(c => c.DocumentId));
    }

    [Fact]
    public async Task Checkpoints_of_every_range_survive_a_restart()
    {
        var restaurants = Enumerable.Range(0, 8).Select(_ => Guid.NewGuid()).ToList();
        var first = await InstanceAsync();
        await WriteEveryKindAsync(first, restaurants);
        var before = await DrainAsync(first, restaurants);
        var pending = await WriteEveryKindAsync(first, restaurants);
        await first.StopAsync().WaitAsync(Timeout, Ct);

        var restarted = await InstanceAsync();
        var after = await DrainAsync(restarted, restaurants);

        Assert.Equal(restaurants.Count * 4, before.Count);
        Assert.Equal(pending.Order(StringComparer.Ordinal), after.Select(c => c.ChangeId).Order(StringComparer.Ordinal));
    }

    /// <summary>Writes an order, a table, a payment and a notification in each restaurant; returns their change ids.</summary>
    private static async Task<List<string>> WriteEveryKindAsync(StoreSet stores, IEnumerable<Guid> restaurants)
    {
        var ids = new List<string>();
        foreach (var restaurant in restaurants)
        {
            var order = Samples.Order(restaurant, number: "L-1");
            await stores.Orders.CreateAsync(order, Ct).WaitAsync(Timeout, Ct);
            var table = Samples.Table(restaurant);
            await stores.Tables.UpsertAsync(table, expectedVersion: null, Ct).WaitAsync(Timeout, Ct);
            var payment = Samples.Payment(restaurant, order.Id);
            await stores.Payments.CreateAsync(payment, Ct).WaitAsync(Timeout, Ct);
            var notification = Samples.Notification(restaurant, order.Id);
            await stores.Notifications.CreateAsync(notification, Ct).WaitAsync(Timeout, Ct);
            ids.AddRange([$"order:{order.Id}:{order.Version}", $"table:{table.Id}:{table.Version}", $"payment:{payment.Id}:1", $"notification:{notification.Id}:1"]);
        }

        return ids;
    }

    private async Task ReadAsync(StoreSet stores) => await stores.Feed.ReadAsync(consumer, 1, Ct).WaitAsync(Timeout, Ct);

    private async Task<List<StoreChange>> ReadAndCheckpointAsync(StoreSet stores, IReadOnlyCollection<Guid> restaurants)
    {
        var batch = await stores.Feed.ReadAsync(consumer, 1000, Ct).WaitAsync(Timeout, Ct);
        await stores.Feed.CheckpointAsync(consumer, batch.Continuation, Ct).WaitAsync(Timeout, Ct);
        return [.. batch.Changes.Where(c => restaurants.Contains(c.RestaurantId))];
    }

    private async Task<List<StoreChange>> DrainAsync(StoreSet stores, IReadOnlyCollection<Guid> restaurants)
    {
        var all = new List<StoreChange>();
        for (var round = 0; round < 100; round++)
        {
            var batch = await stores.Feed.ReadAsync(consumer, 10, Ct).WaitAsync(Timeout, Ct);
            await stores.Feed.CheckpointAsync(consumer, batch.Continuation, Ct).WaitAsync(Timeout, Ct);
            all.AddRange(batch.Changes.Where(c => restaurants.Contains(c.RestaurantId)));
            if (batch.Continuation is null)
            {
                return all;
            }
        }

        throw new InvalidOperationException("The change feed never ran dry.");
    }
}
