using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using RestaurantOs.WebPubSub.Client;
using RestaurantOs.WebPubSub.Protocol;

namespace RestaurantOs.WebPubSub.Upstream;

/// <summary>DI registration of the upstream (event handler) codec.</summary>
public static class WebPubSubUpstreamServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="WebPubSubUpstreamCodec"/> (singleton) with <see cref="WebPubSubUpstreamOptions"/> bound from
    /// <c>WebPubSub:Upstream</c> of the root <paramref name="configuration"/>, defaulting the access keys and allowed
    /// origins from <c>WebPubSub:ConnectionString</c> / <c>WebPubSub:Endpoint</c> (or the Functions
    /// <c>WebPubSubConnectionString</c> setting); validated at start-up.
    /// </summary>
    public static IServiceCollection AddWebPubSubUpstream(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<WebPubSubUpstreamOptions>()
            .Bind(configuration.GetSection(WebPubSubUpstreamOptions.SectionName))
            .PostConfigure(options => ApplyDefaults(options, configuration))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebPubSubUpstreamOptions>, WebPubSubUpstreamOptionsValidator>());
        services.AddMetrics();
        services.TryAddSingleton<WebPubSubUpstreamCodec>();
        return services;
    }

    /// <summary>
    /// Registers <see cref="ConnectionStateProtector"/> with its keys bound from <c>ConnectionStateProtection</c>,
    /// validated at start-up: the connection state holds the caller's identity, so without a key the app must not start.
    /// </summary>
    public static IServiceCollection AddConnectionStateProtection(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<ConnectionStateProtectionOptions>()
            .Bind(configuration.GetSection(ConnectionStateProtectionOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ConnectionStateProtectionOptions>, ConnectionStateProtectionOptionsValidator>());
        services.TryAddSingleton<ConnectionStateProtector>();
        return services;
    }

    // Reads the service settings straight from configuration so the upstream codec works without the REST client.
    internal static void ApplyDefaults(WebPubSubUpstreamOptions options, IConfiguration configuration)
    {
        var section = configuration.GetSection(WebPubSubOptions.SectionName);
        var connectionString = section[nameof(WebPubSubOptions.ConnectionString)];
        if (string.IsNullOrWhiteSpace(connectionString) && string.IsNullOrWhiteSpace(section[nameof(WebPubSubOptions.Endpoint)]))
        {
            connectionString = configuration[WebPubSubOptions.FunctionsConnectionStringSetting];
        }

        Uri? endpoint = null;
        if (WebPubSubConnectionString.TryParse(connectionString, out var parsed))
        {
            endpoint = parsed.Endpoint;
            if (options.AccessKeys.Count == 0 && parsed.AccessKey is not null)
            {
                options.AccessKeys.Add(parsed.AccessKey);
            }
        }
        else if (Uri.TryCreate(section[nameof(WebPubSubOptions.Endpoint)], UriKind.Absolute, out var configured))
        {
            endpoint = configured;
        }

        if (options.AllowedOrigins.Count == 0 && endpoint is not null)
        {
            options.AllowedOrigins.Add(endpoint.Host);
            if (!endpoint.IsDefaultPort)
            {
                options.AllowedOrigins.Add(endpoint.Authority);
            }
        }
    }
}
