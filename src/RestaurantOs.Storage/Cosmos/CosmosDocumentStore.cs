using System.Net;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Logging;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Storage.Internal;

namespace RestaurantOs.Storage.Cosmos;

/// <summary>
/// The generic half of every Cosmos document store. Optimistic concurrency has two guards: the version rule
/// (the stored version must equal the expected one) and the item's ETag (IfMatch), which closes the window
/// between the read and the replace. 409 (create) and 412 (replace) become <see cref="WriteStatus.Conflict"/>
/// carrying the current document.
/// </summary>
internal sealed class CosmosDocumentStore<T>
    where T : class
{
    private static readonly ItemRequestOptions NoContent = new() { EnableContentResponseOnWrite = false };

    private readonly Container container;
    private readonly DocumentType<T> type;
    private readonly CosmosFailures failures;
    private readonly string store;

    public CosmosDocumentStore(Container container, DocumentType<T> type, StorageMetrics metrics, ILogger logger)
    {
        this.container = container;
        this.type = type;
        failures = new CosmosFailures(metrics, logger);
        store = type.Collection;
    }

    public async Task<WriteResult<T>> CreateAsync(T document, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(document);
        var version = type.Version(document);
        if (version != 1)
        {
            throw new ArgumentException($"A new {type.KindName} must have version 1 (was {version}).", nameof(document));
        }

        var partition = CosmosDocuments.Partition(type.RestaurantId(document));
        using var body = CosmosDocuments.Wrap(type, document);
        using var response = await container.CreateItemStreamAsync(body, partition, NoContent, ct).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return Record("create", WriteResult.Ok(document), document, null);
        }

        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            var current = await ReadAsync(type.RestaurantId(document), type.Id(document), ct).ConfigureAwait(false);
            return Record("create", WriteResult.Conflict(current?.Document), document, null);
        }

        failures.ThrowUnexpected(response, store, "create");
        throw new InvalidOperationException("Unreachable.");
    }

    public async Task<WriteResult<T>> ReplaceAsync(T document, int expectedVersion, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(document);
        var version = type.Version(document);
        if (version != expectedVersion + 1)
        {
            throw new ArgumentException(
                $"The replacing {type.KindName} must have version expectedVersion + 1 = {expectedVersion + 1} (was {version}).", nameof(document));
        }

        var restaurantId = type.RestaurantId(document);
        var id = type.Id(document);
        var current = await ReadAsync(restaurantId, id, ct).ConfigureAwait(false);
        if (current is null)
        {
            return Record("replace", WriteResult.NotFound<T>(), document, expectedVersion);
        }

        if (current.Value.Version != expectedVersion)
        {
            return Record("replace", WriteResult.Conflict(current.Value.Document), document, expectedVersion);
        }

        using var body = CosmosDocuments.Wrap(type, document);
        var options = new ItemRequestOptions { IfMatchEtag = current.Value.ETag, EnableContentResponseOnWrite = false };
        using var response = await container
            .ReplaceItemStreamAsync(body, DocumentKinds.IdText(id), CosmosDocuments.Partition(restaurantId), options, ct)
            .ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return Record("replace", WriteResult.Ok(document), document, expectedVersion);
        }

        if (response.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
        {
            // Someone committed (or deleted) between our read and our replace: report what is there now.
            var now = await ReadAsync(restaurantId, id, ct).ConfigureAwait(false);
            return Record("replace", now is null ? WriteResult.NotFound<T>() : WriteResult.Conflict(now.Value.Document), document, expectedVersion);
        }

        failures.ThrowUnexpected(response, store, "replace");
        throw new InvalidOperationException("Unreachable.");
    }

    public async Task<T?> GetAsync(Guid restaurantId, Guid id, CancellationToken ct)
    {
        var current = await ReadAsync(restaurantId, id, ct).ConfigureAwait(false);
        failures.Metrics.Operation(store, "get", current is null ? Outcomes.NotFound : Outcomes.Ok);
        return current?.Document;
    }

    /// <summary>Runs a query in the restaurant's partition and returns the documents by sort key, then id.</summary>
    public async Task<IReadOnlyList<T>> QueryAsync(Guid restaurantId, QueryDefinition query, CancellationToken ct)
    {
        var options = new QueryRequestOptions { PartitionKey = CosmosDocuments.Partition(restaurantId) };
        var rows = new List<(long SortKey, string Id, T Document)>();
        using var iterator = container.GetItemQueryStreamIterator(query, continuationToken: null, options);
        while (iterator.HasMoreResults)
        {
            using var response = await iterator.ReadNextAsync(ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                failures.ThrowUnexpected(response, store, "query");
            }

            foreach (var item in await CosmosDocuments.ReadPageAsync(response.Content, ct).ConfigureAwait(false))
            {
                rows.Add((CosmosDocuments.GetInt64(item, CosmosDocuments.SortKey) ?? 0, CosmosDocuments.GetString(item, CosmosDocuments.Id) ?? string.Empty, CosmosDocuments.Unwrap(type, item)));
            }
        }

        failures.Metrics.Operation(store, "list", Outcomes.Ok);
        return [.. rows.OrderBy(r => r.SortKey).ThenBy(r => r.Id, StringComparer.Ordinal).Select(r => r.Document)];
    }

    private async Task<(T Document, int Version, string ETag)?> ReadAsync(Guid restaurantId, Guid id, CancellationToken ct)
    {
        using var response = await container
            .ReadItemStreamAsync(DocumentKinds.IdText(id), CosmosDocuments.Partition(restaurantId), requestOptions: null, ct)
            .ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        if (!response.IsSuccessStatusCode)
        {
            failures.ThrowUnexpected(response, store, "read");
        }

        var item = await CosmosDocuments.ReadItemAsync(response.Content, ct).ConfigureAwait(false);
        var document = CosmosDocuments.Unwrap(type, item);
        var etag = response.Headers.ETag ?? CosmosDocuments.GetString(item, CosmosDocuments.ETag) ?? string.Empty;
        return (document, (int)(CosmosDocuments.GetInt64(item, CosmosDocuments.Version) ?? type.Version(document)), etag);
    }

    private WriteResult<T> Record(string op, WriteResult<T> result, T document, int? expectedVersion)
    {
        var outcome = result.Status switch
        {
            WriteStatus.Ok => Outcomes.Ok,
            WriteStatus.Conflict => Outcomes.Conflict,
            WriteStatus.NotFound => Outcomes.NotFound,
            _ => throw new ArgumentOutOfRangeException(nameof(result), result.Status, "Unknown write status."),
        };
        failures.Metrics.Operation(store, op, outcome);
        if (result.Status == WriteStatus.Conflict)
        {
            failures.Metrics.Conflict(store, op);
            var documentId = type.Id(document);
            var restaurantId = type.RestaurantId(document);
            StorageLog.WriteConflict(failures.Logger, store, documentId, restaurantId, expectedVersion);
        }

        return result;
    }
}
