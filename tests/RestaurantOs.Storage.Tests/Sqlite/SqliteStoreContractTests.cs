using RestaurantOs.Storage.Tests.Contract;

namespace RestaurantOs.Storage.Tests.Sqlite;

/// <summary>The store contract against real SQLite files in a temporary folder.</summary>
public sealed class SqliteStoreContractTests : StoreContractTests
{
    private readonly TempFolder folder = new();

    protected override Task<StoreSet> CreateStoresAsync(IReadOnlyDictionary<string, string?> settings)
    {
        var all = new Dictionary<string, string?>(settings)
        {
            ["Storage:Provider"] = "sqlite",
            ["Storage:Sqlite:Path"] = folder.File("db/restaurant-os.db"),
        };
        return StoreSet.OpenAsync(all);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        folder.Dispose();
    }
}

/// <summary>A unique temporary folder, deleted (best effort) on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "restaurantos-storage-tests", Guid.NewGuid().ToString("N"));

    public string File(string relative) => System.IO.Path.Combine(Path, relative);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A pooled connection of a still-running test may hold the file; the OS temp cleaner gets it later.
        }
    }
}
