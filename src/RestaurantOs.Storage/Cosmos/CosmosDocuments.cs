using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Logging;
using RestaurantOs.Realtime.Telemetry;
using RestaurantOs.Storage.Internal;

namespace RestaurantOs.Storage.Cosmos;

/// <summary>
/// The Cosmos document format: a small wrapper around the snake_case contract document.
/// <code>
/// { "id": "&lt;document id&gt;", "restaurantId": "&lt;guid&gt;", "kind": "order", "version": 3,
///   "status": "preparing", "orderId": null, "sortKey": 1764160000000, "doc": { ...snake_case Order... } }
/// </code>
/// Other services may write this shape straight into the containers; the change feed turns it into events.
/// </summary>
internal static class CosmosDocuments
{
    public const string Id = "id";
    public const string RestaurantId = "restaurantId";
    public const string Kind = "kind";
    public const string Version = "version";
    public const string Status = "status";
    public const string OrderId = "orderId";
    public const string SortKey = "sortKey";
    public const string Doc = "doc";
    public const string Ts = "_ts";
    public const string ETag = "_etag";
    public const string TraceParent = "traceParent";

    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false };
    private static readonly SearchValues<char> IdCharsToEscape = SearchValues.Create("/\\?#%$");

    public static MemoryStream Wrap<T>(DocumentType<T> type, T document)
        where T : class
    {
        var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString(Id, DocumentKinds.IdText(type.Id(document)));
            writer.WriteString(RestaurantId, DocumentKinds.IdText(type.RestaurantId(document)));
            writer.WriteString(Kind, type.KindName);
            writer.WriteNumber(Version, type.Version(document));
            if (type.Status(document) is { } status)
            {
                writer.WriteString(Status, status);
            }

            if (type.OrderId(document) is { } orderId)
            {
                writer.WriteString(OrderId, DocumentKinds.IdText(orderId));
            }

            writer.WriteNumber(SortKey, type.SortKey(document));
            // Beside the document, not in it: the change feed hands it to the publish, and no client ever sees it.
            if (RealtimeTracing.CurrentTraceParent() is { } traceParent)
            {
                writer.WriteString(TraceParent, traceParent);
            }

            writer.WritePropertyName(Doc);
            writer.WriteRawValue(type.Serialize(document), skipInputValidation: true);
            writer.WriteEndObject();
        }

        stream.Position = 0;
        return stream;
    }

    /// <summary>Reads the <c>Documents</c> array of a query or change-feed page.</summary>
    public static async Task<List<JsonElement>> ReadPageAsync(Stream? content, CancellationToken ct)
    {
        var items = new List<JsonElement>();
        if (content is null)
        {
            return items;
        }

        using var page = await JsonDocument.ParseAsync(content, default, ct).ConfigureAwait(false);
        if (page.RootElement.TryGetProperty("Documents", out var documents) && documents.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in documents.EnumerateArray())
            {
                items.Add(item.Clone());
            }
        }

        return items;
    }

    public static async Task<JsonElement> ReadItemAsync(Stream content, CancellationToken ct)
    {
        using var item = await JsonDocument.ParseAsync(content, default, ct).ConfigureAwait(false);
        return item.RootElement.Clone();
    }

    public static T Unwrap<T>(DocumentType<T> type, JsonElement wrapper)
        where T : class =>
        wrapper.TryGetProperty(Doc, out var doc)
            ? type.Deserialize(doc)
            : throw new InvalidDataException($"A Cosmos {type.KindName} item has no '{Doc}' member.");

    /// <summary>Writes <paramref name="name"/> as a string, or as JSON null (so queries can test it with IS_NULL).</summary>
    public static void WriteNullable(Utf8JsonWriter writer, string name, string? value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }

    public static string? GetString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static long? GetInt64(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : null;

    /// <summary>
    /// Cosmos ids may not contain '/', '\', '?' or '#'; event ids are escaped reversibly ('%' too, and '$' so no
    /// event can take the counter's id).
    /// </summary>
    public static string EscapeId(string id)
    {
        if (id.AsSpan().IndexOfAny(IdCharsToEscape) < 0)
        {
            return id;
        }

        var builder = new StringBuilder(id.Length + 8);
        foreach (var c in id)
        {
            _ = c switch
            {
                '/' or '\\' or '?' or '#' or '%' or '$' => builder.Append('%').Append(((int)c).ToString("X2", CultureInfo.InvariantCulture)),
                _ => builder.Append(c),
            };
        }

        return builder.ToString();
    }

    public static PartitionKey Partition(Guid restaurantId) => new(DocumentKinds.IdText(restaurantId));

    public static TimeSpan? RetryAfter(Headers headers)
    {
        var value = headers["x-ms-retry-after-ms"];
        return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) ? TimeSpan.FromMilliseconds(ms) : null;
    }
}

/// <summary>Maps Cosmos responses that are not expected outcomes: 429 after SDK retries, and other failures.</summary>
internal sealed class CosmosFailures(StorageMetrics metrics, ILogger logger)
{
    public StorageMetrics Metrics => metrics;

    public ILogger Logger => logger;

    /// <summary>Throws for 429 (<see cref="StoreThrottledException"/>) and any other unsuccessful status (<see cref="CosmosException"/>).</summary>
    public void ThrowUnexpected(ResponseMessage response, string store, string op)
    {
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            ThrowThrottled(store, op, CosmosDocuments.RetryAfter(response.Headers));
        }

        metrics.Operation(store, op, Outcomes.Error);
        response.EnsureSuccessStatusCode();
        throw new InvalidOperationException($"Unexpected Cosmos status {(int)response.StatusCode} for {store} {op}.");
    }

    public void ThrowThrottled(string store, string op, TimeSpan? retryAfter)
    {
        metrics.Operation(store, op, Outcomes.Throttled);
        metrics.Throttled(store, op);
        StorageLog.Throttled(logger, store, op, retryAfter?.TotalMilliseconds ?? 0);
        throw new StoreThrottledException($"Cosmos DB is throttling {store} {op} (429) after the SDK's retries; try again later.", retryAfter);
    }
}
