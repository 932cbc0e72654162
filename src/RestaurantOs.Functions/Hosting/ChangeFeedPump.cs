using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RestaurantOs.Realtime.Pipeline;
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
/// <remarks>
/// A signal only reaches the instance that committed the write, and with several instances another one may hold the
/// lease of that restaurant's feed range. So while the feed is active (a signal or a published event within
/// <see cref="PipelineOptions.FollowWindow"/>) the pump also reads every <see cref="PipelineOptions.FollowInterval"/>:
/// the holder publishes other instances' writes within that interval instead of at its next timer tick.
/// </remarks>
public sealed partial class ChangeFeedPump(
    EventPipeline pipeline,
    IOptions<PipelineOptions> options,
    TimeProvider time,
    ILogger<ChangeFeedPump> logger) : BackgroundService, IChangeNotifier
{
    private readonly SemaphoreSlim _signal = new(0, 1);
    private readonly TimeSpan _followInterval = options.Value.FollowInterval;
    private readonly TimeSpan _followWindow = options.Value.FollowWindow;

    /// <summary>A wait for the signal that outlived a follow interval; the next wait takes it over.</summary>
    private Task? _pendingSignal;

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
        var followUntil = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var following = _followInterval > TimeSpan.Zero && time.GetUtcNow() < followUntil;
                if (await WaitAsync(following, stoppingToken).ConfigureAwait(false))
                {
                    followUntil = time.GetUtcNow() + _followWindow;
                }

                if (await pipeline.PumpAsync(stoppingToken).ConfigureAwait(false) > 0)
                {
                    followUntil = time.GetUtcNow() + _followWindow;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The timer retries; keep the loop alive and don't spin on a broken dependency.
                Log.PumpFailed(logger, ex);
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken).ConfigureAwait(false);
                NotifyChanged();
            }
        }
    }

    /// <summary>
    /// Waits for a signal (returns true) or, when following, for the follow interval to pass (returns false). A signal
    /// wait cut short by the interval stays pending and is taken over by the next wait, so no signal is lost.
    /// </summary>
    private async Task<bool> WaitAsync(bool following, CancellationToken cancellationToken)
    {
        var signal = _pendingSignal ?? _signal.WaitAsync(cancellationToken);
        _pendingSignal = null;
        if (!following)
        {
            await signal.ConfigureAwait(false);
            return true;
        }

        using var interval = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tick = Task.Delay(_followInterval, time, interval.Token);
        var first = await Task.WhenAny(signal, tick).ConfigureAwait(false);
        await interval.CancelAsync().ConfigureAwait(false);
        if (first == signal)
        {
            await signal.ConfigureAwait(false);
            return true;
        }

        cancellationToken.ThrowIfCancellationRequested();
        _pendingSignal = signal;
        return false;
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
