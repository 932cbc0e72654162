namespace RestaurantOs.Bench.Infrastructure;

/// <summary>Wraps the last registration of <see cref="Service"/> in a decorator built from the original instance.</summary>
internal sealed record Decoration(Type Service, Func<IServiceProvider, object, object> Wrap)
{
    public static Decoration For<T>(Func<IServiceProvider, T, T> wrap) where T : class =>
        new(typeof(T), (services, inner) => wrap(services, (T)inner));
}

/// <summary>
/// Builds DevHost's container with some of its registered singletons wrapped in decorators. A provider factory sees
/// the final service list, after DevHost's own registrations, so product code never knows about the bench.
/// </summary>
internal sealed class DecoratingServiceProviderFactory(IReadOnlyList<Decoration> decorations) : IServiceProviderFactory<IServiceCollection>
{
    public IServiceCollection CreateBuilder(IServiceCollection services) => services;

    public IServiceProvider CreateServiceProvider(IServiceCollection containerBuilder)
    {
        foreach (var decoration in decorations)
        {
            var original = containerBuilder.LastOrDefault(d => d.ServiceType == decoration.Service)
                ?? throw new InvalidOperationException($"DevHost registered no {decoration.Service.Name}.");
            containerBuilder.Remove(original);
            containerBuilder.AddSingleton(decoration.Service, sp => decoration.Wrap(sp, Create(sp, original)));
        }

        return containerBuilder.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = false, ValidateScopes = false });
    }

    private static object Create(IServiceProvider services, ServiceDescriptor descriptor) =>
        descriptor.ImplementationInstance
        ?? descriptor.ImplementationFactory?.Invoke(services)
        ?? ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!);
}
