using Microsoft.Extensions.Logging;
using RestaurantOs.Realtime.Events;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Protocol;
using RestaurantOs.Realtime.Routing;

namespace RestaurantOs.Realtime.Services;

/// <summary>
/// Closes connections that did not authenticate in time, without a connection registry: a pending connection
/// joins the group of its deadline's time bucket, and a timer closes every bucket whose end has passed
/// (after telling its members <c>AUTH_TIMEOUT</c>). A connection that authenticates leaves its bucket first.
/// </summary>
public sealed partial class AuthGraceSweeper(
    IConnectionManager connections,
    IEventPublisher publisher,
    TimeProvider time,
    ILogger<AuthGraceSweeper> logger) : IDisposable
{
    /// <summary>Width of one deadline bucket: a connection is closed at most this long after its deadline (plus the timer period).</summary>
    public static readonly TimeSpan BucketSize = TimeSpan.FromSeconds(2);

    /// <summary>How far back a sweep looks after a restart; buckets older than this were swept by an earlier run or are empty.</summary>
    public static readonly TimeSpan Lookback = TimeSpan.FromMinutes(1);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _nextBucketStartMs;

    /// <summary>Closes every bucket that ended since the last sweep; returns how many buckets it closed.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var size = (long)BucketSize.TotalMilliseconds;
            var nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
            var start = Math.Max(_nextBucketStartMs, (nowMs - (long)Lookback.TotalMilliseconds) / size * size);
            var swept = 0;
            for (var bucketStart = start; bucketStart + size <= nowMs; bucketStart += size)
            {
                var group = GroupRouting.AuthPendingGroup(DateTimeOffset.FromUnixTimeMilliseconds(bucketStart), BucketSize);
                var message = EventFactory.Error(ErrorCodes.AuthTimeout, "No auth message within the grace period.", time.GetUtcNow());
                await publisher.SendToGroupAsync(group, message, cancellationToken).ConfigureAwait(false);
                await connections.CloseGroupAsync(group, ErrorCodes.AuthTimeout, cancellationToken).ConfigureAwait(false);
                _nextBucketStartMs = bucketStart + size;
                swept++;
            }

            if (swept > 0)
            {
                Log.Swept(logger, swept);
            }

            return swept;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Trace, "Closed {Buckets} expired auth-grace buckets.")]
        public static partial void Swept(ILogger logger, int buckets);
    }
}
