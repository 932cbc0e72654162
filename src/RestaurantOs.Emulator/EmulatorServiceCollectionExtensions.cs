using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using RestaurantOs.Emulator.Connections;
using RestaurantOs.Emulator.Endpoints;
using RestaurantOs.Emulator.Hosting;
using RestaurantOs.Emulator.Rest;
using RestaurantOs.Emulator.Upstream;

namespace RestaurantOs.Emulator;

/// <summary>Registers the Web PubSub emulator's services.</summary>
public static class EmulatorServiceCollectionExtensions
{
    /// <summary>
    /// Adds the emulator: options bound from <c>WebPubSub</c> (validated at start-up), the in-memory connection
    /// registry, the upstream dispatcher (named HttpClient <c>RestaurantOs.Emulator.Upstream</c>), metrics, and the
    /// WebSocket middleware (added at the start of the pipeline by a startup filter, so hosts need not call
    /// <c>UseWebSockets</c>). Call <see cref="EmulatorEndpointRouteBuilderExtensions.MapWebPubSubEmulator(Microsoft.AspNetCore.Routing.IEndpointRouteBuilder)"/> to expose it.
    /// State lives in this process only: a restart drops every connection and group.
    /// </summary>
    public static IServiceCollection AddWebPubSubEmulator(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<EmulatorOptions>().Bind(configuration.GetSection(EmulatorOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EmulatorOptions>, EmulatorOptionsValidator>());
        services.AddOptions<SeedCompatibleEndpointOptions>().Bind(configuration.GetSection(SeedCompatibleEndpointOptions.SectionName));
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddHttpClient(UpstreamDispatcher.HttpClientName);
        services.TryAddSingleton<EmulatorMetrics>();
        services.TryAddSingleton<ConnectionManager>();
        services.TryAddSingleton<MessageBroadcaster>();
        services.TryAddSingleton<UpstreamDispatcher>();
        services.TryAddSingleton<ClientConnectionHandler>();
        services.TryAddSingleton<ClientWebSocketEndpoint>();
        services.TryAddSingleton<RestApiEndpoint>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStartupFilter, WebSocketsStartupFilter>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, EmulatorShutdownService>());
        return services;
    }

    /// <summary>Puts the WebSocket middleware first, so the emulator's endpoints can accept upgrades in any host.</summary>
    private sealed class WebSocketsStartupFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.UseWebSockets();
            next(app);
        };
    }
}
