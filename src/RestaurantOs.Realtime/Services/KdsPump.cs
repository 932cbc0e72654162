using System.Text.Json;
using Microsoft.Extensions.Logging;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Kds;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Protocol;

namespace RestaurantOs.Realtime.Services;

/// <summary>
/// The KDS timer's work: orders changed since the last tick collapse to their newest state and go out as one
/// <c>kds:update</c> per restaurant. Reads its own change-feed consumer, so it never competes with the event pipeline.
/// </summary>
public sealed partial class KdsPump(
    IChangeFeed changeFeed,
    IEventPublisher publisher,
    RealtimeMetrics metrics,
    TimeProvider time,
    ILogger<KdsPump> logger) : IDisposable
{
    public const string Consumer = "kds";
    private const int BatchSize = 500;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Sends one batch per restaurant that changed; returns the number of <c>kds:update</c> messages sent.</summary>
    public async Task<int> TickAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var changed = new List<Order>();
            string? continuation = null;
            var read = false;
            while (true)
            {
                var batch = await changeFeed.ReadAsync(Consumer, BatchSize, cancellationToken).ConfigureAwait(false);
                read |= batch.Changes.Count > 0;
                continuation = batch.Continuation ?? continuation;
                foreach (var change in batch.Changes)
                {
                    if (change.Kind == DocumentKind.Order &&
                        change.Document.Deserialize(RealtimeJsonContext.Default.Order) is { } order)
                    {
                        changed.Add(order);
                    }
                }

                if (!batch.MayHaveMore(BatchSize))
                {
                    break;
                }

                // Checkpoint each full page so a very large backlog is not read twice after a crash.
                await changeFeed.CheckpointAsync(Consumer, batch.Continuation, cancellationToken).ConfigureAwait(false);
            }

            var updates = KdsBatcher.Build(changed, time.GetUtcNow());
            foreach (var update in updates)
            {
                await publisher.PublishAsync(update, cancellationToken).ConfigureAwait(false);
                metrics.EventPublished(update.Type, 0);
            }

            if (read)
            {
                await changeFeed.CheckpointAsync(Consumer, continuation, cancellationToken).ConfigureAwait(false);
            }

            if (updates.Count > 0)
            {
                Log.Sent(logger, updates.Count, changed.Count);
            }

            return updates.Count;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Sent {Updates} kds:update messages for {Changes} order changes.")]
        public static partial void Sent(ILogger logger, int updates, int changes);
    }
}
