using RestaurantOs.Storage.Tests.Contract;

namespace RestaurantOs.Storage.Tests.Sqlite;

/// <summary>The presence contract against a real SQLite file, and the purge that stands in for Cosmos DB's TTL.</summary>
public sealed class SqlitePresenceStoreContractTests : PresenceStoreContractTests, IDisposable
{
    private readonly TempFolder folder = new();

    protected override Task<StoreSet> CreateStoresAsync(IReadOnlyDictionary<string, string?> settings) =>
        StoreSet.OpenAsync(new Dictionary<string, string?>(settings)
        {
            ["Storage:Provider"] = "sqlite",
            ["Storage:Sqlite:Path"] = folder.File("db/restaurant-os.db"),
        });

    [Fact]
    public async Task Purge_deletes_entries_last_written_before_the_cutoff_and_keeps_the_rest()
    {
        var store = await StoreAsync();
        var r = Guid.NewGuid();
        await store.WriteAsync(Entry(r, "old"), null, Ct);
        var between = DateTimeOffset.UtcNow.AddMilliseconds(1);
        await Task.Delay(20, Ct);
        await store.WriteAsync(Entry(r, "new"), null, Ct);

        Assert.Equal(1, await store.PurgeAsync(between, Ct));
        Assert.Equal(["s.new"], (await store.ListAsync(r, Ct)).Select(e => e.Key));
    }

    public void Dispose() => folder.Dispose();
}
