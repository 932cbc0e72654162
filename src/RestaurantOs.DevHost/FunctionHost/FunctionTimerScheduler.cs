namespace RestaurantOs.DevHost.FunctionHost;

/// <summary>
/// Runs timer-triggered functions on their schedules: NCRONTAB with seconds (as Azure Functions reads it) or a
/// <c>hh:mm:ss</c> interval, with <c>%Setting%</c> resolved from configuration. A run that is still going when
/// the next one is due is not overlapped (Azure Functions' singleton behaviour for timers).
/// </summary>
internal sealed partial class FunctionTimerScheduler(
    IReadOnlyList<TimerFunction> timers,
    IServiceProvider services,
    IConfiguration configuration,
    TimeProvider time,
    ILogger<FunctionTimerScheduler> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(timers.Select(t => RunAsync(t, Resolve(t), stoppingToken)));

    internal Func<DateTimeOffset, DateTimeOffset> Resolve(TimerFunction timer) => TimerSchedules.Resolve(timer.Name, timer.Schedule, configuration);

    private async Task RunAsync(TimerFunction timer, Func<DateTimeOffset, DateTimeOffset> next, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            var due = next(now);
            try
            {
                await Task.Delay(due - now, time, stoppingToken).ConfigureAwait(false);
                await FunctionInvoker.InvokeTimerAsync(timer, services, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.TimerFailed(logger, timer.Name, ex);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Timer function {FunctionName} failed; it runs again at its next occurrence.")]
        public static partial void TimerFailed(ILogger logger, string functionName, Exception exception);
    }
}
