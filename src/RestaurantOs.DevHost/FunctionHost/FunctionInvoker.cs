using System.Reflection;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.Azure.Functions.Worker;

namespace RestaurantOs.DevHost.FunctionHost;

/// <summary>
/// Calls a function method the way the Functions host would: a new instance from DI per invocation (constructor
/// injection, scoped services), parameters bound from the trigger, and the <see cref="IActionResult"/> executed on
/// the response.
/// </summary>
internal static class FunctionInvoker
{
    /// <summary>Checks at start-up that every parameter is one DevHost can bind, naming the function when not.</summary>
    public static void EnsureBindable(string functionName, MethodInfo method, IReadOnlyCollection<string> routeParameters)
    {
        foreach (var parameter in method.GetParameters())
        {
            var type = parameter.ParameterType;
            var bindable = type == typeof(HttpRequest) || type == typeof(HttpContext) || type == typeof(CancellationToken) ||
                type == typeof(TimerInfo) || (type == typeof(string) && routeParameters.Contains(parameter.Name!, StringComparer.OrdinalIgnoreCase));
            if (!bindable)
            {
                throw new InvalidOperationException(
                    $"DevHost cannot bind parameter '{parameter.Name}' ({type.Name}) of function '{functionName}'. " +
                    "Supported: HttpRequest, HttpContext, CancellationToken, TimerInfo and string route values.");
            }
        }
    }

    public static async Task InvokeHttpAsync(HttpFunction function, HttpContext context)
    {
        var instance = ActivatorUtilities.GetServiceOrCreateInstance(context.RequestServices, function.Class);
        var arguments = function.Method.GetParameters().Select(p => BindHttp(p, context)).ToArray();
        var result = await InvokeAsync(function.Method, instance, arguments).ConfigureAwait(false);
        switch (result)
        {
            case IActionResult actionResult:
                await actionResult.ExecuteResultAsync(new ActionContext(context, context.GetRouteData(), new ActionDescriptor())).ConfigureAwait(false);
                break;
            case IResult httpResult:
                await httpResult.ExecuteAsync(context).ConfigureAwait(false);
                break;
            case null when !context.Response.HasStarted:
                context.Response.StatusCode = StatusCodes.Status204NoContent;
                break;
        }
    }

    public static async Task InvokeTimerAsync(TimerFunction function, IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var instance = ActivatorUtilities.GetServiceOrCreateInstance(scope.ServiceProvider, function.Class);
        var arguments = function.Method.GetParameters()
            .Select(p => p.ParameterType == typeof(CancellationToken) ? cancellationToken : (object)new TimerInfo())
            .ToArray();
        await InvokeAsync(function.Method, instance, arguments).ConfigureAwait(false);
    }

    private static object? BindHttp(ParameterInfo parameter, HttpContext context)
    {
        var type = parameter.ParameterType;
        if (type == typeof(HttpRequest))
        {
            return context.Request;
        }

        if (type == typeof(HttpContext))
        {
            return context;
        }

        if (type == typeof(CancellationToken))
        {
            return context.RequestAborted;
        }

        return context.Request.RouteValues.TryGetValue(parameter.Name!, out var value) ? value?.ToString() : null;
    }

    private static async Task<object?> InvokeAsync(MethodInfo method, object instance, object?[] arguments)
    {
        object? returned;
        try
        {
            returned = method.Invoke(instance, arguments);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
            throw;
        }

        if (returned is not Task task)
        {
            return returned;
        }

        await task.ConfigureAwait(false);
        var resultProperty = task.GetType().GetProperty(nameof(Task<object>.Result));
        return resultProperty is not null && task.GetType().IsGenericType ? resultProperty.GetValue(task) : null;
    }
}
