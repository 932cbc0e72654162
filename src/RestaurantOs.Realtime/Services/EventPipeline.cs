using Microsoft.Extensions.Logging;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Events;
using RestaurantOs.Realtime.Kds;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Protocol;
using System.Text.Json;

namespace RestaurantOs.Realtime.Services;

/// <summary>
/// Turns committed store changes into events: map, append to history (which assigns the per-restaurant seq),
/// publish, then checkpoint. At least once: after a crash the same changes are read again, their event ids are
/// the same, history returns the stored events, and they are published again (clients drop what they have).
/// One pump runs at a time per process; across instances the store's consumer lease keeps one reader.
/// </summary>
public sealed partial class EventPipeline(
    IChangeFeed changeFeed,
    IEventHistory history,
    IEventPublisher publisher,
    RealtimeMetrics metrics,
    TimeProvider time,
    ILogger<EventPipeline> logger) : IDisposable
{
    public const string Consumer = "events";
    private const int BatchSize = 100;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Reads and publishes until the feed is drained. Returns the number of events published.</summary>
    public async Task<int> PumpAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var published = 0;
            while (true)
            {
                var batch = await changeFeed.ReadAsync(Consumer, BatchSize, cancellationToken).ConfigureAwait(false);
                foreach (var change in batch.Changes)
                {
                    published += await PublishChangeAsync(change, cancellationToken).ConfigureAwait(false);
                }

                if (batch.Changes.Count > 0 || batch.Continuation is not null)
                {
                    await changeFeed.CheckpointAsync(Consumer, batch.Continuation, cancellationToken).ConfigureAwait(false);
                }

                if (batch.Changes.Count < BatchSize)
                {
                    return published;
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<int> PublishChangeAsync(StoreChange change, CancellationToken cancellationToken)
    {
        IReadOnlyList<NewEvent> events;
        try
        {
            events = ChangeEventMapper.Map(change);
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException)
        {
            // A document another service wrote in a shape we cannot read: skip it rather than block the feed.
            Log.UnreadableChange(logger, change.ChangeId, change.Kind, ex);
            metrics.Error("UNREADABLE_CHANGE");
            return 0;
        }

        foreach (var newEvent in events)
        {
            var (stored, appended) = await history.AppendAsync(newEvent, cancellationToken).ConfigureAwait(false);
            await publisher.PublishAsync(stored, cancellationToken).ConfigureAwait(false);
            metrics.EventPublished(stored.Type, (time.GetUtcNow() - change.CommittedAt).TotalMilliseconds);
            Log.Published(logger, stored.Type, stored.RestaurantId, stored.Seq, appended);
        }

        return events.Count;
    }

    public void Dispose() => _gate.Dispose();

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Published {EventType} for restaurant {RestaurantId} with seq {Seq} (new: {Appended}).")]
        public static partial void Published(ILogger logger, string eventType, Guid? restaurantId, long? seq, bool appended);

        [LoggerMessage(2, LogLevel.Warning, "Skipped change {ChangeId} of kind {Kind}: its document could not be read.")]
        public static partial void UnreadableChange(ILogger logger, string changeId, DocumentKind kind, Exception exception);
    }
}

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

                if (batch.Changes.Count < BatchSize)
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
