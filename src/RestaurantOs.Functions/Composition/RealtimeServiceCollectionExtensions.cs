using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using RestaurantOs.Functions.Adapters;
using RestaurantOs.Functions.Hosting;
using RestaurantOs.Functions.Http;
using RestaurantOs.Realtime.Auth;
using Microsoft.Extensions.Options;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Presence;
using RestaurantOs.Realtime.Services;
using RestaurantOs.Storage;
using RestaurantOs.WebPubSub.Client;
using RestaurantOs.WebPubSub.Upstream;

namespace RestaurantOs.Functions.Composition;

/// <summary>
/// The one composition root, used by the Functions app and by DevHost: app-token validation, the store chosen by
/// configuration, the Web PubSub service client and upstream codec, the ports over them, and the services the
/// function classes call.
/// </summary>
public static class RealtimeServiceCollectionExtensions
{
    public static IServiceCollection AddRestaurantOsRealtime(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddAppTokenValidation(configuration);
        services.AddRestaurantOsStorage(configuration);
        services.AddHostedService<StoreInitializer>();
        services.AddWebPubSubServiceClient(configuration);
        services.AddWebPubSubUpstream(configuration);
        services.AddUpstreamTokenAuthentication(configuration);
        services.AddConnectionStateProtection(configuration);

        services.TryAddSingleton<RealtimeMetrics>();
        services.TryAddSingleton<IEventPublisher, WebPubSubEventPublisher>();
        services.TryAddSingleton<IConnectionManager, WebPubSubConnectionManager>();

        services.TryAddSingleton<ChangeFeedPump>();
        services.TryAddSingleton<IChangeNotifier>(sp => sp.GetRequiredService<ChangeFeedPump>());
        services.AddHostedService(sp => sp.GetRequiredService<ChangeFeedPump>());

        services.TryAddSingleton<OrderService>();
        services.TryAddSingleton<TableService>();
        services.TryAddSingleton<NotificationService>();
        services.TryAddSingleton<HistoryCatchUp>();
        services.TryAddSingleton<ConnectionService>();
        services.AddEventPipeline(configuration);
        services.TryAddSingleton<AuthGraceSweeper>();
        services.AddOptions<PresenceOptions>().Bind(configuration.GetSection(PresenceOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PresenceOptions>, PresenceOptionsValidator>());
        services.TryAddSingleton<PresenceTracker>();
        services.TryAddSingleton<PresenceService>();
        services.TryAddSingleton<CallerAuthenticator>();
        return services;
    }
}
