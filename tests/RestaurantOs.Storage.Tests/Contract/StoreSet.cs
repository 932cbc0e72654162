using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RestaurantOs.Realtime.Ports;

namespace RestaurantOs.Storage.Tests.Contract;

/// <summary>
/// One "process" worth of stores, built through the public composition entry point. Like a host, it stops the
/// hosted services the registration adds on dispose (a graceful stop: change-feed leases are released); a set
/// left open while the next one works stands for a crashed process. The hosted services are not started, so
/// nothing renews leases in the background: leases are renewed by reads only, which keeps time under the test's
/// control.
/// </summary>
public sealed class StoreSet : IAsyncDisposable
{
    private readonly ServiceProvider provider;
    private readonly List<IHostedService> hosted;
    private bool stopped;

    private StoreSet(ServiceProvider provider)
    {
        this.provider = provider;
        Orders = provider.GetRequiredService<IOrderStore>();
        Tables = provider.GetRequiredService<ITableStore>();
        Payments = provider.GetRequiredService<IPaymentStore>();
        Notifications = provider.GetRequiredService<INotificationStore>();
        Feed = provider.GetRequiredService<IChangeFeed>();
        History = provider.GetRequiredService<IEventHistory>();
        Initializer = provider.GetRequiredService<IStoreInitializer>();
        hosted = [.. provider.GetServices<IHostedService>()];
    }

    public IOrderStore Orders { get; }

    public ITableStore Tables { get; }

    public IPaymentStore Payments { get; }

    public INotificationStore Notifications { get; }

    public IChangeFeed Feed { get; }

    public IEventHistory History { get; }

    public IStoreInitializer Initializer { get; }

    public IServiceProvider Services => provider;

    public static async Task<StoreSet> OpenAsync(IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection>? configure = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        configure?.Invoke(services);
        services.AddRestaurantOsStorage(configuration);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        var set = new StoreSet(provider);
        await set.Initializer.InitializeAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        return set;
    }

    /// <summary>Stops the hosted services as a host does on shutdown (in reverse order), once.</summary>
    public async Task StopAsync()
    {
        if (stopped)
        {
            return;
        }

        stopped = true;
        foreach (var service in Enumerable.Reverse(hosted))
        {
            await service.StopAsync(CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await provider.DisposeAsync();
    }
}
