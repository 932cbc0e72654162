using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RestaurantOs.Storage.Internal;

namespace RestaurantOs.Storage.Cosmos;

/// <summary>
/// Creates the database and containers when <c>Storage:Cosmos:CreateIfNotExists</c> is on (in Azure, Bicep creates
/// them and this does nothing). The events container gets a default TTL equal to the history retention, the presence
/// container one day.
/// Idempotent: CreateIfNotExists calls, run once per process and again after a failure.
/// </summary>
internal sealed class CosmosStoreInitializer(
    CosmosContainers containers,
    IOptions<CosmosStoreOptions> cosmosOptions,
    IOptions<HistoryOptions> historyOptions,
    ILogger<CosmosStoreInitializer> logger) : IStoreInitializer, IDisposable
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private bool done;

    public async Task InitializeAsync(CancellationToken ct)
    {
        if (!cosmosOptions.Value.CreateIfNotExists || containers.Client is null || done)
        {
            return;
        }

        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (done)
            {
                return;
            }

            var databaseName = cosmosOptions.Value.Database;
            var database = (await containers.Client.CreateDatabaseIfNotExistsAsync(databaseName, cancellationToken: ct).ConfigureAwait(false)).Database;
            foreach (var name in CosmosContainers.DocumentContainerNames.Append(CosmosContainers.LeasesName))
            {
                await database.CreateContainerIfNotExistsAsync(
                    new ContainerProperties(name, CosmosContainers.PartitionKeyPath), cancellationToken: ct).ConfigureAwait(false);
            }

            await database.CreateContainerIfNotExistsAsync(
                new ContainerProperties(CosmosContainers.EventsName, CosmosContainers.PartitionKeyPath)
                {
                    DefaultTimeToLive = (int)historyOptions.Value.Retention.TotalSeconds,
                },
                cancellationToken: ct).ConfigureAwait(false);
            await database.CreateContainerIfNotExistsAsync(
                new ContainerProperties(CosmosContainers.PresenceName, CosmosContainers.PartitionKeyPath)
                {
                    DefaultTimeToLive = (int)Realtime.Presence.PresenceTracker.Retention.TotalSeconds,
                },
                cancellationToken: ct).ConfigureAwait(false);
            done = true;
            StorageLog.CosmosContainersEnsured(logger, databaseName);
        }
        finally
        {
            gate.Release();
        }
    }

    public void Dispose() => gate.Dispose();
}
