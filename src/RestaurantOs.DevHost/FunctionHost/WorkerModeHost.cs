using System.Reflection;
using RestaurantOs.Realtime.Services;
using RestaurantOs.WorkerHost;

namespace RestaurantOs.DevHost.FunctionHost;

/// <summary>
/// <c>--worker</c>: instead of mapping the function classes by reflection, DevHost runs the built Functions app as its
/// own process over the Functions host protocol (<see cref="FunctionsWorkerHost"/>), exactly as <c>func start</c> and
/// Azure do. <c>/api/*</c> is forwarded to the worker (Web PubSub's event handler included), the worker's timers are
/// invoked on their schedules, and the worker's own change-feed pump publishes events. DevHost's in-process services
/// stay for the development endpoints and the demo, but its pump is never signalled, so it takes no feed lease and
/// the worker publishes every write (the demo's included, at the worker's next ChangeFeed tick).
/// </summary>
internal sealed partial class WorkerModeHost(
    IConfiguration configuration,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<WorkerModeHost> logger) : BackgroundService
{
    /// <summary>Sections and settings of the Functions app that DevHost passes to the worker.</summary>
    private static readonly string[] WorkerSettings =
        ["Auth", "WebPubSub", "Storage", "ConnectionStateProtection", "Pipeline", "ChangeFeedSchedule", "KdsSchedule", "AuthGraceSchedule", "PresenceSchedule", "Presence", "LOG_LEVEL", "APPLICATIONINSIGHTS_CONNECTION_STRING"];

    private readonly TaskCompletionSource<FunctionsWorkerHost> _worker = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The built worker: the Functions project's output folder, recorded when DevHost was built.</summary>
    public static string WorkerAssembly =>
        typeof(WorkerModeHost).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "FunctionsWorkerAssembly").Value!;

    /// <summary>Completes when the worker has loaded its functions.</summary>
    public Task<FunctionsWorkerHost> Worker => _worker.Task;

    /// <summary>Forwards a request to the worker; 503 with <c>Retry-After</c> while it is still starting.</summary>
    public async Task ForwardAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!_worker.Task.IsCompletedSuccessfully)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "1";
            return;
        }

        await HostFront.ForwardAsync(_worker.Task.Result, context).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The worker calls the emulator in this process: start it once DevHost listens.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
        }

        FunctionsWorkerHost worker;
        try
        {
            worker = await FunctionsWorkerHost.StartAsync(WorkerAssembly, Settings(), stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.WorkerFailed(logger, ex);
            _worker.TrySetException(ex);
            lifetime.StopApplication();
            return;
        }

        Log.WorkerStarted(logger, worker.ProcessId, worker.Functions.Count, worker.StartTime.TotalMilliseconds);
        _worker.TrySetResult(worker);
        try
        {
            await Task.WhenAll(worker.Functions.Where(f => f.TriggerType == "timerTrigger")
                .Select(f => RunTimerAsync(worker, f, TimerSchedules.Resolve(f.Name, f.Trigger.GetProperty("schedule").GetString()!, configuration), stoppingToken)))
                .ConfigureAwait(false);
        }
        finally
        {
            await worker.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task RunTimerAsync(FunctionsWorkerHost worker, IndexedFunction timer, Func<DateTimeOffset, DateTimeOffset> next, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            try
            {
                await Task.Delay(next(now) - now, time, stoppingToken).ConfigureAwait(false);
                var result = await worker.InvokeTimerAsync(timer.Name, stoppingToken).ConfigureAwait(false);
                if (result.Result.Status != WorkerHost.Rpc.StatusResult.Types.Status.Success)
                {
                    Log.TimerFailed(logger, timer.Name, result.Result.Exception?.Message ?? "no result");
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>The Functions app's settings as DevHost resolved them, with the store path made absolute for the worker.</summary>
    private Dictionary<string, string> Settings()
    {
        var settings = configuration.AsEnumerable()
            .Where(kv => kv.Value is not null && WorkerSettings.Any(s => kv.Key == s || kv.Key.StartsWith(s + ":", StringComparison.OrdinalIgnoreCase)))
            .ToDictionary(kv => kv.Key, kv => kv.Value!, StringComparer.OrdinalIgnoreCase);
        if (settings.TryGetValue("Storage:Sqlite:Path", out var path))
        {
            settings["Storage:Sqlite:Path"] = Path.GetFullPath(path);
        }

        return settings;
    }

    /// <summary>In worker mode DevHost's own pump is never signalled: the worker publishes.</summary>
    internal sealed class NoChangeNotifier : IChangeNotifier
    {
        public void NotifyChanged()
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Functions worker started (pid {ProcessId}): {FunctionCount} functions loaded in {StartMs} ms.")]
        public static partial void WorkerStarted(ILogger logger, int processId, int functionCount, double startMs);

        [LoggerMessage(2, LogLevel.Critical, "The Functions worker did not start; DevHost stops.")]
        public static partial void WorkerFailed(ILogger logger, Exception exception);

        [LoggerMessage(3, LogLevel.Warning, "Timer function {FunctionName} failed in the worker: {Error}")]
        public static partial void TimerFailed(ILogger logger, string functionName, string error);
    }
}
