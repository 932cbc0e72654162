using System.Net;
using System.Text.Json;
using Microsoft.Azure.Cosmos;
using Moq;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Storage.Cosmos;
using static RestaurantOs.Storage.Tests.Cosmos.CosmosFakes;

namespace RestaurantOs.Storage.Tests.Cosmos;

/// <summary>
/// The Cosmos DB batch append against a mocked container: how a long list is split into transactional batches (100
/// operations, 2 MB), and how ids that are already stored are read back instead of appended again.
/// </summary>
public sealed class CosmosHistoryBatchTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly CosmosFakes fakes = new();
    private readonly Guid restaurant = Guid.NewGuid();
    private readonly List<List<BatchOperation>> batches = [];
    private readonly Queue<ResponseMessage> counterReads = new();
    private readonly Queue<TransactionalBatchResponse> batchResults = new();
    private readonly Dictionary<string, string> storedEvents = new(StringComparer.Ordinal);
    private readonly List<string> eventReads = [];

    public CosmosHistoryBatchTests()
    {
        fakes.Events
            .Setup(c => c.ReadItemStreamAsync(CosmosEventHistory.CounterId, It.IsAny<PartitionKey>(), It.IsAny<ItemRequestOptions>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(() => counterReads.Dequeue());
        fakes.Events
            .Setup(c => c.ReadItemStreamAsync(It.Is<string>(id => id != CosmosEventHistory.CounterId), It.IsAny<PartitionKey>(), It.IsAny<ItemRequestOptions>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((string id, PartitionKey _, ItemRequestOptions _, CancellationToken _) =>
            {
                lock (eventReads)
                {
                    eventReads.Add(id);
                }

                return storedEvents.TryGetValue(id, out var item) ? Response(HttpStatusCode.OK, item) : Response(HttpStatusCode.NotFound);
            });
        fakes.RecordEventBatches(
            pk =>
            {
                Assert.Equal(new PartitionKey(restaurant.ToString()), pk);
                var operations = new List<BatchOperation>();
                batches.Add(operations);
                return operations;
            },
            batchResults);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => fakes.Dispose();

    private string Counter(long seq) =>
        $$"""{"id":"$counter","restaurantId":"{{restaurant}}","kind":"counter","seq":{{seq}},"ttl":-1}""";

    private void Store(string eventId, long seq) =>
        storedEvents[eventId] = $$$"""
            {"id":"{{{eventId}}}","restaurantId":"{{{restaurant}}}","kind":"event","seq":{{{seq}}},"eventId":"{{{eventId}}}","type":"order:created",
             "timestamp":"2026-11-26T12:00:00.0000000+00:00","data":null,"scope":{"order_id":null,"table_number":"4"}}
            """;

    private NewEvent[] Events(params string[] ids) => [.. ids.Select(id => Samples.Event(restaurant, id: id))];

    private static long Seq(BatchOperation operation) => Json(operation.Body).GetProperty("seq").GetInt64();

    [Fact]
    public async Task More_than_99_events_are_split_into_batches_of_at_most_100_operations_with_the_counter_in_each()
    {
        counterReads.Enqueue(Response(HttpStatusCode.NotFound));
        counterReads.Enqueue(Response(HttpStatusCode.OK, Counter(99), "\"c99\""));
        batchResults.Enqueue(BatchResponse(HttpStatusCode.OK));
        batchResults.Enqueue(BatchResponse(HttpStatusCode.OK));
        var ids = Enumerable.Range(1, 150).Select(i => $"e{i}").ToArray();

        var results = await History(fakes).AppendManyAsync(Events(ids), Ct).WaitAsync(Timeout, Ct);

        Assert.Equal([100, 52], batches.Select(b => b.Count));
        Assert.Equal(("create", 99L), (batches[0][0].Op, Seq(batches[0][0])));
        Assert.Equal(("replace", "$counter", "\"c99\"", 150L), (batches[1][0].Op, batches[1][0].Id, batches[1][0].IfMatch, Seq(batches[1][0])));
        Assert.Equal(Enumerable.Range(1, 150).Select(i => (long)i), batches.SelectMany(b => b.Skip(1)).Select(Seq));
        Assert.Equal(ids, batches.SelectMany(b => b.Skip(1)).Select(o => Json(o.Body).GetProperty("eventId").GetString()));
        Assert.Equal(Enumerable.Range(1, 150).Select(i => (long)i), results.Select(r => r.Event.Seq!.Value));
        Assert.All(results, r => Assert.True(r.Appended));
    }

    [Fact]
    public async Task Large_events_are_split_to_keep_each_batch_under_the_request_size_limit()
    {
        counterReads.Enqueue(Response(HttpStatusCode.NotFound));
        counterReads.Enqueue(Response(HttpStatusCode.OK, Counter(29), "\"c29\""));
        batchResults.Enqueue(BatchResponse(HttpStatusCode.OK));
        batchResults.Enqueue(BatchResponse(HttpStatusCode.OK));
        var bulky = JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["note"] = new string('x', 50_000) }, TestJsonContext.Default.DictionaryStringString);
        var events = Enumerable.Range(1, 40).Select(i => Samples.Event(restaurant, id: $"big{i}") with { Data = bulky }).ToArray();

        var results = await History(fakes).AppendManyAsync(events, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(2, batches.Count);
        Assert.All(batches, b => Assert.InRange(b.Sum(o => o.Body.Length), 1, 2_000_000));
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), results.Select(r => r.Event.Seq!.Value));
    }

    [Fact]
    public async Task A_conflict_reads_the_pending_ids_back_and_appends_only_the_new_ones_after_the_stored()
    {
        // A repeated page after a crash: "a" was appended (seq 7) before the crash, "b" and "c" were not.
        Store("a", 7);
        counterReads.Enqueue(Response(HttpStatusCode.OK, Counter(7), "\"c7\""));
        counterReads.Enqueue(Response(HttpStatusCode.OK, Counter(7), "\"c7\""));
        batchResults.Enqueue(BatchResponse(HttpStatusCode.Conflict, HttpStatusCode.FailedDependency, HttpStatusCode.Conflict, HttpStatusCode.FailedDependency, HttpStatusCode.FailedDependency));
        batchResults.Enqueue(BatchResponse(HttpStatusCode.OK));

        var results = await History(fakes).AppendManyAsync(Events("a", "b", "c"), Ct).WaitAsync(Timeout, Ct);

        Assert.Equal([("a", 7L, false), ("b", 8L, true), ("c", 9L, true)], results.Select(r => (r.Event.Id!, r.Event.Seq!.Value, r.Appended)));
        Assert.Equal(["a", "b", "c"], eventReads.Order());
        Assert.Equal(3, batches[1].Count);
        Assert.Equal(("replace", "\"c7\"", 9L), (batches[1][0].Op, batches[1][0].IfMatch, Seq(batches[1][0])));
        Assert.Equal(["b", "c"], batches[1].Skip(1).Select(o => Json(o.Body).GetProperty("eventId").GetString()));
    }

    [Fact]
    public async Task A_batch_whose_ids_are_all_stored_returns_them_without_a_second_write()
    {
        Store("a", 3);
        Store("b", 4);
        counterReads.Enqueue(Response(HttpStatusCode.OK, Counter(4), "\"c4\""));
        batchResults.Enqueue(BatchResponse(HttpStatusCode.Conflict, HttpStatusCode.FailedDependency, HttpStatusCode.Conflict, HttpStatusCode.FailedDependency));

        var results = await History(fakes).AppendManyAsync(Events("a", "b"), Ct).WaitAsync(Timeout, Ct);

        Assert.Equal([("a", 3L, false), ("b", 4L, false)], results.Select(r => (r.Event.Id!, r.Event.Seq!.Value, r.Appended)));
        Assert.Single(batches);
        Assert.Empty(counterReads);
    }

    [Fact]
    public async Task An_id_repeated_in_the_list_is_written_once()
    {
        counterReads.Enqueue(Response(HttpStatusCode.NotFound));
        batchResults.Enqueue(BatchResponse(HttpStatusCode.OK));

        var results = await History(fakes).AppendManyAsync(Events("x", "y", "x"), Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(3, Assert.Single(batches).Count);
        Assert.Equal([("x", 1L, true), ("y", 2L, true), ("x", 1L, false)], results.Select(r => (r.Event.Id!, r.Event.Seq!.Value, r.Appended)));
    }
}
