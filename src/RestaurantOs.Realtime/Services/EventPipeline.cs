using System.Collections.Concurrent;
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
/// Turns committed store changes into events, one lane per restaurant, many restaurants at once.
/// <list type="number">
/// <item>Read a page of the <c>events</c> consumer and split it into lanes, one per restaurant (<see cref="RestaurantLane"/>).</item>
/// <item>Run up to <see cref="PipelineOptions.MaxConcurrency"/> lanes at once. A lane maps its changes, appends their
/// events to history in one call (which assigns the restaurant's next seqs) and publishes them one call at a time in
/// seq order.</item>
/// <item>Checkpoint the page only when every lane finished. If any lane failed, the others still finish, then
/// <see cref="PumpAsync"/> throws without checkpointing and the next pump reads the same page again.</item>
/// </list>
/// Order: only a restaurant's own lane publishes its events, one call at a time, and the next page is read only after
/// every lane of this one finished, so each restaurant's events leave in seq order. At least once: a repeated page
/// yields the same event ids, history returns the stored events (same seq), and they are published again; clients
/// drop what they have. One pump runs at a time per process; across instances the store's consumer lease keeps one
/// reader.
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
    private readonly int _maxConcurrency;
    private readonly int _batchSize;
    private readonly SemaphoreSlim _gate = new(1, 1);

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
        _maxConcurrency = options.Value.MaxConcurrency;
        _batchSize = options.Value.BatchSize;
    }

    /// <summary>
    /// Reads and publishes until the feed is drained. Returns the number of events published.
    /// </summary>
    /// <exception cref="AggregateException">
    /// One or more restaurant lanes failed (the inner exceptions); the feed position was not advanced.
    /// </exception>
    public async Task<int> PumpAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var published = 0;
            while (true)
            {
                var batch = await _changeFeed.ReadAsync(Consumer, _batchSize, cancellationToken).ConfigureAwait(false);
                if (batch.Changes.Count > 0)
                {
                    published += await PublishPageAsync(batch.Changes, cancellationToken).ConfigureAwait(false);
                }

                if (batch.Changes.Count > 0 || batch.Continuation is not null)
                {
                    await _changeFeed.CheckpointAsync(Consumer, batch.Continuation, cancellationToken).ConfigureAwait(false);
                }

                if (batch.Changes.Count < _batchSize)
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

    /// <summary>Runs every lane of the page; returns when all finished, throwing if any failed.</summary>
    private async Task<int> PublishPageAsync(IReadOnlyList<StoreChange> changes, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var lanes = RestaurantLane.Split(changes);
        // One span per page that has changes (an idle feed read makes none): the publishes link to it.
        using var page = RealtimeTracing.Source.StartActivity("realtime.page", ActivityKind.Internal);
        page?.SetTag("realtime.changes", changes.Count);
        page?.SetTag("realtime.lanes", lanes.Count);
        var failures = new ConcurrentQueue<Exception>();
        var published = 0;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _maxConcurrency, CancellationToken = cancellationToken };
        try
        {
            await Parallel.ForEachAsync(lanes, parallel, async (lane, laneToken) =>
            {
                _metrics.LaneStarted();
                var succeeded = false;
                try
                {
                    Interlocked.Add(ref published, await RunLaneAsync(lane, laneToken).ConfigureAwait(false));
                    succeeded = true;
                }
                catch (Exception ex) when (!laneToken.IsCancellationRequested)
                {
                    // Isolated: the other lanes go on. This lane's events after the failure stay unpublished (never
                    // out of order), and the whole page is read again by the next pump.
                    failures.Enqueue(ex);
                    Log.LaneFailed(_logger, lane.RestaurantId, lane.Changes.Count, ex);
                }
                finally
                {
                    _metrics.LaneFinished(succeeded);
                }
            }).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _metrics.BatchCompleted(lanes.Count, _time.GetElapsedTime(started).TotalMilliseconds, succeeded: false);
            throw;
        }

        var elapsedMs = _time.GetElapsedTime(started).TotalMilliseconds;
        _metrics.BatchCompleted(lanes.Count, elapsedMs, failures.IsEmpty);
        if (!failures.IsEmpty)
        {
            Log.PageHeld(_logger, failures.Count, lanes.Count, changes.Count);
            throw new AggregateException(
                $"{failures.Count} of {lanes.Count} restaurant lanes failed; the feed position was not advanced and the page will be read again.",
                failures);
        }

        Log.PagePublished(_logger, changes.Count, lanes.Count, published, elapsedMs);
        return published;
    }

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

    public void Dispose() => _gate.Dispose();

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
    }
}
