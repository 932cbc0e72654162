using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RestaurantOs.Realtime.Pipeline;
using RestaurantOs.Realtime.Services;

namespace RestaurantOs.Functions.Hosting;

/// <summary>
/// Runs the event pipeline as soon as a write commits, so an order reaches screens in milliseconds rather than at
/// the next timer tick. Each signal starts a pump, up to <c>Pipeline:PagesInFlight</c> at once: a write that commits
/// while earlier pages are publishing is read at once, not after them (the pipeline keeps each restaurant's order and
/// checkpoints pages in read order). Signals coalesce: many writes while every pump slot is busy cause exactly one more
/// pump. The <c>ChangeFeed</c> timer function remains the safety net (and the wake-up on a scaled-to-zero plan). A
/// failed pump (a lane that could not publish) left the checkpoint where it was; no new pump starts for a second, then
/// one repeats that page.
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
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _signal = new(0, 1);
    private readonly TimeSpan _followInterval = options.Value.FollowInterval;
    private readonly TimeSpan _followWindow = options.Value.FollowWindow;
    private readonly int _pagesInFlight = options.Value.PagesInFlight;

    /// <summary>A wait for the signal that outlived a follow interval; the next wait takes it over.</summary>
    private Task? _pendingSignal;

    /// <summary>Until when the feed counts as active (UTC ticks); written by the loop and by finished pumps.</summary>
    private long _followUntil;

    /// <summary>No pump starts before this (UTC ticks): set for a second after a pump failed.</summary>
    private long _retryAt;

    public void NotifyChanged()
    {
        // At most one pending signal: a pump drains the feed each time it runs.
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
        var running = new List<Task>(_pagesInFlight);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                running.RemoveAll(pump => pump.IsCompleted);
                if (running.Count >= _pagesInFlight)
                {
                    await Task.WhenAny(running).ConfigureAwait(false);
                    continue;
                }

                var following = _followInterval > TimeSpan.Zero && time.GetUtcNow().UtcTicks < Volatile.Read(ref _followUntil);
                if (await WaitAsync(following, stoppingToken).ConfigureAwait(false))
                {
                    Follow();
                }

                var pause = new DateTimeOffset(Volatile.Read(ref _retryAt), TimeSpan.Zero) - time.GetUtcNow();
                if (pause > TimeSpan.Zero)
                {
                    await Task.Delay(pause, time, stoppingToken).ConfigureAwait(false);
                }

                running.Add(PumpOnceAsync(stoppingToken));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // Pumps end on the stopping token; none is left running behind the host.
            await Task.WhenAll(running).ConfigureAwait(false);
        }
    }

    /// <summary>One pump; never throws. A failure is logged and holds new pumps back for a second, then retries.</summary>
    private async Task PumpOnceAsync(CancellationToken stoppingToken)
    {
        try
        {
            if (await pipeline.PumpAsync(stoppingToken).ConfigureAwait(false) > 0)
            {
                Follow();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // The timer retries too; keep the loop alive and don't spin on a broken dependency.
            Log.PumpFailed(logger, ex);
            Volatile.Write(ref _retryAt, (time.GetUtcNow() + RetryDelay).UtcTicks);
            NotifyChanged();
        }
    }

    private void Follow() => Volatile.Write(ref _followUntil, (time.GetUtcNow() + _followWindow).UtcTicks);

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
