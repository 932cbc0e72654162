using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Storage.Internal;

namespace RestaurantOs.Storage.Cosmos;

/// <summary>
/// The change feed of the four document containers, read with the SDK's pull model
/// (<c>GetChangeFeedStreamIterator</c>, <see cref="ChangeFeedMode.LatestVersion"/>).
/// </summary>
/// <remarks>
/// Each consumer has one lease item in the <c>leases</c> container (<c>id</c> and <c>restaurantId</c> =
/// <c>"consumer:&lt;name&gt;"</c>) holding the owner instance, the lease expiry and one continuation token per
/// container. A read first takes or renews the lease (ETag-guarded); while another live instance holds it, reads
/// return an empty batch, so only one instance reads a consumer (and assigns seq) at a time. Reads start from the
/// checkpointed tokens, never from in-memory state, so a consumer that does not checkpoint reads the same changes
/// again. The continuation handed out is a JSON object of container name to token; it is null when every container
/// answered "not modified".
/// LatestVersion mode reports the latest version of an item: if an item changes twice between two reads, only the
/// second version is read. Order is commit order per restaurant within a container.
/// </remarks>
internal sealed class CosmosChangeFeed : IChangeFeed
{
    private const string Store = "change_feed";

    private readonly CosmosContainers containers;
    private readonly TimeProvider timeProvider;
    private readonly CosmosFailures failures;
    private readonly ILogger logger;
    private readonly TimeSpan leaseDuration;
    private readonly ConcurrentDictionary<string, int> rotation = new(StringComparer.Ordinal);

    public CosmosChangeFeed(
        CosmosContainers containers, TimeProvider timeProvider, IOptions<CosmosStoreOptions> options, StorageMetrics metrics, ILogger<CosmosChangeFeed> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.containers = containers;
        this.timeProvider = timeProvider;
        this.logger = logger;
        failures = new CosmosFailures(metrics, logger);
        leaseDuration = TimeSpan.FromSeconds(options.Value.LeaseDurationSeconds);
        InstanceId = string.Create(CultureInfo.InvariantCulture, $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}");
    }

    /// <summary>This instance's lease owner id.</summary>
    public string InstanceId { get; }

    public async Task<ChangeBatch> ReadAsync(string consumer, int maxChanges, CancellationToken cancellationToken)
    {
        PortGuards.Consumer(consumer);
        PortGuards.PageSize(maxChanges, nameof(maxChanges));

        var lease = await AcquireAsync(consumer, cancellationToken).ConfigureAwait(false);
        if (lease is null)
        {
            failures.Metrics.Operation(Store, "read", "lease_held");
            return new ChangeBatch([], null);
        }

        var tokens = new Dictionary<string, string>(lease.Continuations, StringComparer.Ordinal);
        var changes = new List<StoreChange>();
        var advanced = false;
        var names = CosmosContainers.DocumentContainerNames;
        // Rotate the first container so a busy one cannot starve the others when batches are full.
        var start = rotation.AddOrUpdate(consumer, 0, (_, n) => (n + 1) % names.Length);
        for (var i = 0; i < names.Length && changes.Count < maxChanges; i++)
        {
            var name = names[(start + i) % names.Length];
            var startFrom = tokens.TryGetValue(name, out var token)
                ? ChangeFeedStartFrom.ContinuationToken(token)
                : ChangeFeedStartFrom.Beginning();
            using var iterator = containers.ByName(name).GetChangeFeedStreamIterator(
                startFrom, ChangeFeedMode.LatestVersion, new ChangeFeedRequestOptions { PageSizeHint = maxChanges - changes.Count });
            using var response = await iterator.ReadNextAsync(cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotModified)
            {
                if (response.ContinuationToken is { } unchanged)
                {
                    tokens[name] = unchanged;
                }

                continue;
            }

            if (!response.IsSuccessStatusCode)
            {
                failures.ThrowUnexpected(response, Store, "read");
            }

            foreach (var item in await CosmosDocuments.ReadPageAsync(response.Content, cancellationToken).ConfigureAwait(false))
            {
                if (TryToChange(name, item, out var change, out var reason))
                {
                    changes.Add(change);
                }
                else
                {
                    StorageLog.SkippedForeignDocument(logger, name, reason);
                }
            }

            if (response.ContinuationToken is { } next)
            {
                tokens[name] = next;
                advanced = true;
            }
        }

        failures.Metrics.Operation(Store, "read", Outcomes.Ok);
        StorageLog.ChangesRead(logger, consumer, changes.Count);
        // Null only when no container moved (all 304): nothing to checkpoint. A page of skipped foreign items has no
        // changes but does move, and must be checkpointed or it would be read forever.
        return new ChangeBatch(changes, advanced ? WriteContinuation(tokens) : null);
    }

    public async Task CheckpointAsync(string consumer, string? continuation, CancellationToken cancellationToken)
    {
        PortGuards.Consumer(consumer);
        if (continuation is null)
        {
            return;
        }

        var tokens = ReadContinuation(continuation);
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var lease = await ReadLeaseAsync(consumer, cancellationToken).ConfigureAwait(false);
            var now = timeProvider.GetUtcNow();
            if (lease is not null && lease.Owner != InstanceId && lease.ExpiresAt > now)
            {
                // Another instance owns the consumer now; it resumes from its own checkpoint, so these changes are
                // read again there (at-least-once). Writing ours could move its position.
                StorageLog.LeaseHeldElsewhere(logger, consumer, lease.Owner, lease.ExpiresAt, InstanceId);
                failures.Metrics.Operation(Store, "checkpoint", "lease_lost");
                return;
            }

            var updated = new LeaseState(InstanceId, now + leaseDuration, tokens);
            if (await WriteLeaseAsync(consumer, updated, lease?.ETag, cancellationToken).ConfigureAwait(false))
            {
                failures.Metrics.Operation(Store, "checkpoint", Outcomes.Ok);
                StorageLog.Checkpointed(logger, consumer, continuation);
                return;
            }
        }

        failures.Metrics.Operation(Store, "checkpoint", Outcomes.Conflict);
        throw new InvalidOperationException($"Could not checkpoint consumer '{consumer}': its lease item kept changing.");
    }

    /// <summary>Takes or renews the consumer's lease; null when another live instance holds it.</summary>
    private async Task<LeaseState?> AcquireAsync(string consumer, CancellationToken ct)
    {
        var lease = await ReadLeaseAsync(consumer, ct).ConfigureAwait(false);
        var now = timeProvider.GetUtcNow();
        if (lease is not null && lease.Owner != InstanceId && lease.ExpiresAt > now)
        {
            StorageLog.LeaseHeldElsewhere(logger, consumer, lease.Owner, lease.ExpiresAt, InstanceId);
            return null;
        }

        // Renew only when half the lease is gone: one lease write per half-duration, not per read.
        if (lease is not null && lease.Owner == InstanceId && lease.ExpiresAt - now > leaseDuration / 2)
        {
            return lease;
        }

        var taken = new LeaseState(InstanceId, now + leaseDuration, lease?.Continuations ?? new Dictionary<string, string>(StringComparer.Ordinal));
        if (!await WriteLeaseAsync(consumer, taken, lease?.ETag, ct).ConfigureAwait(false))
        {
            return null;
        }

        if (lease?.Owner != InstanceId)
        {
            StorageLog.LeaseTaken(logger, consumer, InstanceId);
        }

        return taken;
    }

    private static string LeaseId(string consumer) => "consumer:" + consumer;

    private async Task<LeaseState?> ReadLeaseAsync(string consumer, CancellationToken ct)
    {
        var id = LeaseId(consumer);
        using var response = await containers.Leases.ReadItemStreamAsync(id, new PartitionKey(id), requestOptions: null, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        if (!response.IsSuccessStatusCode)
        {
            failures.ThrowUnexpected(response, Store, "read_lease");
        }

        var item = await CosmosDocuments.ReadItemAsync(response.Content, ct).ConfigureAwait(false);
        var continuations = new Dictionary<string, string>(StringComparer.Ordinal);
        if (item.TryGetProperty("continuations", out var stored) && stored.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in stored.EnumerateObject())
            {
                if (property.Value.ValueKind == JsonValueKind.String)
                {
                    continuations[property.Name] = property.Value.GetString()!;
                }
            }
        }

        return new LeaseState(
            CosmosDocuments.GetString(item, "owner") ?? string.Empty,
            DateTimeOffset.FromUnixTimeMilliseconds(CosmosDocuments.GetInt64(item, "expiresAt") ?? 0),
            continuations)
        {
            ETag = response.Headers.ETag ?? CosmosDocuments.GetString(item, CosmosDocuments.ETag),
        };
    }

    /// <summary>Creates (no ETag) or replaces (IfMatch) the lease item; false when another instance won.</summary>
    private async Task<bool> WriteLeaseAsync(string consumer, LeaseState lease, string? etag, CancellationToken ct)
    {
        var id = LeaseId(consumer);
        using var body = new MemoryStream();
        using (var writer = new Utf8JsonWriter(body))
        {
            writer.WriteStartObject();
            writer.WriteString(CosmosDocuments.Id, id);
            writer.WriteString(CosmosDocuments.RestaurantId, id);
            writer.WriteString(CosmosDocuments.Kind, "lease");
            writer.WriteString("consumer", consumer);
            writer.WriteString("owner", lease.Owner);
            writer.WriteNumber("expiresAt", lease.ExpiresAt.ToUnixTimeMilliseconds());
            writer.WriteStartObject("continuations");
            foreach (var (name, token) in lease.Continuations.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                writer.WriteString(name, token);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        body.Position = 0;
        var options = new ItemRequestOptions { IfMatchEtag = etag, EnableContentResponseOnWrite = false };
        using var response = etag is null
            ? await containers.Leases.CreateItemStreamAsync(body, new PartitionKey(id), options, ct).ConfigureAwait(false)
            : await containers.Leases.ReplaceItemStreamAsync(body, id, new PartitionKey(id), options, ct).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return true;
        }

        if (response.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict or HttpStatusCode.NotFound)
        {
            failures.Metrics.Conflict(Store, "lease");
            return false;
        }

        failures.ThrowUnexpected(response, Store, "write_lease");
        return false;
    }

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
        change = new StoreChange(DocumentKinds.ChangeId(kind, id, version.Value), kind, restaurantId, id, doc.Clone(), committedAt);
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
                if (Array.IndexOf(CosmosContainers.DocumentContainerNames, property.Name) < 0 || property.Value.ValueKind != JsonValueKind.String)
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

    private sealed record LeaseState(string Owner, DateTimeOffset ExpiresAt, IReadOnlyDictionary<string, string> Continuations)
    {
        public string? ETag { get; init; }
    }
}
