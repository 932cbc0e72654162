using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.ExceptionServices;

namespace RestaurantOs.Bench.Infrastructure;

/// <summary>
/// Adds <paramref name="delay"/> to every request it forwards, half on the way there and half on the way back: the
/// network and service time of one Web PubSub REST call in Azure, where the service fans a message out before its
/// answer is back. Added to the functions' service client (never to the client WebSocket path). Delays of concurrent
/// calls overlap, as they do over a real network.
/// </summary>
internal sealed class DelayingHandler(TimeSpan delay) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        await Task.Delay(delay / 2, cancellationToken).ConfigureAwait(false);
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        await Task.Delay(delay / 2, cancellationToken).ConfigureAwait(false);
        return response;
    }
}

/// <summary>
/// A decorator for any store port (<c>IOrderStore</c>, <c>IEventHistory</c>, <c>IChangeFeed</c>, ...): every method
/// that returns a task waits half the delay, calls the real store, and waits the other half before it returns (the
/// request's way there and the answer's way back: a feed read sees what committed before it reached the store, a
/// write is visible before its caller hears back); anything else is passed straight through.
/// A proxy rather than one hand-written class per port, so a port that gains a method is delayed without a change
/// here. The wait is outside the real call, so it never holds a lock of the SQLite store: it stands for the round trip
/// to Cosmos DB, where concurrent calls do not queue behind each other.
/// </summary>
[SuppressMessage("Performance", "CA1852:Seal internal types", Justification = "DispatchProxy generates a subclass of it at run time.")]
internal class StoreDelayProxy : DispatchProxy
{
    private static readonly ConcurrentDictionary<Type, MethodInfo> ResultHelpers = new();
    private static readonly MethodInfo TaskOfT = typeof(StoreDelayProxy).GetMethod(nameof(DelayThenTaskAsync), BindingFlags.NonPublic | BindingFlags.Instance)!;
    private static readonly MethodInfo ValueTaskOfT = typeof(StoreDelayProxy).GetMethod(nameof(DelayThenValueTaskAsync), BindingFlags.NonPublic | BindingFlags.Instance)!;

    private object _inner = null!;
    private TimeSpan _delay;
    private FeedHold? _hold;

    /// <summary>Counts every delayed call, so a run can show the decorators were in the path.</summary>
    public static long Calls => Interlocked.Read(ref s_calls);

    private static long s_calls;

    private static readonly ConcurrentDictionary<MethodInfo, long> s_byMethod = new();

    /// <summary>Calls per port method (<c>IChangeFeed.ReadAsync</c>, ...), to price what a run cost the store.</summary>
    public static IReadOnlyDictionary<string, long> CallsByMethod =>
        s_byMethod.GroupBy(p => p.Key.DeclaringType!.Name + "." + p.Key.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(p => p.Value), StringComparer.Ordinal);

    /// <param name="hold">When given, calls naming its consumer wait while it is closed (see <see cref="FeedHold"/>).</param>
    public static T Wrap<T>(T inner, TimeSpan delay, FeedHold? hold) where T : class
    {
        ArgumentNullException.ThrowIfNull(inner);
        var proxy = Create<T, StoreDelayProxy>();
        var self = (StoreDelayProxy)(object)proxy;
        self._inner = inner;
        self._delay = delay;
        self._hold = hold;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        var type = targetMethod.ReturnType;
        s_byMethod.AddOrUpdate(targetMethod, 1, (_, n) => n + 1);
        var token = args?.OfType<CancellationToken>().FirstOrDefault() ?? CancellationToken.None;
        var held = _hold is { } hold && args is not null && args.OfType<string>().Contains(hold.Consumer, StringComparer.Ordinal);
        if (type == typeof(Task))
        {
            return DelayThenAsync(() => (Task)Call(targetMethod, args)!, held, token);
        }

        if (type == typeof(ValueTask))
        {
            return new ValueTask(DelayThenAsync(() => ((ValueTask)Call(targetMethod, args)!).AsTask(), held, token));
        }

        if (type.IsGenericType && (type.GetGenericTypeDefinition() == typeof(Task<>) || type.GetGenericTypeDefinition() == typeof(ValueTask<>)))
        {
            var open = type.GetGenericTypeDefinition() == typeof(Task<>) ? TaskOfT : ValueTaskOfT;
            var helper = ResultHelpers.GetOrAdd(type, t => open.MakeGenericMethod(t.GetGenericArguments()[0]));
            return helper.Invoke(this, [targetMethod, args, held, token]);
        }

        return Call(targetMethod, args);
    }

    private async Task DelayThenAsync(Func<Task> call, bool held, CancellationToken cancellationToken)
    {
        await WaitAsync(held, cancellationToken).ConfigureAwait(false);
        await call().ConfigureAwait(false);
        await ReturnAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<TResult> DelayThenTaskAsync<TResult>(MethodInfo method, object?[]? args, bool held, CancellationToken cancellationToken)
    {
        await WaitAsync(held, cancellationToken).ConfigureAwait(false);
        var result = await ((Task<TResult>)Call(method, args)!).ConfigureAwait(false);
        await ReturnAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    private ValueTask<TResult> DelayThenValueTaskAsync<TResult>(MethodInfo method, object?[]? args, bool held, CancellationToken cancellationToken) =>
        new(DelayThenValueTaskCoreAsync<TResult>(method, args, held, cancellationToken));

    private async Task<TResult> DelayThenValueTaskCoreAsync<TResult>(MethodInfo method, object?[]? args, bool held, CancellationToken cancellationToken)
    {
        await WaitAsync(held, cancellationToken).ConfigureAwait(false);
        var result = await ((ValueTask<TResult>)Call(method, args)!).ConfigureAwait(false);
        await ReturnAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    private async Task WaitAsync(bool held, CancellationToken cancellationToken)
    {
        if (held)
        {
            await _hold!.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        Interlocked.Increment(ref s_calls);
        if (_delay > TimeSpan.Zero)
        {
            await Task.Delay(_delay / 2, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The answer's way back.</summary>
    private Task ReturnAsync(CancellationToken cancellationToken) =>
        _delay > TimeSpan.Zero ? Task.Delay(_delay / 2, cancellationToken) : Task.CompletedTask;

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

/// <summary>
/// Holds every change-feed call of one consumer (the event pipeline's) while closed, so a backlog of committed
/// changes builds up; <see cref="Open"/> lets the pipeline drain it as fast as it can: a saturating load that costs
/// no CPU while it is being published.
/// </summary>
internal sealed class FeedHold(string consumer)
{
    private volatile TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Consumer => consumer;

    public void Open() => _open.TrySetResult();

    public void Close()
    {
        if (_open.Task.IsCompleted)
        {
            _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public Task WaitAsync(CancellationToken cancellationToken) => _open.Task.WaitAsync(cancellationToken);
}
