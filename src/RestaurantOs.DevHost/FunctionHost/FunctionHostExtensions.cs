using System.Reflection;
using Microsoft.AspNetCore.Routing.Patterns;

namespace RestaurantOs.DevHost.FunctionHost;

/// <summary>Maps the Functions app's HTTP functions under <c>/api</c> and runs its timers on their schedules.</summary>
internal static class FunctionHostExtensions
{
    public const string RoutePrefix = "api";

    public static IServiceCollection AddFunctionTimers(this IServiceCollection services, Assembly functionsAssembly)
    {
        var (_, timers) = FunctionCatalog.Discover(functionsAssembly);
        services.AddSingleton<IReadOnlyList<TimerFunction>>(timers);
        services.AddHostedService<FunctionTimerScheduler>();
        return services;
    }

    public static IReadOnlyList<HttpFunction> MapFunctions(this IEndpointRouteBuilder endpoints, Assembly functionsAssembly)
    {
        var (http, _) = FunctionCatalog.Discover(functionsAssembly);
        foreach (var function in http)
        {
            var pattern = RoutePatternFactory.Parse($"/{RoutePrefix}/{function.Route.TrimStart('/')}");
            FunctionInvoker.EnsureBindable(function.Name, function.Method, [.. pattern.Parameters.Select(p => p.Name)]);
            endpoints.MapMethods(pattern.RawText!, function.Methods, context => FunctionInvoker.InvokeHttpAsync(function, context))
                .WithName(function.Name)
                .WithDisplayName($"Function {function.Name}");
        }

        return http;
    }
}
