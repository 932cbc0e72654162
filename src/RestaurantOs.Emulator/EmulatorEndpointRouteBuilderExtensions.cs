using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RestaurantOs.Emulator.Connections;
using RestaurantOs.Emulator.Endpoints;
using RestaurantOs.Emulator.Rest;

namespace RestaurantOs.Emulator;

/// <summary>Maps the emulator's endpoints into any ASP.NET Core host.</summary>
public static class EmulatorEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the Azure-faithful endpoints: the client WebSocket endpoint <c>/client/hubs/{hub}</c> (and
    /// <c>/client/?hub=</c>), the REST data plane under <c>/api/hubs/...</c>, and <c>HEAD /api/health</c>.
    /// Requires <see cref="EmulatorServiceCollectionExtensions.AddWebPubSubEmulator"/>.
    /// </summary>
    public static IEndpointRouteBuilder MapWebPubSubEmulator(this IEndpointRouteBuilder endpoints) =>
        MapWebPubSubEmulator(endpoints, configureEndpoints: null);

    /// <summary>
    /// As <see cref="MapWebPubSubEmulator(IEndpointRouteBuilder)"/>; <paramref name="configureEndpoints"/> applies
    /// conventions to all of the emulator's endpoints (e.g. <c>RequireHost("*:3001")</c> in a shared host).
    /// </summary>
    public static IEndpointRouteBuilder MapWebPubSubEmulator(this IEndpointRouteBuilder endpoints, Action<IEndpointConventionBuilder>? configureEndpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = endpoints.MapGroup("");
        group.Map("/client/hubs/{hub}", context =>
            context.RequestServices.GetRequiredService<ClientWebSocketEndpoint>().HandleAzureAsync(context, context.GetRouteValue("hub") as string));
        group.Map("/client", context =>
            context.RequestServices.GetRequiredService<ClientWebSocketEndpoint>().HandleAzureAsync(context, context.Request.Query["hub"]));
        // The REST API routes itself on the raw path (colon segments, escaped names), so only prefixes are mapped.
        group.Map("/api/hubs/{**path}", context => context.RequestServices.GetRequiredService<RestApiEndpoint>().HandleAsync(context));
        // HEAD only (as in the service), so a host's own GET /api/health (the Functions app has one) does not collide.
        group.MapMethods("/api/health", [HttpMethods.Head], context => context.RequestServices.GetRequiredService<RestApiEndpoint>().HandleAsync(context));
        configureEndpoints?.Invoke(group);
        return endpoints;
    }

    /// <summary>
    /// Maps a plain-WebSocket endpoint for seed clients on <paramref name="pattern"/>, connected to
    /// <paramref name="hub"/>. No service token is needed: the app's JWT (in <c>Authorization</c>,
    /// <c>?access_token=</c>, <c>?token=</c>, or a first <c>auth</c> message relayed as a user event) reaches the
    /// upstream handler, which decides. Differences from the client endpoint (defaults from
    /// <c>WebPubSub:SeedCompatible</c>): a rejected connect closes the accepted socket with 1008 and the handler's
    /// reason instead of an HTTP status; inbound messages over 64 KB close with 1009; a REST close maps its reason to
    /// a close code (UNAUTHORIZED, AUTH_TIMEOUT, TENANT_VIOLATION, RATE_LIMITED → 1008; MESSAGE_TOO_BIG → 1009;
    /// INTERNAL_ERROR → 1011; anything else → 1000).
    /// </summary>
    public static IEndpointConventionBuilder MapSeedCompatibleEndpoint(this IEndpointRouteBuilder endpoints, string pattern, string hub) =>
        MapSeedCompatibleEndpoint(endpoints, pattern, hub, configure: null);

    /// <summary>As <see cref="MapSeedCompatibleEndpoint(IEndpointRouteBuilder, string, string)"/>, adjusting this endpoint's options.</summary>
    public static IEndpointConventionBuilder MapSeedCompatibleEndpoint(this IEndpointRouteBuilder endpoints, string pattern, string hub, Action<SeedCompatibleEndpointOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        if (!HubNames.IsValidHub(hub))
        {
            throw new ArgumentException($"'{hub}' is not a valid Web PubSub hub name (letter first, then letters, digits, _ ` , . [ ]).", nameof(hub));
        }

        var options = endpoints.ServiceProvider.GetRequiredService<IOptions<SeedCompatibleEndpointOptions>>().Value.Clone();
        configure?.Invoke(options);
        if (options.MaxInboundMessageBytes < 1)
        {
            throw new ArgumentException("SeedCompatibleEndpointOptions.MaxInboundMessageBytes must be positive.", nameof(configure));
        }

        return endpoints.Map(pattern, context =>
            context.RequestServices.GetRequiredService<ClientWebSocketEndpoint>().HandleSeedAsync(context, hub, options));
    }
}
