using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using RestaurantOs.Realtime.Auth;

namespace Microsoft.Extensions.DependencyInjection;

public static class AuthServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IAppTokenValidator"/> bound to the <c>Auth</c> section, validated at start-up
    /// (a bad setting fails the host with a message naming it), plus its metadata HTTP client and TimeProvider.
    /// </summary>
    public static IServiceCollection AddAppTokenValidation(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<AppJwtOptions>()
            .Bind(configuration.GetSection(AppJwtOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AppJwtOptions>, AppJwtOptionsValidator>());
        services.AddHttpClient(AppTokenValidator.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(10));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IAppTokenValidator, AppTokenValidator>();
        return services;
    }
}
