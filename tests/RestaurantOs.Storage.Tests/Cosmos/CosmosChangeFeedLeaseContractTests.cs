using Microsoft.Extensions.DependencyInjection;
using RestaurantOs.Storage.Tests.Contract;

namespace RestaurantOs.Storage.Tests.Cosmos;

/// <summary>
/// The lease contract against a real Cosmos DB account (or emulator) named by <c>COSMOS_CONNECTION_STRING</c>;
/// skipped when it is not set (see <see cref="CosmosStoreContractTests"/>).
/// </summary>
public sealed class CosmosChangeFeedLeaseContractTests : ChangeFeedLeaseContractTests
{
    protected override Task<StoreSet> CreateStoresAsync(IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection> configure) =>
        StoreSet.OpenAsync(CosmosStoreContractTests.Settings(settings), configure);
}
