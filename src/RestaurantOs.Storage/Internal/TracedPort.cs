using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.ExceptionServices;
using RestaurantOs.Realtime.Telemetry;

namespace RestaurantOs.Storage.Internal;

/// <summary>
/// A store port with a span around every call: <c>store {target}.{operation}</c> (e.g. <c>store orders.create</c>)
/// with <c>db.system.name</c>, <c>db.operation.name</c>, the restaurant id and the outcome. One decorator for every
/// port and both stores, so no store method can be left out; with no listener it adds one reflection call to an I/O
/// call and starts nothing.
/// </summary>
[SuppressMessage("Performance", "CA1852:Seal internal types", Justification = "DispatchProxy generates a subclass of it at run time.")]
internal class TracedPort : DispatchProxy
{
    private static readonly ConcurrentDictionary<MethodInfo, string> Operations = new();
    private static readonly ConcurrentDictionary<Type, MethodInfo> ResultHelpers = new();
    private static readonly ConcurrentDictionary<Type, PropertyInfo?> RestaurantIds = new();
    private static readonly MethodInfo TaskOfT = typeof(TracedPort).GetMethod(nameof(TracedTaskAsync), BindingFlags.NonPublic | BindingFlags.Static)!;

    private object _inner = null!;
    private string _system = null!;
    private string _target = null!;

    public static T Wrap<T>(T inner, string system, string target)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(inner);
        var proxy = Create<T, TracedPort>();
        var self = (TracedPort)(object)proxy;
        self._inner = inner;
        self._system = system;
        self._target = target;
        return proxy;
    }

    /// <summary>The store behind a traced port (the port itself when it is not traced).</summary>
    public static object InnerOf(object port) => port is TracedPort traced ? traced._inner : port;

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        var activity = Start(targetMethod, args);
        if (activity is null)
        {
            return Call(targetMethod, args);
        }

        object? result;
        try
        {
            result = Call(targetMethod, args);
        }
        catch (Exception ex)
        {
            Fail(activity, ex);
            activity.Dispose();
            throw;
        }

        var type = targetMethod.ReturnType;
        if (result is Task task && type == typeof(Task))
        {
            return TracedAsync(task, activity);
        }

        if (result is Task && type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Task<>))
        {
            var helper = ResultHelpers.GetOrAdd(type, t => TaskOfT.MakeGenericMethod(t.GetGenericArguments()[0]));
            return helper.Invoke(null, [result, activity]);
        }

        // Synchronous members (none today) and ValueTasks end here; their span covers the call only.
        activity.Dispose();
        return result;
    }

    private Activity? Start(MethodInfo method, object?[]? args)
    {
        if (!RealtimeTracing.Source.HasListeners())
        {
            return null;
        }

        var operation = Operations.GetOrAdd(method, static m =>
        {
            var name = m.Name.EndsWith("Async", StringComparison.Ordinal) ? m.Name[..^5] : m.Name;
            return char.ToLowerInvariant(name[0]) + name[1..];
        });
        var activity = RealtimeTracing.Source.StartActivity($"store {_target}.{operation}", ActivityKind.Client);
        if (activity is not null)
        {
            activity.SetTag("db.system.name", _system);
            activity.SetTag("db.operation.name", operation);
            activity.SetTag("db.collection.name", _target);
            if (RestaurantOf(args) is { } restaurant)
            {
                activity.SetTag("realtime.restaurant_id", restaurant.ToString());
            }
        }

        return activity;
    }

    /// <summary>The restaurant a call is about: its first <see cref="Guid"/> argument, or a document's <c>RestaurantId</c>.</summary>
    private static Guid? RestaurantOf(object?[]? args)
    {
        foreach (var arg in args ?? [])
        {
            var id = arg switch
            {
                Guid guid => guid,
                null or string or CancellationToken => (Guid?)null,
                _ => RestaurantIds.GetOrAdd(arg.GetType(), static t => t.GetProperty("RestaurantId") is { PropertyType: var p } property && p == typeof(Guid) ? property : null)?.GetValue(arg) as Guid?,
            };
            if (id is { } restaurant && restaurant != Guid.Empty)
            {
                return restaurant;
            }
        }

        return null;
    }

    private static async Task TracedAsync(Task task, Activity activity)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Fail(activity, ex);
            throw;
        }
        finally
        {
            activity.Dispose();
        }
    }

    private static async Task<TResult> TracedTaskAsync<TResult>(Task<TResult> task, Activity activity)
    {
        try
        {
            return await task.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Fail(activity, ex);
            throw;
        }
        finally
        {
            activity.Dispose();
        }
    }

    private static void Fail(Activity activity, Exception exception)
    {
        activity.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
        activity.SetTag("error.type", exception.GetType().FullName);
    }

    private object? Call(MethodInfo method, object?[]? args)
    {
        try
        {
            return method.Invoke(_inner, args);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
            throw;
        }
    }
}
