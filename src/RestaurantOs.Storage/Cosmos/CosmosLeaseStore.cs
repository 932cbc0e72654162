using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Logging;
using RestaurantOs.Storage.Internal;
using RestaurantOs.Storage.Leases;

namespace RestaurantOs.Storage.Cosmos;

/// <summary>
/// Lease rows as items of the <c>leases</c> container, all of a consumer in one logical partition
/// (<c>restaurantId</c> = <c>consumer:&lt;name&gt;</c>), so listing them is a single-partition query. The ETag is
/// the item's <c>_etag</c>; replace and delete send it as If-Match.
/// </summary>
/// <remarks>
/// A consumer's ranges are ranges of the partition-key hash space, taken from the feed ranges
/// (<c>GetFeedRangesAsync</c>, one per physical partition) of the orders container when its leases are first
/// created: key <c>range-&lt;hash of the range&gt;</c>, range = the feed range JSON. Every document container is
/// partitioned by the restaurant id with the same hash, so one range holds all of a restaurant's documents in all
/// four containers, and the instance holding that lease is the only one reading that restaurant. The lease's
/// continuation is a JSON object of container name to that container's token within the range. The ranges stay
/// fixed afterwards: the pull model reads any hash range, whatever the physical partitions do later (splits
/// included). A consumer that still has the single lease item of the older layout (<c>id</c> =
/// <c>consumer:&lt;name&gt;</c>) gets one lease over the whole hash space (key <see cref="WholeKey"/>) that
/// starts from its tokens, so an upgrade neither replays nor skips.
/// </remarks>
internal sealed class CosmosLeaseStore : ILeaseStore
{
    public const string WholeKey = "all";
    private const string Store = "leases";

    private readonly CosmosContainers containers;
    private readonly CosmosFailures failures;

    public CosmosLeaseStore(CosmosContainers containers, StorageMetrics metrics, ILogger<CosmosLeaseStore> logger)
    {
        this.containers = containers;
        failures = new CosmosFailures(metrics, logger);
    }

    public async Task<IReadOnlyList<LeaseRange>> RangesAsync(string consumer, CancellationToken cancellationToken)
    {
        var legacy = await ReadLegacyTokensAsync(consumer, cancellationToken).ConfigureAwait(false);
        if (legacy is not null)
        {
            return [new LeaseRange(WholeKey, null, legacy)];
        }

        var ranges = new List<LeaseRange>();
        foreach (var feedRange in await containers.Orders.GetFeedRangesAsync(cancellationToken).ConfigureAwait(false))
        {
            var json = feedRange.ToJsonString();
            ranges.Add(new LeaseRange(KeyOf(json), json, null));
        }

        return ranges;
    }

    /// <summary>The lease key of a feed range: a short hash of its JSON (ids must avoid '/', '\\', '?', '#').</summary>
    public static string KeyOf(string feedRangeJson) =>
        "range-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(feedRangeJson)).AsSpan(0, 6));

    public async Task<IReadOnlyList<FeedLease>> ListAsync(string consumer, CancellationToken cancellationToken)
    {
        var query = new QueryDefinition("SELECT * FROM c WHERE c.kind = @kind").WithParameter("@kind", "lease");
        var options = new QueryRequestOptions { PartitionKey = Partition(consumer) };
        var leases = new List<FeedLease>();
        using var iterator = containers.Leases.GetItemQueryStreamIterator(query, continuationToken: null, options);
        while (iterator.HasMoreResults)
        {
            using var response = await iterator.ReadNextAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                failures.ThrowUnexpected(response, Store, "list");
            }

            foreach (var item in await CosmosDocuments.ReadPageAsync(response.Content, cancellationToken).ConfigureAwait(false))
            {
                // The older single-lease item has no key; it only seeds the ranges (see RangesAsync).
                if (CosmosDocuments.GetString(item, "key") is { } key && CosmosDocuments.GetString(item, "consumer") == consumer)
                {
                    leases.Add(new FeedLease(
                        consumer,
                        key,
                        CosmosDocuments.GetString(item, "range"),
                        CosmosDocuments.GetString(item, "owner"),
                        DateTimeOffset.FromUnixTimeMilliseconds(CosmosDocuments.GetInt64(item, "expiresAt") ?? 0),
                        CosmosDocuments.GetString(item, "continuation"),
                        CosmosDocuments.GetString(item, CosmosDocuments.ETag)));
                }
            }
        }

        failures.Metrics.Operation(Store, "list", Outcomes.Ok);
        return leases;
    }

    public async Task<FeedLease?> TryCreateAsync(FeedLease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        using var body = Serialize(lease);
        using var response = await containers.Leases.CreateItemStreamAsync(
            body, Partition(lease.Consumer), new ItemRequestOptions { EnableContentResponseOnWrite = false }, cancellationToken).ConfigureAwait(false);
        return Written(response, lease, "create");
    }

    public async Task<FeedLease?> TryReplaceAsync(FeedLease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        if (lease.ETag is null)
        {
            return null;
        }

        using var body = Serialize(lease);
        using var response = await containers.Leases.ReplaceItemStreamAsync(
            body, ItemId(lease), Partition(lease.Consumer),
            new ItemRequestOptions { IfMatchEtag = lease.ETag, EnableContentResponseOnWrite = false }, cancellationToken).ConfigureAwait(false);
        return Written(response, lease, "replace");
    }

    public async Task<bool> TryDeleteAsync(FeedLease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        if (lease.ETag is null)
        {
            return false;
        }

        using var response = await containers.Leases.DeleteItemStreamAsync(
            ItemId(lease), Partition(lease.Consumer), new ItemRequestOptions { IfMatchEtag = lease.ETag }, cancellationToken).ConfigureAwait(false);
        return Written(response, lease, "delete") is not null;
    }

    private FeedLease? Written(ResponseMessage response, FeedLease lease, string op)
    {
        if (response.IsSuccessStatusCode)
        {
            failures.Metrics.Operation(Store, op, Outcomes.Ok);
            return lease with { ETag = response.Headers.ETag };
        }

        if (response.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict or HttpStatusCode.NotFound)
        {
            failures.Metrics.Conflict(Store, op);
            return null;
        }

        failures.ThrowUnexpected(response, Store, op);
        return null;
    }

    /// <summary>The continuations object of the older single lease item, as JSON; null when there is none.</summary>
    private async Task<string?> ReadLegacyTokensAsync(string consumer, CancellationToken ct)
    {
        var id = "consumer:" + consumer;
        using var response = await containers.Leases.ReadItemStreamAsync(id, Partition(consumer), requestOptions: null, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        if (!response.IsSuccessStatusCode)
        {
            failures.ThrowUnexpected(response, Store, "read_legacy");
        }

        var item = await CosmosDocuments.ReadItemAsync(response.Content, ct).ConfigureAwait(false);
        var tokens = new Dictionary<string, string>(StringComparer.Ordinal);
        if (item.TryGetProperty("continuations", out var continuations) && continuations.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in continuations.EnumerateObject())
            {
                if (property.Value.ValueKind == JsonValueKind.String && Array.IndexOf(CosmosContainers.DocumentContainerNames, property.Name) >= 0)
                {
                    tokens[property.Name] = property.Value.GetString()!;
                }
            }
        }

        return CosmosChangeFeed.WriteContinuation(tokens);
    }

    private static PartitionKey Partition(string consumer) => new("consumer:" + consumer);

    private static string ItemId(FeedLease lease) => string.Create(CultureInfo.InvariantCulture, $"lease:{lease.Consumer}:{lease.Key}");

    private static MemoryStream Serialize(FeedLease lease)
    {
        var body = new MemoryStream();
        using (var writer = new Utf8JsonWriter(body))
        {
            writer.WriteStartObject();
            writer.WriteString(CosmosDocuments.Id, ItemId(lease));
            writer.WriteString(CosmosDocuments.RestaurantId, "consumer:" + lease.Consumer);
            writer.WriteString(CosmosDocuments.Kind, "lease");
            writer.WriteString("consumer", lease.Consumer);
            writer.WriteString("key", lease.Key);
            CosmosDocuments.WriteNullable(writer, "range", lease.Range);
            CosmosDocuments.WriteNullable(writer, "owner", lease.Owner);
            writer.WriteNumber("expiresAt", lease.ExpiresAt.ToUnixTimeMilliseconds());
            CosmosDocuments.WriteNullable(writer, "continuation", lease.Continuation);
            writer.WriteEndObject();
        }

        body.Position = 0;
        return body;
    }
}
