using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Logging;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Storage.Internal;
using RestaurantOs.Storage.Leases;

namespace RestaurantOs.Storage.Cosmos;

/// <summary>
/// The change feed of the four document containers, read with the SDK's pull model
/// (<c>GetChangeFeedStreamIterator</c>, <see cref="ChangeFeedMode.LatestVersion"/>), one hash range at a time.
/// </summary>
/// <remarks>
/// Each consumer's feed is split into leases, one per range of the partition-key hash space
/// (<see cref="CosmosLeaseStore"/>), shared among instances by <see cref="ChangeFeedLeaseManager"/>. The partition
/// key is the restaurant, so a restaurant's documents in all four containers are in one range, read by one instance
/// at a time, in commit order per container. A read covers only the ranges this instance holds, starting from each
/// range's checkpointed tokens, or from the caller's <c>after</c> position for the ranges it covers (so a consumer that
/// does not checkpoint and does not read on reads the same changes again); while other instances hold every range,
/// reads return an empty batch. The continuation handed out is a JSON object of
/// <c>&lt;lease key&gt;|&lt;container&gt;</c> to token for every held range and container with a known position; it is
/// null when everything answered "not modified". A checkpoint merges each range's tokens into its
/// lease (ETag-guarded) if this instance still holds it; a range handed over in between is read again by its new
/// owner (at-least-once). LatestVersion mode reports the latest version of an item: if an item changes twice
/// between two reads, only the second version is read.
/// </remarks>
internal sealed class CosmosChangeFeed : IChangeFeed
{
    private const string Store = "change_feed";
    private const string KeySeparator = "|";

    private readonly CosmosContainers containers;
    private readonly ChangeFeedLeaseManager leases;
    private readonly TimeProvider timeProvider;
    private readonly CosmosFailures failures;
    private readonly ILogger logger;
    private readonly ConcurrentDictionary<string, int> rotation = new(StringComparer.Ordinal);

    public CosmosChangeFeed(
        CosmosContainers containers, ChangeFeedLeaseManager leases, TimeProvider timeProvider, StorageMetrics metrics, ILogger<CosmosChangeFeed> logger)
    {
        this.containers = containers;
        this.leases = leases;
        this.timeProvider = timeProvider;
        this.logger = logger;
        failures = new CosmosFailures(metrics, logger);
    }

    public async Task<ChangeBatch> ReadAsync(string consumer, int maxChanges, string? after, CancellationToken cancellationToken)
    {
        PortGuards.Consumer(consumer);
        PortGuards.PageSize(maxChanges, nameof(maxChanges));
        var ahead = after is null ? [] : ReadContinuation(after);

        var held = await leases.AcquireAsync(consumer, cancellationToken).ConfigureAwait(false);
        if (held.Count == 0)
        {
            failures.Metrics.Operation(Store, "read", "lease_held");
            return new ChangeBatch([], null);
        }

        var changes = new List<StoreChange>();
        var advanced = false;
        var left = false;
        var names = CosmosContainers.DocumentContainerNames;
        var reads = held.SelectMany(lease => names.Select(name => (Lease: lease, Name: name))).ToList();
        // Rotate the first (range, container) so a busy one cannot starve the others when batches are full.
        var start = rotation.AddOrUpdate(consumer, 0, (_, n) => (n + 1) % reads.Count) % reads.Count;
        // Where each held (range, container) starts: the caller's position when it read on from there, else the
        // checkpoint. The continuation handed out covers them all, so a read after it starts where this one ended.
        var tokens = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var lease in held)
        {
            var stored = lease.Continuation is { } c ? ReadTokens(c) : [];
            foreach (var name in names)
            {
                var position = lease.Key + KeySeparator + name;
                if (ahead.TryGetValue(position, out var token) || stored.TryGetValue(name, out token))
                {
                    tokens[position] = token;
                }
            }
        }

        // Every (range, container) at once: each is a round trip, and one after another they would make a feed read
        // four times as slow. Pages are kept whole, in rotation order, while they fit in maxChanges; a page that does
        // not fit keeps its position and is read again by the next read.
        var pages = await Task.WhenAll(Enumerable.Range(0, reads.Count).Select(i =>
        {
            var (lease, name) = reads[(start + i) % reads.Count];
            var position = lease.Key + KeySeparator + name;
            var startFrom = tokens.TryGetValue(position, out var token)
                ? ChangeFeedStartFrom.ContinuationToken(token)
                : lease.Range is { } range ? ChangeFeedStartFrom.Beginning(FeedRange.FromJsonString(range)) : ChangeFeedStartFrom.Beginning();
            return ReadPageAsync(position, name, startFrom, maxChanges, cancellationToken);
        })).ConfigureAwait(false);
        foreach (var page in pages)
        {
            if (page.NotModified)
            {
                if (page.Next is { } unchanged)
                {
                    tokens[page.Position] = unchanged;
                }

                continue;
            }

            if (changes.Count > 0 && changes.Count + page.Changes.Count > maxChanges)
            {
                left = true;
                continue;
            }

            changes.AddRange(page.Changes);
            if (page.Next is { } next)
            {
                tokens[page.Position] = next;
                advanced = true;
            }
        }

        failures.Metrics.Operation(Store, "read", Outcomes.Ok);
        StorageLog.ChangesRead(logger, consumer, changes.Count);
        // Null only when no range moved (all 304): nothing to checkpoint. A page of skipped foreign items has no
        // changes but does move, and must be checkpointed or it would be read forever.
        return new ChangeBatch(changes, advanced ? WriteContinuation(tokens) : null, HasMore: left);
    }

    public async Task CheckpointAsync(string consumer, string? continuation, CancellationToken cancellationToken)
    {
        PortGuards.Consumer(consumer);
        if (continuation is null)
        {
            return;
        }

        var byRange = ReadContinuation(continuation)
            .GroupBy(p => p.Key[..p.Key.IndexOf(KeySeparator, StringComparison.Ordinal)], StringComparer.Ordinal);
        var lost = 0;
        foreach (var range in byRange)
        {
            var merged = await leases.CheckpointAsync(
                consumer,
                range.Key,
                stored =>
                {
                    var tokens = stored is null ? [] : ReadTokens(stored);
                    foreach (var (position, token) in range)
                    {
                        tokens[position[(range.Key.Length + KeySeparator.Length)..]] = token;
                    }

                    return WriteContinuation(tokens);
                },
                cancellationToken).ConfigureAwait(false);
            if (!merged)
            {
                // Another instance reads this range now, from its own checkpoint: these changes are read again
                // there (at-least-once). Writing ours could move its position.
                lost++;
            }
        }

        failures.Metrics.Operation(Store, "checkpoint", lost == 0 ? Outcomes.Ok : "lease_lost");
        StorageLog.Checkpointed(logger, consumer, continuation);
    }

    /// <summary>One page of one (range, container): its changes and the token after them.</summary>
    private async Task<ContainerPage> ReadPageAsync(string position, string container, ChangeFeedStartFrom startFrom, int maxChanges, CancellationToken cancellationToken)
    {
        using var iterator = containers.ByName(container).GetChangeFeedStreamIterator(
            startFrom, ChangeFeedMode.LatestVersion, new ChangeFeedRequestOptions { PageSizeHint = maxChanges });
        using var response = await iterator.ReadNextAsync(cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotModified)
        {
            return new ContainerPage(position, NotModified: true, [], response.ContinuationToken);
        }

        if (!response.IsSuccessStatusCode)
        {
            failures.ThrowUnexpected(response, Store, "read");
        }

        var changes = new List<StoreChange>();
        foreach (var item in await CosmosDocuments.ReadPageAsync(response.Content, cancellationToken).ConfigureAwait(false))
        {
            if (TryToChange(container, item, out var change, out var reason))
            {
                changes.Add(change);
            }
            else
            {
                StorageLog.SkippedForeignDocument(logger, container, reason);
            }
        }

        return new ContainerPage(position, NotModified: false, changes, response.ContinuationToken);
    }

    private sealed record ContainerPage(string Position, bool NotModified, IReadOnlyList<StoreChange> Changes, string? Next);

    private bool TryToChange(string container, JsonElement item, out StoreChange change, out string reason)
    {
        change = null!;
        var id = CosmosDocuments.GetString(item, CosmosDocuments.Id);
        var restaurant = CosmosDocuments.GetString(item, CosmosDocuments.RestaurantId);
        var kindName = CosmosDocuments.GetString(item, CosmosDocuments.Kind);
        var version = CosmosDocuments.GetInt64(item, CosmosDocuments.Version);
        if (id is null || !Guid.TryParse(restaurant, CultureInfo.InvariantCulture, out var restaurantId) || !DocumentKinds.TryParse(kindName, out var kind) || version is null)
        {
            reason = "missing id, restaurantId (a GUID), kind or version";
            return false;
        }

        if (!string.Equals(DocumentKinds.Name(kind) + "s", container, StringComparison.Ordinal))
        {
            reason = $"kind '{kindName}' does not belong in this container";
            return false;
        }

        if (!item.TryGetProperty(CosmosDocuments.Doc, out var doc) || doc.ValueKind != JsonValueKind.Object)
        {
            reason = "no 'doc' object";
            return false;
        }

        var committedAt = DateTimeOffset.FromUnixTimeSeconds(CosmosDocuments.GetInt64(item, CosmosDocuments.Ts) ?? timeProvider.GetUtcNow().ToUnixTimeSeconds());
        change = new StoreChange(DocumentKinds.ChangeId(kind, id, version.Value), kind, restaurantId, id, doc.Clone(), committedAt, CosmosDocuments.GetString(item, CosmosDocuments.TraceParent));
        reason = string.Empty;
        return true;
    }

    internal static string WriteContinuation(IReadOnlyDictionary<string, string> tokens)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            foreach (var (name, token) in tokens.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                writer.WriteString(name, token);
            }

            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    internal static Dictionary<string, string> ReadContinuation(string continuation)
    {
        try
        {
            using var document = JsonDocument.Parse(continuation);
            var tokens = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!IsPositionKey(property.Name) || property.Value.ValueKind != JsonValueKind.String)
                {
                    throw new ArgumentException($"'{continuation}' is not a continuation returned by this change feed.", nameof(continuation));
                }

                tokens[property.Name] = property.Value.GetString()!;
            }

            return tokens;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new ArgumentException($"'{continuation}' is not a continuation returned by this change feed.", nameof(continuation), ex);
        }
    }

    /// <summary>A position key of a continuation: <c>&lt;lease key&gt;|&lt;container&gt;</c>.</summary>
    private static bool IsPositionKey(string key)
    {
        var separator = key.IndexOf(KeySeparator, StringComparison.Ordinal);
        return separator > 0 && Array.IndexOf(CosmosContainers.DocumentContainerNames, key[(separator + KeySeparator.Length)..]) >= 0;
    }

    /// <summary>A lease's stored continuation: container name to token.</summary>
    private static Dictionary<string, string> ReadTokens(string stored)
    {
        using var document = JsonDocument.Parse(stored);
        var tokens = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.String)
            {
                tokens[property.Name] = property.Value.GetString()!;
            }
        }

        return tokens;
    }
}
