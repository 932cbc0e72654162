using System.Net;
using System.Text.Json;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Logging;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Presence;
using RestaurantOs.Realtime.Protocol;
using RestaurantOs.Storage.Internal;

namespace RestaurantOs.Storage.Cosmos;

/// <summary>
/// Presence entries as items of the <c>presence</c> container (partition <c>/restaurantId</c>, default TTL one day,
/// so an entry nobody writes for a day disappears by itself). The wrapper holds the fields the sweep filters on and
/// the entry under <c>doc</c>. A write expecting a version reads the item first and replaces it with If-Match on the
/// ETag it read, so a concurrent writer makes it fail with a conflict instead of being overwritten.
/// </summary>
internal sealed class CosmosPresenceStore : IPresenceStore
{
    private const string Store = "presence";

    private readonly CosmosContainers containers;
    private readonly CosmosFailures failures;

    public CosmosPresenceStore(CosmosContainers containers, StorageMetrics metrics, ILogger<CosmosPresenceStore> logger)
    {
        this.containers = containers;
        failures = new CosmosFailures(metrics, logger);
    }

    private Container Container => containers.Presence;

    public async Task<StationPresence?> GetAsync(Guid restaurantId, string key, CancellationToken cancellationToken) =>
        (await ReadAsync(restaurantId, key, cancellationToken).ConfigureAwait(false))?.Entry;

    public Task<IReadOnlyList<StationPresence>> ListAsync(Guid restaurantId, CancellationToken cancellationToken) =>
        QueryAsync(new QueryDefinition("SELECT * FROM c"), new QueryRequestOptions { PartitionKey = CosmosDocuments.Partition(restaurantId) }, int.MaxValue, "list", cancellationToken);

    public async Task<WriteResult<StationPresence>> WriteAsync(StationPresence entry, int? expectedVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        using var body = Serialize(entry);
        var partition = CosmosDocuments.Partition(entry.RestaurantId);
        if (expectedVersion is null)
        {
            using var created = await Container.CreateItemStreamAsync(body, partition, new ItemRequestOptions { EnableContentResponseOnWrite = false }, cancellationToken).ConfigureAwait(false);
            return Outcome(created, "create") ? WriteResult.Ok(entry) : WriteResult.Conflict<StationPresence>();
        }

        var stored = await ReadAsync(entry.RestaurantId, entry.Key, cancellationToken).ConfigureAwait(false);
        if (stored is null || stored.Value.Entry.Version != expectedVersion)
        {
            failures.Metrics.Conflict(Store, "replace");
            return WriteResult.Conflict<StationPresence>();
        }

        using var replaced = await Container.ReplaceItemStreamAsync(
            body, CosmosDocuments.EscapeId(entry.Key), partition,
            new ItemRequestOptions { IfMatchEtag = stored.Value.ETag, EnableContentResponseOnWrite = false }, cancellationToken).ConfigureAwait(false);
        return Outcome(replaced, "replace") ? WriteResult.Ok(entry) : WriteResult.Conflict<StationPresence>();
    }

    public async Task<bool> DeleteAsync(Guid restaurantId, string key, int expectedVersion, CancellationToken cancellationToken)
    {
        var stored = await ReadAsync(restaurantId, key, cancellationToken).ConfigureAwait(false);
        if (stored is null || stored.Value.Entry.Version != expectedVersion)
        {
            failures.Metrics.Conflict(Store, "delete");
            return false;
        }

        using var response = await Container.DeleteItemStreamAsync(
            CosmosDocuments.EscapeId(key), CosmosDocuments.Partition(restaurantId), new ItemRequestOptions { IfMatchEtag = stored.Value.ETag }, cancellationToken).ConfigureAwait(false);
        return Outcome(response, "delete");
    }

    public async Task<IReadOnlyList<StationPresence>> ListDueAsync(DateTimeOffset goneBefore, DateTimeOffset silentBefore, int max, CancellationToken cancellationToken)
    {
        // Cross-partition, but only the few entries in trouble match; ordered here (ORDER BY across partitions needs
        // a composite index the sweep does not deserve).
        var query = new QueryDefinition("""
            SELECT * FROM c
            WHERE (c.status = 'gone' AND IS_NULL(c.alert) AND NOT IS_NULL(c.station) AND c.goneSince <= @gone)
               OR (c.status = 'live' AND c.lastSeenAt <= @silent AND NOT IS_NULL(c.appliedSeq))
            """)
            .WithParameter("@gone", goneBefore.ToUnixTimeMilliseconds())
            .WithParameter("@silent", silentBefore.ToUnixTimeMilliseconds());
        var due = await QueryAsync(query, new QueryRequestOptions { MaxItemCount = max }, max, "list_due", cancellationToken).ConfigureAwait(false);
        return [.. due.OrderBy(e => e.LastSeenAt)];
    }

    /// <summary>The container's TTL expires entries; nothing to do here.</summary>
    public Task<int> PurgeAsync(DateTimeOffset before, CancellationToken cancellationToken) => Task.FromResult(0);

    private async Task<(StationPresence Entry, string ETag)?> ReadAsync(Guid restaurantId, string key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        using var response = await Container.ReadItemStreamAsync(CosmosDocuments.EscapeId(key), CosmosDocuments.Partition(restaurantId), requestOptions: null, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            failures.Metrics.Operation(Store, "read", Outcomes.Ok);
            return null;
        }

        if (!response.IsSuccessStatusCode)
        {
            failures.ThrowUnexpected(response, Store, "read");
        }

        var item = await CosmosDocuments.ReadItemAsync(response.Content, cancellationToken).ConfigureAwait(false);
        failures.Metrics.Operation(Store, "read", Outcomes.Ok);
        return (Unwrap(item), CosmosDocuments.GetString(item, CosmosDocuments.ETag) ?? response.Headers.ETag);
    }

    private async Task<IReadOnlyList<StationPresence>> QueryAsync(QueryDefinition query, QueryRequestOptions options, int max, string op, CancellationToken cancellationToken)
    {
        var entries = new List<StationPresence>();
        using var iterator = Container.GetItemQueryStreamIterator(query, continuationToken: null, options);
        while (iterator.HasMoreResults && entries.Count < max)
        {
            using var response = await iterator.ReadNextAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                failures.ThrowUnexpected(response, Store, op);
            }

            foreach (var item in await CosmosDocuments.ReadPageAsync(response.Content, cancellationToken).ConfigureAwait(false))
            {
                entries.Add(Unwrap(item));
            }
        }

        failures.Metrics.Operation(Store, op, Outcomes.Ok);
        return entries.Count > max ? entries[..max] : entries;
    }

    private bool Outcome(ResponseMessage response, string op)
    {
        if (response.IsSuccessStatusCode)
        {
            failures.Metrics.Operation(Store, op, Outcomes.Ok);
            return true;
        }

        if (response.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict or HttpStatusCode.NotFound)
        {
            failures.Metrics.Conflict(Store, op);
            return false;
        }

        failures.ThrowUnexpected(response, Store, op);
        return false;
    }

    private static StationPresence Unwrap(JsonElement item) =>
        item.TryGetProperty(CosmosDocuments.Doc, out var doc) && doc.Deserialize(RealtimeJsonContext.Default.StationPresence) is { } entry
            ? entry
            : throw new InvalidDataException($"A Cosmos presence item has no valid '{CosmosDocuments.Doc}' member.");

    private static MemoryStream Serialize(StationPresence entry)
    {
        var body = new MemoryStream();
        using (var writer = new Utf8JsonWriter(body))
        {
            writer.WriteStartObject();
            writer.WriteString(CosmosDocuments.Id, CosmosDocuments.EscapeId(entry.Key));
            writer.WriteString(CosmosDocuments.RestaurantId, DocumentKinds.IdText(entry.RestaurantId));
            writer.WriteString(CosmosDocuments.Kind, "presence");
            writer.WriteNumber(CosmosDocuments.Version, entry.Version);
            writer.WriteString(CosmosDocuments.Status, WireNames.Name(entry.Status));
            CosmosDocuments.WriteNullable(writer, "station", entry.Station);
            CosmosDocuments.WriteNullable(writer, "alert", entry.Alert is { } alert ? WireNames.Name(alert) : null);
            if (entry.GoneSince is { } gone)
            {
                writer.WriteNumber("goneSince", gone.ToUnixTimeMilliseconds());
            }
            else
            {
                writer.WriteNull("goneSince");
            }

            writer.WriteNumber("lastSeenAt", entry.LastSeenAt.ToUnixTimeMilliseconds());
            if (entry.AppliedSeq is { } applied)
            {
                writer.WriteNumber("appliedSeq", applied);
            }
            else
            {
                writer.WriteNull("appliedSeq");
            }

            writer.WritePropertyName(CosmosDocuments.Doc);
            JsonSerializer.Serialize(writer, entry, RealtimeJsonContext.Default.StationPresence);
            writer.WriteEndObject();
        }

        body.Position = 0;
        return body;
    }
}
