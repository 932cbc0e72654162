using RestaurantOs.Storage.Tests.Contract;

namespace RestaurantOs.Storage.Tests.Cosmos;

/// <summary>
/// The batch-append contract against the Cosmos DB account named by <c>COSMOS_CONNECTION_STRING</c>; skipped when it is
/// not set (see <see cref="CosmosStoreContractTests"/>). Tests use fresh restaurant ids, so runs can share the database.
/// </summary>
public sealed class CosmosHistoryBatchContractTests : HistoryBatchContractTests
{
    protected override Task<StoreSet> CreateStoresAsync(IReadOnlyDictionary<string, string?> settings) =>
        StoreSet.OpenAsync(CosmosStoreContractTests.Settings(settings));
}
