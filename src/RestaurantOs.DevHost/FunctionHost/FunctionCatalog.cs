using System.Reflection;
using Microsoft.Azure.Functions.Worker;

namespace RestaurantOs.DevHost.FunctionHost;

/// <summary>An HTTP-triggered function found from its attributes: route, methods and the method to call.</summary>
internal sealed record HttpFunction(string Name, Type Class, MethodInfo Method, string Route, IReadOnlyList<string> Methods);

/// <summary>A timer-triggered function and its schedule expression as written (may be <c>%AppSetting%</c>).</summary>
internal sealed record TimerFunction(string Name, Type Class, MethodInfo Method, string Schedule);

/// <summary>
/// Finds the Functions app's functions by the same attributes the Functions SDK reads to write functions.metadata,
/// so DevHost runs the real function classes and never a second implementation.
/// </summary>
internal static class FunctionCatalog
{
    public static (IReadOnlyList<HttpFunction> Http, IReadOnlyList<TimerFunction> Timers) Discover(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var http = new List<HttpFunction>();
        var timers = new List<TimerFunction>();
        foreach (var type in assembly.GetExportedTypes())
        {
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static))
            {
                if (method.GetCustomAttribute<FunctionAttribute>() is not { } function)
                {
                    continue;
                }

                foreach (var parameter in method.GetParameters())
                {
                    if (parameter.GetCustomAttribute<HttpTriggerAttribute>() is { } httpTrigger)
                    {
                        var methods = httpTrigger.Methods is { Length: > 0 } m ? m.Select(x => x.ToUpperInvariant()).ToArray() : ["GET", "POST"];
                        http.Add(new HttpFunction(function.Name, type, method, httpTrigger.Route ?? function.Name, methods));
                    }
                    else if (parameter.GetCustomAttribute<TimerTriggerAttribute>() is { } timerTrigger)
                    {
                        timers.Add(new TimerFunction(function.Name, type, method, timerTrigger.Schedule));
                    }
                }
            }
        }

        return (http, timers);
    }
}
