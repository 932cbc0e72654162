using RestaurantOs.Storage.Tests.Contract;

namespace RestaurantOs.Storage.Tests.Sqlite;

/// <summary>The batch-append contract against a real SQLite file.</summary>
public sealed class SqliteHistoryBatchContractTests : HistoryBatchContractTests, IDisposable
{
    private readonly TempFolder folder = new();

    protected override Task<StoreSet> CreateStoresAsync(IReadOnlyDictionary<string, string?> settings) =>
        StoreSet.OpenAsync(new Dictionary<string, string?>(settings)
        {
            ["Storage:Provider"] = "sqlite",
            ["Storage:Sqlite:Path"] = folder.File("db/restaurant-os.db"),
        });

    public void Dispose() => folder.Dispose();
}
