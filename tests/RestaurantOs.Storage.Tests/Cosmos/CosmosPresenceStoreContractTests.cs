using RestaurantOs.Storage.Tests.Contract;

namespace RestaurantOs.Storage.Tests.Cosmos;

/// <summary>
/// The presence contract against the Cosmos DB account named by <c>COSMOS_CONNECTION_STRING</c>; skipped when it
/// is not set (as <see cref="CosmosStoreContractTests"/>). Tests use fresh restaurant ids, so runs can share the database.
/// </summary>
public sealed class CosmosPresenceStoreContractTests : PresenceStoreContractTests
{
    private static readonly string? ConnectionString = Environment.GetEnvironmentVariable("COSMOS_CONNECTION_STRING");

    protected override Task<StoreSet> CreateStoresAsync(IReadOnlyDictionary<string, string?> settings)
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            Assert.Skip("COSMOS_CONNECTION_STRING not set");
        }

        return StoreSet.OpenAsync(new Dictionary<string, string?>(settings)
        {
            ["Storage:Provider"] = "cosmos",
            ["Storage:Cosmos:ConnectionString"] = ConnectionString,
            ["Storage:Cosmos:Database"] = Environment.GetEnvironmentVariable("COSMOS_DATABASE") ?? "restaurantos-tests",
            ["Storage:Cosmos:CreateIfNotExists"] = "true",
        });
    }
}
