using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Events;
using RestaurantOs.Realtime.Pipeline;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Telemetry;

namespace RestaurantOs.Realtime.Services;

/// <summary>
/// Turns committed store changes into events, one lane per restaurant, many restaurants and pages at once.
/// <list type="number">
/// <item>A pump reads a page of the <c>events</c> consumer, starting where the last page read ended (at the checkpoint
/// when no page is in flight), and splits it into lanes, one per restaurant (<see cref="RestaurantLane"/>).</item>
/// <item>A lane waits for its restaurant's lane of the page read before, then for one of
/// <see cref="PipelineOptions.MaxConcurrency"/> slots. It maps its changes, appends their events to history in one
/// call (which assigns the restaurant's next seqs) and publishes them one call at a time in seq order.</item>
/// <item>A page is checkpointed when all its lanes finished and the page read before it was checkpointed.</item>
/// </list>
/// Pumps may run at once, and each reads the next page: the change-feed pump starts one per signal, up to
/// <see cref="PipelineOptions.PagesInFlight"/>, so a write that commits while a page is being published is read at
/// once instead of after that page (<see cref="PageChain"/> keeps the order).
/// <para>Order: a restaurant's lanes run one after another in read order, each publishing one call at a time, so each
/// restaurant's events leave in seq order. At least once: a failed lane holds its restaurant's later lanes (they would
/// publish past the gap) and every later page's checkpoint; <see cref="PumpAsync"/> throws, and the next read starts at
/// the checkpoint, so the failed page is read again. A repeated page yields the same event ids, history returns the
/// stored events (same seq), and they are published again; clients drop what they have. Across instances the store's
/// consumer leases keep one reader per feed range.</para>
/// </summary>
public sealed partial class EventPipeline : IDisposable
{
    public const string Consumer = "events";

    private readonly IChangeFeed _changeFeed;
    private readonly IEventHistory _history;
    private readonly IEventPublisher _publisher;
    private readonly RealtimeMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<EventPipeline> _logger;
    private readonly int _batchSize;
    private readonly SemaphoreSlim _readGate = new(1, 1);
    private readonly SemaphoreSlim _laneSlots;
    private readonly PageChain _chain = new();

    public EventPipeline(
        IChangeFeed changeFeed,
        IEventHistory history,
        IEventPublisher publisher,
        IOptions<PipelineOptions> options,
        RealtimeMetrics metrics,
        TimeProvider time,
        ILogger<EventPipeline> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _changeFeed = changeFeed;
        _history = history;
        _publisher = publisher;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _batchSize = options.Value.BatchSize;
        _laneSlots = new SemaphoreSlim(options.Value.MaxConcurrency, options.Value.MaxConcurrency);
    }

    /// <summary>
    /// Reads and publishes until the feed is drained: a page at a time, each published and checkpointed before the
    /// next is read. Other pumps may run at the same time; each then reads on from the pages already in flight.
    /// Returns the number of events this pump published.
    /// </summary>
    /// <exception cref="AggregateException">
    /// One or more restaurant lanes failed (the inner exceptions); the feed position was not advanced.
    /// </exception>
    public async Task<int> PumpAsync(CancellationToken cancellationToken)
    {
        var published = 0;
        while (true)
        {
            var page = await ReadPageAsync(cancellationToken).ConfigureAwait(false);
            if (page is null)
            {
                return published;
            }

            published += await PublishPageAsync(page, cancellationToken).ConfigureAwait(false);
            if (!page.Full)
            {
                return published;
            }
        }
    }

    /// <summary>Reads the next page and chains it behind the pages in flight; null when there is nothing to do.</summary>
    private async Task<FeedPage?> ReadPageAsync(CancellationToken cancellationToken)
    {
        await _readGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                var (after, generation) = _chain.NextRead();
                var batch = await _changeFeed.ReadAsync(Consumer, _batchSize, after, cancellationToken).ConfigureAwait(false);
                if (batch.Changes.Count == 0 && batch.Continuation is null)
                {
                    return null;
                }

                if (_chain.Append(generation, batch, full: batch.MayHaveMore(_batchSize)) is { } page)
                {
                    return page;
                }

                // A page failed during the read: the position it started from no longer holds. Read from the checkpoint.
            }
        }
        finally
        {
            _readGate.Release();
        }
    }

    /// <summary>
    /// Runs every lane of the page, then checkpoints it once the page before it is settled. Throws if a lane failed.
    /// </summary>
    private async Task<int> PublishPageAsync(FeedPage page, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var checkpointed = false;
        // One span per page that has changes or moved the feed: the publishes link to it.
        using var span = RealtimeTracing.Source.StartActivity("realtime.page", ActivityKind.Internal);
        span?.SetTag("realtime.changes", page.Batch.Changes.Count);
        span?.SetTag("realtime.lanes", page.Lanes.Count);
        try
        {
            var outcomes = await Task.WhenAll(page.Lanes.Select(lane => RunChainedLaneAsync(lane, cancellationToken))).ConfigureAwait(false);
            var failures = outcomes.Where(o => o.Failure is not null).Select(o => o.Failure!).ToList();
            if (failures.Count > 0 || cancellationToken.IsCancellationRequested)
            {
                _chain.Restart(page.Generation);
            }

            var previousCheckpointed = await page.PreviousCheckpointedAsync(cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            var published = outcomes.Sum(o => o.Published);
            var held = outcomes.Count(o => o.Held);
            if (failures.Count > 0)
            {
                Log.PageHeld(_logger, failures.Count, page.Lanes.Count, page.Batch.Changes.Count);
                throw new AggregateException(
                    $"{failures.Count} of {page.Lanes.Count} restaurant lanes failed; the feed position was not advanced and the page will be read again.",
                    failures);
            }

            if (held > 0 || !previousCheckpointed)
            {
                // An earlier page failed; its pump reports it. This page is read again after the checkpoint.
                Log.PageBehindFailure(_logger, page.Batch.Changes.Count, held);
                return published;
            }

            if (page.Batch.Continuation is not null)
            {
                await _changeFeed.CheckpointAsync(Consumer, page.Batch.Continuation, cancellationToken).ConfigureAwait(false);
            }

            checkpointed = true;
            Log.PagePublished(_logger, page.Batch.Changes.Count, page.Lanes.Count, published, _time.GetElapsedTime(started).TotalMilliseconds);
            return published;
        }
        catch when (!checkpointed)
        {
            _chain.Restart(page.Generation);
            throw;
        }
        finally
        {
            page.Settle(checkpointed);
            if (page.Lanes.Count > 0)
            {
                _metrics.BatchCompleted(page.Lanes.Count, _time.GetElapsedTime(started).TotalMilliseconds, checkpointed);
            }
        }
    }

    /// <summary>Runs a lane once its restaurant's previous lane ended; never throws (the outcome carries a failure).</summary>
    private async Task<LaneOutcome> RunChainedLaneAsync(ChainedLane lane, CancellationToken cancellationToken)
    {
        var succeeded = false;
        try
        {
            if (!await lane.PreviousSucceededAsync(cancellationToken).ConfigureAwait(false))
            {
                return new LaneOutcome(0, Held: true, Failure: null);
            }

            await _laneSlots.WaitAsync(cancellationToken).ConfigureAwait(false);
            _metrics.LaneStarted();
            try
            {
                var published = await RunLaneAsync(lane.Lane, cancellationToken).ConfigureAwait(false);
                succeeded = true;
                return new LaneOutcome(published, Held: false, Failure: null);
            }
            finally
            {
                _metrics.LaneFinished(succeeded);
                _laneSlots.Release();
            }
        }
        catch (Exception ex)
        {
            // Isolated: the other lanes go on. This lane's events after the failure stay unpublished (never out of
            // order), and the page is read again.
            if (!cancellationToken.IsCancellationRequested)
            {
                Log.LaneFailed(_logger, lane.Lane.RestaurantId, lane.Lane.Changes.Count, ex);
            }

            return new LaneOutcome(0, Held: false, Failure: ex);
        }
        finally
        {
            lane.Complete(succeeded);
            _chain.Finished(lane);
        }
    }

    private readonly record struct LaneOutcome(int Published, bool Held, Exception? Failure);

    /// <summary>One restaurant's changes of the page: map, append in one call, publish one at a time in seq order.</summary>
    private async Task<int> RunLaneAsync(RestaurantLane lane, CancellationToken cancellationToken)
    {
        var newEvents = new List<NewEvent>(lane.Changes.Count * 2);
        var committedAt = new List<DateTimeOffset>(lane.Changes.Count * 2);
        var writtenIn = new List<string?>(lane.Changes.Count * 2);
        foreach (var change in lane.Changes)
        {
            IReadOnlyList<NewEvent> mapped;
            try
            {
                mapped = ChangeEventMapper.Map(change);
            }
            catch (Exception ex) when (ex is JsonException or InvalidDataException)
            {
                // A document another service wrote in a shape we cannot read: skip it rather than block the feed.
                Log.UnreadableChange(_logger, change.ChangeId, change.Kind, ex);
                _metrics.Error("UNREADABLE_CHANGE");
                continue;
            }

            newEvents.AddRange(mapped);
            committedAt.AddRange(Enumerable.Repeat(change.CommittedAt, mapped.Count));
            writtenIn.AddRange(Enumerable.Repeat(change.TraceParent, mapped.Count));
        }

        if (newEvents.Count == 0)
        {
            return 0;
        }

        var stored = await _history.AppendManyAsync(newEvents, cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < stored.Count; i++)
        {
            var (realtimeEvent, appended) = stored[i];
            // The publish continues the trace of the write that caused it (the change carries its traceparent), and
            // links to the feed page that carried it, so one trace shows the write reaching Web PubSub.
            using (var publish = StartPublishActivity(realtimeEvent, writtenIn[i]))
            {
                await _publisher.PublishAsync(realtimeEvent, cancellationToken).ConfigureAwait(false);
            }

            _metrics.EventPublished(realtimeEvent.Type, (_time.GetUtcNow() - committedAt[i]).TotalMilliseconds);
            Log.Published(_logger, realtimeEvent.Type, realtimeEvent.RestaurantId, realtimeEvent.Seq, appended);
        }

        return stored.Count;
    }

    private static Activity? StartPublishActivity(RealtimeEvent realtimeEvent, string? writtenIn)
    {
        if (!RealtimeTracing.Source.HasListeners())
        {
            return null;
        }

        var parent = RealtimeTracing.ContextFrom(writtenIn);
        ActivityLink[]? links = parent != default && Activity.Current is { } page ? [new ActivityLink(page.Context)] : null;
        var activity = RealtimeTracing.Source.StartActivity(ActivityKind.Producer, parent, links: links, name: "realtime.publish " + realtimeEvent.Type);
        activity?.SetTag("messaging.system", "azure_web_pubsub");
        activity?.SetTag("realtime.event.type", realtimeEvent.Type);
        activity?.SetTag("realtime.restaurant_id", realtimeEvent.RestaurantId?.ToString());
        activity?.SetTag("realtime.seq", realtimeEvent.Seq);
        return activity;
    }

    public void Dispose()
    {
        _readGate.Dispose();
        _laneSlots.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Published {EventType} for restaurant {RestaurantId} with seq {Seq} (new: {Appended}).")]
        public static partial void Published(ILogger logger, string eventType, Guid? restaurantId, long? seq, bool appended);

        [LoggerMessage(2, LogLevel.Warning, "Skipped change {ChangeId} of kind {Kind}: its document could not be read.")]
        public static partial void UnreadableChange(ILogger logger, string changeId, DocumentKind kind, Exception exception);

        [LoggerMessage(3, LogLevel.Warning, "The lane of restaurant {RestaurantId} ({Changes} changes) failed; its page will be read again.")]
        public static partial void LaneFailed(ILogger logger, Guid restaurantId, int changes, Exception exception);

        [LoggerMessage(4, LogLevel.Warning, "{Failed} of {Lanes} lanes failed on a page of {Changes} changes; the checkpoint was not advanced.")]
        public static partial void PageHeld(ILogger logger, int failed, int lanes, int changes);

        [LoggerMessage(5, LogLevel.Debug, "Published a page of {Changes} changes in {Lanes} lanes: {Events} events in {ElapsedMs} ms.")]
        public static partial void PagePublished(ILogger logger, int changes, int lanes, int events, double elapsedMs);

        [LoggerMessage(6, LogLevel.Debug, "A page of {Changes} changes was not checkpointed ({Held} lanes held): a page read before it failed and it will be read again.")]
        public static partial void PageBehindFailure(ILogger logger, int changes, int held);
    }
}
