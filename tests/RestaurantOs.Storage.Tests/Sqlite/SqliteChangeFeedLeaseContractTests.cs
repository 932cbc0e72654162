using Microsoft.Extensions.DependencyInjection;
using RestaurantOs.Storage.Tests.Contract;

namespace RestaurantOs.Storage.Tests.Sqlite;

/// <summary>The lease contract against a real SQLite file shared by the instances (one range, one lease).</summary>
public sealed class SqliteChangeFeedLeaseContractTests : ChangeFeedLeaseContractTests
{
    private readonly TempFolder folder = new();

    protected override Task<StoreSet> CreateStoresAsync(IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection> configure)
    {
        var all = new Dictionary<string, string?>(settings)
        {
            ["Storage:Provider"] = "sqlite",
            ["Storage:Sqlite:Path"] = folder.File("db/restaurant-os.db"),
        };
        return StoreSet.OpenAsync(all, configure);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        folder.Dispose();
    }
}
