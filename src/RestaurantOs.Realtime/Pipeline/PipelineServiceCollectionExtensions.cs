using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using RestaurantOs.Realtime.Pipeline;
using RestaurantOs.Realtime.Services;

namespace Microsoft.Extensions.DependencyInjection;

public static class PipelineServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="EventPipeline"/> and <see cref="KdsPump"/> (singletons) with <see cref="PipelineOptions"/>
    /// bound to the <c>Pipeline</c> section and validated at start-up. The ports they use (change feed, history,
    /// publisher), <see cref="RealtimeMetrics"/> and a <see cref="TimeProvider"/> are registered elsewhere.
    /// </summary>
    public static IServiceCollection AddEventPipeline(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<PipelineOptions>()
            .Bind(configuration.GetSection(PipelineOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PipelineOptions>, PipelineOptionsValidator>());
        services.TryAddSingleton<EventPipeline>();
        services.TryAddSingleton<KdsPump>();
        return services;
    }
}
