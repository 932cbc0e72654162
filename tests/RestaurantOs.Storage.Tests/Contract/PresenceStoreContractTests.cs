using Microsoft.Extensions.DependencyInjection;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Presence;

namespace RestaurantOs.Storage.Tests.Contract;

/// <summary>
/// <see cref="IPresenceStore"/>, the same for every store: version-guarded create, replace and delete (the guard is
/// what makes a station alert fire once across instances), entries scoped by restaurant, and the sweep's query.
/// </summary>
public abstract class PresenceStoreContractTests : IAsyncLifetime
{
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static readonly DateTimeOffset Now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    private readonly List<StoreSet> opened = [];

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Opens stores over this test's database.</summary>
    protected abstract Task<StoreSet> CreateStoresAsync(IReadOnlyDictionary<string, string?> settings);

    protected async Task<IPresenceStore> StoreAsync()
    {
        var set = await CreateStoresAsync(new Dictionary<string, string?>()).WaitAsync(Timeout, Ct);
        opened.Add(set);
        return set.Services.GetRequiredService<IPresenceStore>();
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var set in opened)
        {
            await set.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    protected static StationPresence Entry(Guid restaurant, string? station, string connection = "conn-1", PresenceStatus status = PresenceStatus.Live, int version = 1) => new()
    {
        RestaurantId = restaurant,
        Key = PresenceTracker.KeyFor(connection, station),
        Station = station,
        Role = Role.Kitchen,
        UserId = "cook-1",
        ConnectionId = connection,
        Transport = "websocket",
        ConnectedSince = Now,
        LastSeenAt = Now,
        Status = status,
        GoneSince = status == PresenceStatus.Gone ? Now : null,
        Version = version,
    };

    [Fact]
    public async Task A_created_entry_reads_back_and_a_second_create_of_its_key_is_a_conflict()
    {
        var store = await StoreAsync();
        var entry = Entry(Guid.NewGuid(), "grill-kds-1") with { Device = "tablet-7", AppliedSeq = 12, AppliedAt = Now };

        Assert.Equal(WriteStatus.Ok, (await store.WriteAsync(entry, null, Ct).WaitAsync(Timeout, Ct)).Status);
        Assert.Equal(entry, await store.GetAsync(entry.RestaurantId, entry.Key, Ct).WaitAsync(Timeout, Ct));
        Assert.Equal(WriteStatus.Conflict, (await store.WriteAsync(entry with { UserId = "intruder" }, null, Ct).WaitAsync(Timeout, Ct)).Status);
        Assert.Equal("cook-1", (await store.GetAsync(entry.RestaurantId, entry.Key, Ct).WaitAsync(Timeout, Ct))!.UserId);
    }

    [Fact]
    public async Task A_replace_needs_the_stored_version_and_a_stale_one_changes_nothing()
    {
        var store = await StoreAsync();
        var entry = Entry(Guid.NewGuid(), "pass-1");
        await store.WriteAsync(entry, null, Ct).WaitAsync(Timeout, Ct);

        var gone = entry with { Status = PresenceStatus.Gone, GoneSince = Now.AddSeconds(5), Version = 2 };
        Assert.Equal(WriteStatus.Ok, (await store.WriteAsync(gone, 1, Ct).WaitAsync(Timeout, Ct)).Status);
        // A second instance that read version 1 loses: it may not raise what the first one decided.
        var stale = entry with { Alert = StationAlertKind.Gone, Version = 2 };
        Assert.Equal(WriteStatus.Conflict, (await store.WriteAsync(stale, 1, Ct).WaitAsync(Timeout, Ct)).Status);

        Assert.Equal(gone, await store.GetAsync(entry.RestaurantId, entry.Key, Ct).WaitAsync(Timeout, Ct));
        Assert.Equal(WriteStatus.Conflict, (await store.WriteAsync(Entry(Guid.NewGuid(), "nobody") with { Version = 2 }, 1, Ct).WaitAsync(Timeout, Ct)).Status);
    }

    [Fact]
    public async Task A_delete_needs_the_stored_version()
    {
        var store = await StoreAsync();
        var entry = Entry(Guid.NewGuid(), null, "conn-9");
        await store.WriteAsync(entry, null, Ct).WaitAsync(Timeout, Ct);

        Assert.False(await store.DeleteAsync(entry.RestaurantId, entry.Key, 2, Ct).WaitAsync(Timeout, Ct));
        Assert.NotNull(await store.GetAsync(entry.RestaurantId, entry.Key, Ct).WaitAsync(Timeout, Ct));
        Assert.True(await store.DeleteAsync(entry.RestaurantId, entry.Key, 1, Ct).WaitAsync(Timeout, Ct));
        Assert.Null(await store.GetAsync(entry.RestaurantId, entry.Key, Ct).WaitAsync(Timeout, Ct));
        Assert.False(await store.DeleteAsync(entry.RestaurantId, entry.Key, 1, Ct).WaitAsync(Timeout, Ct));
    }

    [Fact]
    public async Task A_restaurant_lists_only_its_own_screens()
    {
        var store = await StoreAsync();
        var mine = Guid.NewGuid();
        var theirs = Guid.NewGuid();
        await store.WriteAsync(Entry(mine, "grill-kds-1"), null, Ct).WaitAsync(Timeout, Ct);
        await store.WriteAsync(Entry(mine, null, "conn-2"), null, Ct).WaitAsync(Timeout, Ct);
        // The same station name in another restaurant is another entry.
        await store.WriteAsync(Entry(theirs, "grill-kds-1"), null, Ct).WaitAsync(Timeout, Ct);

        var listed = await store.ListAsync(mine, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(["c.conn-2", "s.grill-kds-1"], listed.Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.All(listed, e => Assert.Equal(mine, e.RestaurantId));
        Assert.Single(await store.ListAsync(theirs, Ct).WaitAsync(Timeout, Ct));
    }

    [Fact]
    public async Task The_sweep_sees_named_stations_gone_past_the_cutoff_without_an_alert_and_silent_screens_that_reported()
    {
        var store = await StoreAsync();
        var r = Guid.NewGuid();
        var cutoff = Now.AddSeconds(30);
        StationPresence[] entries =
        [
            Entry(r, "gone-due", "c1", PresenceStatus.Gone),
            Entry(r, "gone-alerted", "c2", PresenceStatus.Gone) with { Alert = StationAlertKind.Gone, AlertSince = Now },
            Entry(r, "gone-recent", "c3", PresenceStatus.Gone) with { GoneSince = cutoff.AddSeconds(1) },
            Entry(r, null, "c4", PresenceStatus.Gone),
            Entry(r, "silent-reported", "c5") with { AppliedSeq = 3 },
            Entry(r, "silent-never-reported", "c6"),
            Entry(r, "heard-recently", "c7") with { AppliedSeq = 3, LastSeenAt = cutoff.AddSeconds(1) },
            Entry(r, "already-behind", "c8", PresenceStatus.Behind) with { AppliedSeq = 3, Alert = StationAlertKind.Behind },
        ];
        foreach (var entry in entries)
        {
            Assert.Equal(WriteStatus.Ok, (await store.WriteAsync(entry, null, Ct).WaitAsync(Timeout, Ct)).Status);
        }

        var due = await store.ListDueAsync(cutoff, cutoff, 500, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(["s.gone-due", "s.silent-reported"], due.Where(e => e.RestaurantId == r).Select(e => e.Key).Order(StringComparer.Ordinal));
    }
}
