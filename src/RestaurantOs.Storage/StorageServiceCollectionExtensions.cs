using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Storage.Cosmos;
using RestaurantOs.Storage.Internal;
using RestaurantOs.Storage.Leases;
using RestaurantOs.Storage.Sqlite;

namespace RestaurantOs.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// Registers the stores behind the Realtime ports (<see cref="IOrderStore"/>, <see cref="ITableStore"/>,
    /// <see cref="IPaymentStore"/>, <see cref="INotificationStore"/>, <see cref="IChangeFeed"/>,
    /// <see cref="IEventHistory"/>, <see cref="IPresenceStore"/>) and <see cref="IStoreInitializer"/>, all singletons, chosen by
    /// <c>Storage:Provider</c>: <c>sqlite</c> (default) or <c>cosmos</c>. Options are validated when the host
    /// starts (and, for the provider choice, when a store is first resolved); a bad value fails with a message
    /// naming the key. Hosts should call <see cref="IStoreInitializer.InitializeAsync"/> at start (the Functions
    /// app's hosted StoreInitializer does). Metrics: meter <c>RestaurantOs.Storage</c>.
    /// Expected write outcomes are <see cref="WriteResult{T}"/> values; a Cosmos 429 left after the SDK's retries
    /// throws <see cref="StoreThrottledException"/>.
    /// The change feed is shared among instances by leases (<c>Storage:ChangeFeed</c>); a hosted service registered
    /// here renews them and releases them when the host stops, so the next instance reads at once.
    /// </summary>
    public static IServiceCollection AddRestaurantOsStorage(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<StorageOptions>().Bind(configuration.GetSection(StorageOptions.SectionName)).ValidateOnStart();
        services.AddOptions<HistoryOptions>().Bind(configuration.GetSection(HistoryOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HistoryOptions>, HistoryOptionsValidator>());
        services.AddOptions<ChangeFeedOptions>().Bind(configuration.GetSection(ChangeFeedOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ChangeFeedOptions>, ChangeFeedOptionsValidator>());

        services.AddMetrics();
        services.AddLogging();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<StorageMetrics>();

        // The provider is read here, at registration, because it decides which services exist; an invalid value
        // falls through to the validator, which fails start-up with an actionable message.
        var provider = configuration.GetSection(StorageOptions.SectionName)[nameof(StorageOptions.Provider)]?.Trim();
        var cosmos = string.Equals(provider, StorageOptions.Cosmos, StringComparison.OrdinalIgnoreCase);
        if (cosmos)
        {
            AddCosmos(services, configuration);
        }
        else
        {
            AddSqlite(services, configuration);
        }

        // A span around every call of the ports the app's writes and the pipeline use (not the lease and feed reads,
        // which run on timers whether or not anything happened).
        var system = cosmos ? "cosmosdb" : "sqlite";
        Trace<IOrderStore>(services, system, "orders");
        Trace<ITableStore>(services, system, "tables");
        Trace<IPaymentStore>(services, system, "payments");
        Trace<INotificationStore>(services, system, "notifications");
        Trace<IEventHistory>(services, system, "history");
        // Not IPresenceStore: heartbeats read it every 30 s per station, which would be most of the spans a
        // deployment exports and pays for; presence changes show in the logs and in realtime.presence.alerts.

        // Change-feed leases: shared by every instance; the hosted service renews them between reads and releases
        // them when the host stops (registered here, so every host gets it without asking, and stopped after the
        // host's own pumps, which are registered later).
        services.TryAddSingleton<ChangeFeedLeaseManager>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ChangeFeedLeaseService>());

        return services;
    }

    /// <summary>Replaces the registration of <typeparamref name="TPort"/> with the same service behind a <see cref="TracedPort"/>.</summary>
    private static void Trace<TPort>(IServiceCollection services, string system, string target)
        where TPort : class
    {
        var registered = services.LastOrDefault(d => d.ServiceType == typeof(TPort) && !d.IsKeyedService);
        if (registered is null)
        {
            return;
        }

        services.Remove(registered);
        services.Add(ServiceDescriptor.Describe(
            typeof(TPort),
            sp => TracedPort.Wrap((TPort)Create(sp, registered), system, target),
            registered.Lifetime));
    }

    private static object Create(IServiceProvider services, ServiceDescriptor descriptor) =>
        descriptor.ImplementationInstance
        ?? descriptor.ImplementationFactory?.Invoke(services)
        ?? ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!);

    private static void AddSqlite(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SqliteStoreOptions>().Bind(configuration.GetSection(SqliteStoreOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqliteStoreOptions>, SqliteStoreOptionsValidator>());
        services.TryAddSingleton<SqliteDatabase>();
        services.TryAddSingleton<IStoreInitializer>(sp => sp.GetRequiredService<SqliteDatabase>());
        services.TryAddSingleton<IOrderStore, SqliteOrderStore>();
        services.TryAddSingleton<ITableStore, SqliteTableStore>();
        services.TryAddSingleton<IPaymentStore, SqlitePaymentStore>();
        services.TryAddSingleton<INotificationStore, SqliteNotificationStore>();
        services.TryAddSingleton<ILeaseStore, SqliteLeaseStore>();
        services.TryAddSingleton<IChangeFeed, SqliteChangeFeed>();
        services.TryAddSingleton<IEventHistory, SqliteEventHistory>();
        services.TryAddSingleton<IPresenceStore, SqlitePresenceStore>();
    }

    private static void AddCosmos(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CosmosStoreOptions>().Bind(configuration.GetSection(CosmosStoreOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CosmosStoreOptions>, CosmosStoreOptionsValidator>());
        services.TryAddSingleton<CosmosContainers>(sp => CosmosContainers.Create(sp.GetRequiredService<IOptions<CosmosStoreOptions>>().Value));
        services.TryAddSingleton<CosmosStoreInitializer>();
        services.TryAddSingleton<IStoreInitializer>(sp => sp.GetRequiredService<CosmosStoreInitializer>());
        services.TryAddSingleton<IOrderStore, CosmosOrderStore>();
        services.TryAddSingleton<ITableStore, CosmosTableStore>();
        services.TryAddSingleton<IPaymentStore, CosmosPaymentStore>();
        services.TryAddSingleton<INotificationStore, CosmosNotificationStore>();
        services.TryAddSingleton<ILeaseStore, CosmosLeaseStore>();
        services.TryAddSingleton<IChangeFeed, CosmosChangeFeed>();
        services.TryAddSingleton<IEventHistory, CosmosEventHistory>();
        services.TryAddSingleton<IPresenceStore, CosmosPresenceStore>();
    }
}
