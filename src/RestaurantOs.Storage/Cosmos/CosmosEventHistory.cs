using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Storage.Internal;

namespace RestaurantOs.Storage.Cosmos;

/// <summary>
/// The event history in the <c>events</c> container, one logical partition per restaurant. Each append is ONE
/// transactional batch in the restaurant's partition: the counter item (<c>id = "$counter"</c>) created or
/// replaced with IfMatch on its ETag, and the event items (up to 99 of a batch append) created with <c>id</c> = the
/// (escaped) event id.
/// A conflict on the event id means "already appended" (read and return it); a counter ETag conflict means
/// another writer got there first (re-read and retry). Retention is the container's TTL (plus a per-item
/// <c>ttl</c>); the count bound is applied on read and pruned every <see cref="PruneEvery"/> appends.
/// </summary>
internal sealed class CosmosEventHistory : IEventHistory
{
    public const string CounterId = "$counter";
    public const int MaxAttempts = 50;
    public const int PruneEvery = 100;

    /// <summary>Events per transactional batch: Cosmos DB allows 100 operations, and the counter is one of them.</summary>
    public const int MaxEventsPerBatch = 99;

    /// <summary>Estimated event bytes per batch, well under the 2 MB request limit of a transactional batch.</summary>
    public const int MaxBatchBytes = 1_500_000;
    private const string Store = "history";
    private const string EventKind = "event";
    private const string CounterKind = "counter";

    private readonly Container events;
    private readonly CosmosFailures failures;
    private readonly ILogger logger;
    private readonly int maxEvents;
    private readonly int ttlSeconds;

    public CosmosEventHistory(CosmosContainers containers, IOptions<HistoryOptions> options, StorageMetrics metrics, ILogger<CosmosEventHistory> logger)
    {
        ArgumentNullException.ThrowIfNull(containers);
        ArgumentNullException.ThrowIfNull(options);
        events = containers.Events;
        this.logger = logger;
        failures = new CosmosFailures(metrics, logger);
        maxEvents = options.Value.MaxEventsPerRestaurant;
        ttlSeconds = (int)options.Value.Retention.TotalSeconds;
    }

    public async Task<(RealtimeEvent Event, bool Appended)> AppendAsync(NewEvent newEvent, CancellationToken cancellationToken) =>
        (await AppendManyAsync([newEvent], cancellationToken).ConfigureAwait(false))[0];

    /// <summary>
    /// Appends in transactional batches of the counter plus up to <see cref="MaxEventsPerBatch"/> events (Cosmos DB
    /// allows 100 operations and 2 MB per batch). Each batch is all or nothing; a batch that hits an event id already
    /// stored reads those events back (they keep their seq) and appends the rest.
    /// </summary>
    public async Task<IReadOnlyList<(RealtimeEvent Event, bool Appended)>> AppendManyAsync(IReadOnlyList<NewEvent> newEvents, CancellationToken cancellationToken)
    {
        var restaurantId = PortGuards.OneRestaurant(newEvents);

        // An id repeated in the list is appended once, at its first occurrence (two creates of one id would fail the batch).
        var first = new Dictionary<string, int>(StringComparer.Ordinal);
        var distinct = new List<int>(newEvents.Count);
        for (var i = 0; i < newEvents.Count; i++)
        {
            if (first.TryAdd(newEvents[i].Id, i))
            {
                distinct.Add(i);
            }
        }

        var results = new (RealtimeEvent Event, bool Appended)[newEvents.Count];
        var chunk = new List<int>(MaxEventsPerBatch);
        var chunkBytes = 0;
        foreach (var index in distinct)
        {
            var size = EstimateBytes(newEvents[index]);
            if (chunk.Count == MaxEventsPerBatch || (chunk.Count > 0 && chunkBytes + size > MaxBatchBytes))
            {
                await AppendChunkAsync(restaurantId, newEvents, chunk, results, cancellationToken).ConfigureAwait(false);
                chunk.Clear();
                chunkBytes = 0;
            }

            chunk.Add(index);
            chunkBytes += size;
        }

        if (chunk.Count > 0)
        {
            await AppendChunkAsync(restaurantId, newEvents, chunk, results, cancellationToken).ConfigureAwait(false);
        }

        for (var i = 0; i < newEvents.Count; i++)
        {
            var firstIndex = first[newEvents[i].Id];
            if (firstIndex != i)
            {
                results[i] = (results[firstIndex].Event, false);
            }
        }

        return results;
    }

    /// <summary>Appends the events at <paramref name="chunk"/> (at most one batch) and fills their results.</summary>
    private async Task AppendChunkAsync(
        Guid restaurantId, IReadOnlyList<NewEvent> newEvents, List<int> chunk, (RealtimeEvent Event, bool Appended)[] results, CancellationToken ct)
    {
        var partition = CosmosDocuments.Partition(restaurantId);
        var pending = new List<int>(chunk);
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            if (pending.Count == 0)
            {
                return;
            }

            var (lastSeq, counterETag) = await ReadCounterAsync(restaurantId, ct).ConfigureAwait(false);
            var assigned = new RealtimeEvent[pending.Count];
            for (var k = 0; k < pending.Count; k++)
            {
                var newEvent = newEvents[pending[k]];
                assigned[k] = new RealtimeEvent
                {
                    Type = newEvent.Type,
                    Id = newEvent.Id,
                    RestaurantId = newEvent.RestaurantId,
                    Seq = lastSeq + k + 1,
                    Data = newEvent.Data.ValueKind == JsonValueKind.Undefined ? null : newEvent.Data.Clone(),
                    Timestamp = newEvent.Timestamp,
                    Scope = newEvent.Scope,
                };
            }

            var lastAssigned = lastSeq + pending.Count;
            var bodies = new List<MemoryStream>(pending.Count + 1);
            try
            {
                var counterBody = WriteCounter(restaurantId, lastAssigned);
                bodies.Add(counterBody);
                var batch = events.CreateTransactionalBatch(partition);
                batch = counterETag is null
                    ? batch.CreateItemStream(counterBody)
                    : batch.ReplaceItemStream(CounterId, counterBody, new TransactionalBatchItemRequestOptions { IfMatchEtag = counterETag });
                foreach (var realtimeEvent in assigned)
                {
                    var eventBody = WriteEvent(realtimeEvent);
                    bodies.Add(eventBody);
                    batch = batch.CreateItemStream(eventBody);
                }

                using var response = await batch.ExecuteAsync(ct).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    for (var k = 0; k < pending.Count; k++)
                    {
                        results[pending[k]] = (assigned[k], true);
                        failures.Metrics.Operation(Store, "append", Outcomes.Ok);
                        StorageLog.EventAppended(logger, assigned[k].Id!, restaurantId, assigned[k].Seq ?? 0);
                    }

                    // Prune whenever this batch crossed a multiple of PruneEvery.
                    if (lastAssigned > maxEvents && lastAssigned / PruneEvery > lastSeq / PruneEvery)
                    {
                        await PruneAsync(restaurantId, lastAssigned - maxEvents, ct).ConfigureAwait(false);
                    }

                    return;
                }

                var counterStatus = response.Count > 0 ? response[0].StatusCode : response.StatusCode;
                var eventConflict = response.Count > 1
                    ? Enumerable.Range(1, response.Count - 1).Any(i => response[i].StatusCode == HttpStatusCode.Conflict)
                    : response.StatusCode == HttpStatusCode.Conflict;
                if (eventConflict)
                {
                    // Already appended (a repeated batch after a crash): a batch stops at its first failing operation, so
                    // read every pending id at once rather than finding them one failed batch at a time.
                    var stored = await Task.WhenAll(pending.Select(i => ReadEventAsync(restaurantId, newEvents[i].Id, ct))).ConfigureAwait(false);
                    var stillPending = new List<int>(pending.Count);
                    for (var k = 0; k < pending.Count; k++)
                    {
                        if (stored[k] is { } existing)
                        {
                            results[pending[k]] = (existing, false);
                            failures.Metrics.Operation(Store, "append", Outcomes.Duplicate);
                            StorageLog.EventAlreadyAppended(logger, existing.Id!, restaurantId, existing.Seq ?? 0);
                        }
                        else
                        {
                            // New, or expired between the batch and the read: append (again).
                            stillPending.Add(pending[k]);
                        }
                    }

                    pending = stillPending;
                    continue;
                }

                if (counterStatus is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict)
                {
                    // Another appender moved the counter (or created it) first; nothing of ours was written.
                    failures.Metrics.Conflict(Store, "append");
                    StorageLog.CounterRace(logger, restaurantId, newEvents[pending[0]].Id, attempt);
                    await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 5 * Math.Min(attempt, 10))), ct).ConfigureAwait(false);
                    continue;
                }

                if (response.StatusCode == HttpStatusCode.TooManyRequests || counterStatus == HttpStatusCode.TooManyRequests ||
                    (response.Count > 1 && Enumerable.Range(1, response.Count - 1).Any(i => response[i].StatusCode == HttpStatusCode.TooManyRequests)))
                {
                    failures.ThrowThrottled(Store, "append", response.RetryAfter);
                }

                failures.Metrics.Operation(Store, "append", Outcomes.Error);
                throw new InvalidOperationException(
                    $"Appending {pending.Count} events of restaurant {restaurantId} (first {newEvents[pending[0]].Id}) failed: batch {(int)response.StatusCode}, counter {(int)counterStatus}. {response.ErrorMessage}");
            }
            finally
            {
                foreach (var body in bodies)
                {
                    body.Dispose();
                }
            }
        }

        failures.Metrics.Operation(Store, "append", Outcomes.Conflict);
        throw new InvalidOperationException(
            $"Appending event {newEvents[pending[0]].Id} lost the counter race {MaxAttempts} times; is more than one change-feed reader assigning seq for restaurant {restaurantId}?");
    }

    /// <summary>An upper estimate of an event item's size, to keep a batch under its request size limit.</summary>
    private static int EstimateBytes(NewEvent newEvent) =>
        1024 + (newEvent.Id.Length * 2) + (newEvent.Data.ValueKind == JsonValueKind.Undefined ? 0 : Encoding.UTF8.GetByteCount(newEvent.Data.GetRawText()));

    public async Task<HistoryPage> ReadAfterAsync(Guid restaurantId, long afterSeq, int maxEvents, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterSeq);
        PortGuards.PageSize(maxEvents, nameof(maxEvents));
        var (latest, _) = await ReadCounterAsync(restaurantId, cancellationToken).ConfigureAwait(false);
        var floor = Math.Max(0, latest - this.maxEvents);

        var oldestPage = await QueryEventsAsync(
            restaurantId,
            new QueryDefinition("SELECT TOP 1 * FROM c WHERE c.kind = @kind AND c.seq > @after ORDER BY c.seq")
                .WithParameter("@kind", EventKind)
                .WithParameter("@after", floor),
            cancellationToken).ConfigureAwait(false);
        var page = await QueryEventsAsync(
            restaurantId,
            new QueryDefinition("SELECT TOP @max * FROM c WHERE c.kind = @kind AND c.seq > @after ORDER BY c.seq")
                .WithParameter("@max", maxEvents)
                .WithParameter("@kind", EventKind)
                .WithParameter("@after", Math.Max(afterSeq, floor)),
            cancellationToken).ConfigureAwait(false);

        failures.Metrics.Operation(Store, "read", Outcomes.Ok);
        return new HistoryPage(page, oldestPage.Count > 0 ? oldestPage[0].Seq ?? 0 : 0, latest);
    }

    private async Task<(long LastSeq, string? ETag)> ReadCounterAsync(Guid restaurantId, CancellationToken ct)
    {
        using var response = await events.ReadItemStreamAsync(CounterId, CosmosDocuments.Partition(restaurantId), requestOptions: null, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return (0, null);
        }

        if (!response.IsSuccessStatusCode)
        {
            failures.ThrowUnexpected(response, Store, "read_counter");
        }

        var item = await CosmosDocuments.ReadItemAsync(response.Content, ct).ConfigureAwait(false);
        var etag = response.Headers.ETag ?? CosmosDocuments.GetString(item, CosmosDocuments.ETag)
            ?? throw new InvalidDataException("The history counter item has no ETag.");
        return (CosmosDocuments.GetInt64(item, "seq") ?? 0, etag);
    }

    private async Task<RealtimeEvent?> ReadEventAsync(Guid restaurantId, string eventId, CancellationToken ct)
    {
        using var response = await events
            .ReadItemStreamAsync(CosmosDocuments.EscapeId(eventId), CosmosDocuments.Partition(restaurantId), requestOptions: null, ct)
            .ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        if (!response.IsSuccessStatusCode)
        {
            failures.ThrowUnexpected(response, Store, "read_event");
        }

        return ReadEvent(await CosmosDocuments.ReadItemAsync(response.Content, ct).ConfigureAwait(false), restaurantId);
    }

    private async Task<List<RealtimeEvent>> QueryEventsAsync(Guid restaurantId, QueryDefinition query, CancellationToken ct)
    {
        var list = new List<RealtimeEvent>();
        using var iterator = events.GetItemQueryStreamIterator(
            query, continuationToken: null, new QueryRequestOptions { PartitionKey = CosmosDocuments.Partition(restaurantId) });
        while (iterator.HasMoreResults)
        {
            using var response = await iterator.ReadNextAsync(ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                failures.ThrowUnexpected(response, Store, "query");
            }

            foreach (var item in await CosmosDocuments.ReadPageAsync(response.Content, ct).ConfigureAwait(false))
            {
                list.Add(ReadEvent(item, restaurantId));
            }
        }

        return list;
    }

    private async Task PruneAsync(Guid restaurantId, long upToSeq, CancellationToken ct)
    {
        var partition = CosmosDocuments.Partition(restaurantId);
        var ids = new List<string>();
        using (var iterator = events.GetItemQueryStreamIterator(
            new QueryDefinition("SELECT c.id FROM c WHERE c.kind = @kind AND c.seq <= @upTo").WithParameter("@kind", EventKind).WithParameter("@upTo", upToSeq),
            continuationToken: null,
            new QueryRequestOptions { PartitionKey = partition }))
        {
            while (iterator.HasMoreResults)
            {
                using var response = await iterator.ReadNextAsync(ct).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    failures.ThrowUnexpected(response, Store, "prune");
                }

                foreach (var item in await CosmosDocuments.ReadPageAsync(response.Content, ct).ConfigureAwait(false))
                {
                    if (CosmosDocuments.GetString(item, CosmosDocuments.Id) is { } id)
                    {
                        ids.Add(id);
                    }
                }
            }
        }

        foreach (var id in ids)
        {
            // 404 is fine: TTL or a concurrent prune removed it first.
            using var deleted = await events.DeleteItemStreamAsync(id, partition, requestOptions: null, ct).ConfigureAwait(false);
        }

        if (ids.Count > 0)
        {
            StorageLog.HistoryPruned(logger, restaurantId, ids.Count);
        }
    }

    private static MemoryStream WriteCounter(Guid restaurantId, long seq)
    {
        var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString(CosmosDocuments.Id, CounterId);
            writer.WriteString(CosmosDocuments.RestaurantId, DocumentKinds.IdText(restaurantId));
            writer.WriteString(CosmosDocuments.Kind, CounterKind);
            writer.WriteNumber("seq", seq);
            // The counter must outlive every event: never expire, whatever the container's default TTL.
            writer.WriteNumber("ttl", -1);
            writer.WriteEndObject();
        }

        stream.Position = 0;
        return stream;
    }

    private MemoryStream WriteEvent(RealtimeEvent realtimeEvent)
    {
        var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString(CosmosDocuments.Id, CosmosDocuments.EscapeId(realtimeEvent.Id!));
            writer.WriteString(CosmosDocuments.RestaurantId, DocumentKinds.IdText(realtimeEvent.RestaurantId!.Value));
            writer.WriteString(CosmosDocuments.Kind, EventKind);
            writer.WriteNumber("seq", realtimeEvent.Seq!.Value);
            writer.WriteString("eventId", realtimeEvent.Id);
            writer.WriteString("type", realtimeEvent.Type);
            writer.WriteString("timestamp", realtimeEvent.Timestamp.ToString("O", CultureInfo.InvariantCulture));
            writer.WritePropertyName("data");
            if (realtimeEvent.Data is { } data)
            {
                data.WriteTo(writer);
            }
            else
            {
                writer.WriteNullValue();
            }

            writer.WriteStartObject("scope");
            if (realtimeEvent.Scope.OrderId is { } orderId)
            {
                writer.WriteString("order_id", DocumentKinds.IdText(orderId));
            }
            else
            {
                writer.WriteNull("order_id");
            }

            writer.WriteString("table_number", realtimeEvent.Scope.TableNumber);
            writer.WriteEndObject();
            writer.WriteNumber("ttl", ttlSeconds);
            writer.WriteEndObject();
        }

        stream.Position = 0;
        return stream;
    }

    internal static RealtimeEvent ReadEvent(JsonElement item, Guid restaurantId)
    {
        Guid? orderId = null;
        string? tableNumber = null;
        if (item.TryGetProperty("scope", out var scope) && scope.ValueKind == JsonValueKind.Object)
        {
            if (CosmosDocuments.GetString(scope, "order_id") is { } orderText)
            {
                orderId = Guid.Parse(orderText, CultureInfo.InvariantCulture);
            }

            tableNumber = CosmosDocuments.GetString(scope, "table_number");
        }

        JsonElement? data = item.TryGetProperty("data", out var d) && d.ValueKind != JsonValueKind.Null ? d.Clone() : null;
        return new RealtimeEvent
        {
            Type = CosmosDocuments.GetString(item, "type") ?? throw new InvalidDataException("A history event item has no type."),
            Id = CosmosDocuments.GetString(item, "eventId") ?? CosmosDocuments.GetString(item, CosmosDocuments.Id),
            RestaurantId = restaurantId,
            Seq = CosmosDocuments.GetInt64(item, "seq") ?? throw new InvalidDataException("A history event item has no seq."),
            Data = data,
            Timestamp = DateTimeOffset.Parse(
                CosmosDocuments.GetString(item, "timestamp") ?? throw new InvalidDataException("A history event item has no timestamp."),
                CultureInfo.InvariantCulture,
                DateTimeStyles.RoundtripKind),
            Scope = new EventScope(orderId, tableNumber),
        };
    }
}
