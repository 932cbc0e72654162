using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RestaurantOs.Realtime.Services;

namespace RestaurantOs.Functions.Hosting;

/// <summary>
/// Runs the event pipeline as soon as a write commits, so an order reaches screens in milliseconds rather than at
/// the next timer tick. Signals coalesce: many writes during one pump cause exactly one more pump. The
/// <c>ChangeFeed</c> timer function remains the safety net (and the wake-up on a scaled-to-zero plan). One pump runs at
/// a time; it is concurrent inside (one lane per restaurant, <c>Pipeline:MaxConcurrency</c> at once), so this loop
/// never serializes restaurants behind each other. A failed pump (a lane that could not publish) left the checkpoint
/// where it was; the loop pumps again after a second and repeats that page.
/// </summary>
public sealed partial class ChangeFeedPump(EventPipeline pipeline, ILogger<ChangeFeedPump> logger) : BackgroundService, IChangeNotifier
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void NotifyChanged()
    {
        // At most one pending signal: the pump drains the whole feed each time it runs.
        if (_signal.CurrentCount == 0)
        {
            try
            {
                _signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another writer signalled at the same moment; one pending signal is enough.
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _signal.WaitAsync(stoppingToken).ConfigureAwait(false);
                await pipeline.PumpAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The timer retries; keep the loop alive and don't spin on a broken dependency.
                Log.PumpFailed(logger, ex);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
                NotifyChanged();
            }
        }
    }

    public override void Dispose()
    {
        _signal.Dispose();
        base.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "The change-feed pump failed; it will retry.")]
        public static partial void PumpFailed(ILogger logger, Exception exception);
    }
}
