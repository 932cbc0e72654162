using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RestaurantOs.Realtime.Ports;

namespace RestaurantOs.Storage.Tests.Contract;

/// <summary>One "process" worth of stores, built through the public composition entry point.</summary>
public sealed class StoreSet : IAsyncDisposable
{
    private readonly ServiceProvider provider;

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

    public ValueTask DisposeAsync() => provider.DisposeAsync();
}
