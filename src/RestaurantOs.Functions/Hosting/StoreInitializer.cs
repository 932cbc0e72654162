using Microsoft.Extensions.Hosting;
using RestaurantOs.Storage;

namespace RestaurantOs.Functions.Hosting;

/// <summary>Creates the store's schema or containers before the app serves (idempotent; Bicep creates them in Azure).</summary>
internal sealed class StoreInitializer(IStoreInitializer initializer) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => initializer.InitializeAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
