using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace RestaurantOs.WebPubSub.Client;

/// <summary>DI registration of the Web PubSub service client.</summary>
public static class WebPubSubServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IWebPubSubServiceClient"/> (singleton) bound to the <c>WebPubSub</c> section of
    /// <paramref name="configuration"/> (the root configuration), validated at start-up. When
    /// <c>WebPubSub:ConnectionString</c> and <c>WebPubSub:Endpoint</c> are both unset, the Functions extension's
    /// <c>WebPubSubConnectionString</c> app setting is used. Register an <c>Azure.Core.TokenCredential</c> singleton to
    /// override the credential chosen for Microsoft Entra ID. Safe to call more than once.
    /// </summary>
    public static IServiceCollection AddWebPubSubServiceClient(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<WebPubSubOptions>()
            .Bind(configuration.GetSection(WebPubSubOptions.SectionName))
            .PostConfigure(options =>
            {
                if (string.IsNullOrWhiteSpace(options.ConnectionString) && options.Endpoint is null)
                {
                    var functionsSetting = configuration[WebPubSubOptions.FunctionsConnectionStringSetting];
                    if (!string.IsNullOrWhiteSpace(functionsSetting))
                    {
                        options.ConnectionString = functionsSetting;
                    }
                }
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebPubSubOptions>, WebPubSubOptionsValidator>());

        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<WebPubSubMetrics>();
        services.AddHttpClient(WebPubSubServiceClient.HttpClientName, client =>
        {
            // Each attempt has its own timeout (WebPubSub:AttemptTimeout); the overall call is bounded by retries.
            client.Timeout = Timeout.InfiniteTimeSpan;
        });
        services.TryAddSingleton<IWebPubSubServiceClient, WebPubSubServiceClient>();
        return services;
    }
}
