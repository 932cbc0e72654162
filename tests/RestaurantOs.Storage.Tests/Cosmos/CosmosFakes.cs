using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using RestaurantOs.Storage.Cosmos;
using RestaurantOs.Storage.Internal;

namespace RestaurantOs.Storage.Tests.Cosmos;

/// <summary>Mocked Cosmos containers (the SDK cannot reach a service here) plus a metrics recorder.</summary>
internal sealed class CosmosFakes : IDisposable
{
    private readonly ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly MeterListener listener = new();
    private readonly List<(string Instrument, long Value, Dictionary<string, object?> Tags)> measurements = [];

    public CosmosFakes()
    {
        var factory = services.GetRequiredService<IMeterFactory>();
        Metrics = new StorageMetrics(factory);
        listener.InstrumentPublished = (instrument, l) =>
        {
            // Only this test's meter: other tests create meters with the same name in parallel.
            if (instrument.Meter.Scope == factory)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            lock (measurements)
            {
                measurements.Add((instrument.Name, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value)));
            }
        });
        listener.Start();
        Containers = new CosmosContainers(Orders.Object, Tables.Object, Payments.Object, Notifications.Object, Events.Object, Leases.Object, presence: Presence.Object);
    }

    public Mock<Container> Orders { get; } = new();

    public Mock<Container> Tables { get; } = new();

    public Mock<Container> Payments { get; } = new();

    public Mock<Container> Notifications { get; } = new();

    public Mock<Container> Events { get; } = new();

    public Mock<Container> Leases { get; } = new();

    public Mock<Container> Presence { get; } = new();

    public CosmosContainers Containers { get; }

    public StorageMetrics Metrics { get; }

    public long Sum(string instrument, string? op = null)
    {
        lock (measurements)
        {
            return measurements
                .Where(m => m.Instrument == instrument && (op is null || Equals(m.Tags.GetValueOrDefault("op"), op)))
                .Sum(m => m.Value);
        }
    }

    public static ResponseMessage Response(HttpStatusCode status, string? json = null, string? etag = null, string? continuation = null)
    {
        var response = new ResponseMessage(status);
        if (json is not null)
        {
            response.Content = new MemoryStream(Encoding.UTF8.GetBytes(json));
        }

        if (etag is not null)
        {
            response.Headers["etag"] = etag;
        }

        if (continuation is not null)
        {
            response.Headers["x-ms-continuation"] = continuation;
        }

        return response;
    }

    public static string Page(params string[] items) => "{\"_rid\":\"x\",\"Documents\":[" + string.Join(',', items) + "],\"_count\":" + items.Length + "}";

    public static string ReadAll(Stream stream)
    {
        var position = stream.Position;
        using var reader = new StreamReader(stream, Encoding.UTF8, leaveOpen: true);
        var text = reader.ReadToEnd();
        stream.Position = position;
        return text;
    }

    public static JsonElement Json(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    public static string Wrapper<T>(DocumentType<T> type, T document, long ts = 1_764_158_400)
        where T : class
    {
        using var stream = CosmosDocuments.Wrap(type, document);
        var json = ReadAll(stream);
        // What the service adds to every item.
        return json[..^1] + ",\"_ts\":" + ts + ",\"_etag\":\"\\\"srv\\\"\"}";
    }

    /// <summary>
    /// Makes the events container record its transactional batches: <paramref name="operationsFor"/> is told each
    /// batch's partition and returns the list that batch's create/replace operations are added to; each execution
    /// answers with the next of <paramref name="results"/>.
    /// </summary>
    public void RecordEventBatches(Func<PartitionKey, List<BatchOperation>> operationsFor, Queue<TransactionalBatchResponse> results) =>
        Events
            .Setup(c => c.CreateTransactionalBatch(It.IsAny<PartitionKey>()))
            .Returns((PartitionKey pk) =>
            {
                var operations = operationsFor(pk);
                var batch = new Mock<TransactionalBatch>();
                batch.Setup(b => b.CreateItemStream(It.IsAny<Stream>(), It.IsAny<TransactionalBatchItemRequestOptions>()))
                    .Callback((Stream s, TransactionalBatchItemRequestOptions o) => operations.Add(new("create", null, ReadAll(s), o?.IfMatchEtag)))
                    .Returns(batch.Object);
                batch.Setup(b => b.ReplaceItemStream(It.IsAny<string>(), It.IsAny<Stream>(), It.IsAny<TransactionalBatchItemRequestOptions>()))
                    .Callback((string id, Stream s, TransactionalBatchItemRequestOptions o) => operations.Add(new("replace", id, ReadAll(s), o?.IfMatchEtag)))
                    .Returns(batch.Object);
                batch.Setup(b => b.ExecuteAsync(It.IsAny<CancellationToken>())).ReturnsAsync(() => results.Dequeue());
                return batch.Object;
            });

    /// <summary>A transactional batch's answer: its status and one status per operation.</summary>
    public static TransactionalBatchResponse BatchResponse(HttpStatusCode status, params HttpStatusCode[] results)
    {
        var response = new Mock<TransactionalBatchResponse>();
        response.SetupGet(r => r.StatusCode).Returns(status);
        response.SetupGet(r => r.IsSuccessStatusCode).Returns((int)status is >= 200 and < 300);
        response.SetupGet(r => r.Count).Returns(results.Length);
        for (var i = 0; i < results.Length; i++)
        {
            var result = new Mock<TransactionalBatchOperationResult>();
            result.SetupGet(r => r.StatusCode).Returns(results[i]);
            response.Setup(r => r[i]).Returns(result.Object);
        }

        return response.Object;
    }

    public static CosmosEventHistory History(CosmosFakes fakes, int maxEvents = 10_000) =>
        new(fakes.Containers, Microsoft.Extensions.Options.Options.Create(new HistoryOptions { MaxEventsPerRestaurant = maxEvents }), fakes.Metrics, NullLogger<CosmosEventHistory>.Instance);

    public void Dispose()
    {
        listener.Dispose();
        services.Dispose();
    }
}

/// <summary>One operation of a recorded transactional batch.</summary>
internal sealed record BatchOperation(string Op, string? Id, string Body, string? IfMatch);
