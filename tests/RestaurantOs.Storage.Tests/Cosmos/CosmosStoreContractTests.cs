using RestaurantOs.Storage.Tests.Contract;

namespace RestaurantOs.Storage.Tests.Cosmos;

/// <summary>
/// The store contract against a real Cosmos DB account (or emulator) named by <c>COSMOS_CONNECTION_STRING</c>;
/// skipped when it is not set. The database is <c>COSMOS_DATABASE</c> or <c>restaurantos-tests</c>, created if
/// missing; tests use fresh restaurant ids and consumer names, so runs can share it.
/// </summary>
public sealed class CosmosStoreContractTests : StoreContractTests
{
    private static readonly string? ConnectionString = Environment.GetEnvironmentVariable("COSMOS_CONNECTION_STRING");

    protected override bool FeedCoalescesUpdates => true;

    protected override Task<StoreSet> CreateStoresAsync(IReadOnlyDictionary<string, string?> settings) => StoreSet.OpenAsync(Settings(settings));

    /// <summary>
    /// The settings for the account named by the environment (skipping the test when there is none):
    /// <c>COSMOS_CONNECTION_MODE</c> (Direct or Gateway; emulators usually need Gateway) and
    /// <c>COSMOS_LIMIT_TO_ENDPOINT</c> (true for emulators) set the client options when present.
    /// </summary>
    internal static Dictionary<string, string?> Settings(IReadOnlyDictionary<string, string?> settings)
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            Assert.Skip("COSMOS_CONNECTION_STRING not set");
        }

        var all = new Dictionary<string, string?>(settings)
        {
            ["Storage:Provider"] = "cosmos",
            ["Storage:Cosmos:ConnectionString"] = ConnectionString,
            ["Storage:Cosmos:Database"] = Environment.GetEnvironmentVariable("COSMOS_DATABASE") ?? "restaurantos-tests",
            ["Storage:Cosmos:CreateIfNotExists"] = "true",
        };
        if (Environment.GetEnvironmentVariable("COSMOS_CONNECTION_MODE") is { Length: > 0 } mode)
        {
            all["Storage:Cosmos:ConnectionMode"] = mode;
        }

        if (Environment.GetEnvironmentVariable("COSMOS_LIMIT_TO_ENDPOINT") is { Length: > 0 } limit)
        {
            all["Storage:Cosmos:LimitToEndpoint"] = limit;
        }

        return all;
    }
}
