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
/// A consumer's ranges are the feed ranges of each document container (<c>GetFeedRangesAsync</c>) at the time
/// its leases are first created: key <c>&lt;container&gt;-&lt;hash of the range&gt;</c>, range
/// <c>&lt;container&gt;|&lt;feed range JSON&gt;</c>. They stay fixed afterwards: when a physical partition splits,
/// the pull model's continuation token of the parent range carries on over its children, so every change is still
/// read under exactly one lease. A consumer that still has the single lease item of the older layout
/// (<c>id</c> = <c>consumer:&lt;name&gt;</c>, one whole-container token per container) starts from those tokens,
/// one lease per container, so an upgrade neither replays nor skips.
/// </remarks>
internal sealed class CosmosLeaseStore : ILeaseStore
{
    private const string Store = "leases";
    private const string RangeSeparator = "|";

    private readonly CosmosContainers containers;
    private readonly CosmosFailures failures;

    public CosmosLeaseStore(CosmosContainers containers, StorageMetrics metrics, ILogger<CosmosLeaseStore> logger)
    {
        this.containers = containers;
        failures = new CosmosFailures(metrics, logger);
    }

    public static string Range(string container, string? feedRangeJson) => container + RangeSeparator + feedRangeJson;

    /// <summary>Splits a range written by <see cref="Range"/>; the feed range is null for a whole container.</summary>
    public static (string Container, FeedRange? FeedRange) ParseRange(string range)
    {
        var separator = range.IndexOf(RangeSeparator, StringComparison.Ordinal);
        var container = separator < 0 ? range : range[..separator];
        var json = separator < 0 ? string.Empty : range[(separator + 1)..];
        return (container, json.Length == 0 ? null : FeedRange.FromJsonString(json));
    }

    public async Task<IReadOnlyList<LeaseRange>> RangesAsync(string consumer, CancellationToken cancellationToken)
    {
        var legacy = await ReadLegacyTokensAsync(consumer, cancellationToken).ConfigureAwait(false);
        var ranges = new List<LeaseRange>();
        foreach (var name in CosmosContainers.DocumentContainerNames)
        {
            if (legacy.TryGetValue(name, out var token))
            {
                ranges.Add(new LeaseRange(name, Range(name, null), token));
                continue;
            }

            foreach (var feedRange in await containers.ByName(name).GetFeedRangesAsync(cancellationToken).ConfigureAwait(false))
            {
                var json = feedRange.ToJsonString();
                var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)).AsSpan(0, 6));
                ranges.Add(new LeaseRange($"{name}-{hash}", Range(name, json), null));
            }
        }

        return ranges;
    }

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

    private async Task<Dictionary<string, string>> ReadLegacyTokensAsync(string consumer, CancellationToken ct)
    {
        var tokens = new Dictionary<string, string>(StringComparer.Ordinal);
        var id = "consumer:" + consumer;
        using var response = await containers.Leases.ReadItemStreamAsync(id, Partition(consumer), requestOptions: null, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return tokens;
        }

        if (!response.IsSuccessStatusCode)
        {
            failures.ThrowUnexpected(response, Store, "read_legacy");
        }

        var item = await CosmosDocuments.ReadItemAsync(response.Content, ct).ConfigureAwait(false);
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

        return tokens;
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
            WriteNullable(writer, "range", lease.Range);
            WriteNullable(writer, "owner", lease.Owner);
            writer.WriteNumber("expiresAt", lease.ExpiresAt.ToUnixTimeMilliseconds());
            WriteNullable(writer, "continuation", lease.Continuation);
            writer.WriteEndObject();
        }

        body.Position = 0;
        return body;
    }

    private static void WriteNullable(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }
}
