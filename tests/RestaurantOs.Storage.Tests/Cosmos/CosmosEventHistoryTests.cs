using System.Net;
using Microsoft.Azure.Cosmos;
using Moq;
using static RestaurantOs.Storage.Tests.Cosmos.CosmosFakes;

namespace RestaurantOs.Storage.Tests.Cosmos;

public sealed class CosmosEventHistoryTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly CosmosFakes fakes = new();
    private readonly Guid restaurant = Guid.NewGuid();
    private readonly List<BatchOperation> operations = [];
    private readonly Queue<ResponseMessage> counterReads = new();
    private readonly Queue<TransactionalBatchResponse> batchResults = new();
    private PartitionKey? batchPartition;

    public CosmosEventHistoryTests()
    {
        fakes.Events
            .Setup(c => c.ReadItemStreamAsync("$counter", It.IsAny<PartitionKey>(), It.IsAny<ItemRequestOptions>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(() => counterReads.Dequeue());
        fakes.RecordEventBatches(
            pk =>
            {
                batchPartition = pk;
                return operations;
            },
            batchResults);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => fakes.Dispose();

    private string Counter(long seq) =>
        $$"""{"id":"$counter","restaurantId":"{{restaurant}}","kind":"counter","seq":{{seq}},"ttl":-1}""";

    [Fact]
    public async Task The_first_append_creates_the_counter_and_the_event_in_one_batch_in_the_restaurant_partition()
    {
        counterReads.Enqueue(Response(HttpStatusCode.NotFound));
        batchResults.Enqueue(BatchResponse(HttpStatusCode.OK, HttpStatusCode.Created, HttpStatusCode.Created));
        var newEvent = Samples.Event(restaurant, id: "order/1:1");

        var (stored, appended) = await History(fakes).AppendAsync(newEvent, Ct).WaitAsync(Timeout, Ct);

        Assert.True(appended);
        Assert.Equal(1, stored.Seq);
        Assert.Equal(new PartitionKey(restaurant.ToString()), batchPartition);
        Assert.Equal(2, operations.Count);
        var counter = Json(operations[0].Body);
        Assert.Equal(("create", "$counter", 1L, -1), (operations[0].Op, counter.GetProperty("id").GetString(), counter.GetProperty("seq").GetInt64(), counter.GetProperty("ttl").GetInt32()));
        var item = Json(operations[1].Body);
        Assert.Equal("create", operations[1].Op);
        Assert.Equal("order%2F1:1", item.GetProperty("id").GetString());
        Assert.Equal("order/1:1", item.GetProperty("eventId").GetString());
        Assert.Equal(restaurant.ToString(), item.GetProperty("restaurantId").GetString());
        Assert.Equal(1, item.GetProperty("seq").GetInt64());
        Assert.Equal(newEvent.Type, item.GetProperty("type").GetString());
        Assert.Equal(newEvent.Scope.OrderId.ToString(), item.GetProperty("scope").GetProperty("order_id").GetString());
        Assert.Equal(24 * 3600, item.GetProperty("ttl").GetInt32());
    }

    [Fact]
    public async Task Later_appends_replace_the_counter_with_IfMatch_on_its_ETag()
    {
        counterReads.Enqueue(Response(HttpStatusCode.OK, Counter(4), "\"c4\""));
        batchResults.Enqueue(BatchResponse(HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Created));

        var (stored, appended) = await History(fakes).AppendAsync(Samples.Event(restaurant), Ct).WaitAsync(Timeout, Ct);

        Assert.True(appended);
        Assert.Equal(5, stored.Seq);
        Assert.Equal(("replace", "$counter", "\"c4\""), (operations[0].Op, operations[0].Id, operations[0].IfMatch));
        Assert.Equal(5, Json(operations[0].Body).GetProperty("seq").GetInt64());
        Assert.Equal(5, Json(operations[1].Body).GetProperty("seq").GetInt64());
    }

    [Fact]
    public async Task A_conflict_on_the_event_id_returns_the_stored_event()
    {
        var newEvent = Samples.Event(restaurant, id: "order:x:1");
        counterReads.Enqueue(Response(HttpStatusCode.OK, Counter(7), "\"c7\""));
        batchResults.Enqueue(BatchResponse(HttpStatusCode.Conflict, HttpStatusCode.FailedDependency, HttpStatusCode.Conflict));
        var storedItem = $$$"""
            {"id":"order:x:1","restaurantId":"{{{restaurant}}}","kind":"event","seq":3,"eventId":"order:x:1","type":"order:created",
             "timestamp":"2026-11-26T12:00:00.0000000+00:00","data":{"a":1},"scope":{"order_id":null,"table_number":"4"}}
            """;
        fakes.Events
            .Setup(c => c.ReadItemStreamAsync("order:x:1", It.IsAny<PartitionKey>(), It.IsAny<ItemRequestOptions>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(() => Response(HttpStatusCode.OK, storedItem));

        var (stored, appended) = await History(fakes).AppendAsync(newEvent, Ct).WaitAsync(Timeout, Ct);

        Assert.False(appended);
        Assert.Equal(3, stored.Seq);
        Assert.Equal("order:x:1", stored.Id);
        Assert.Equal("4", stored.Scope.TableNumber);
        Assert.Equal(1, stored.Data?.GetProperty("a").GetInt32());
    }

    [Fact]
    public async Task A_counter_ETag_conflict_rereads_the_counter_and_retries()
    {
        counterReads.Enqueue(Response(HttpStatusCode.OK, Counter(4), "\"c4\""));
        counterReads.Enqueue(Response(HttpStatusCode.OK, Counter(5), "\"c5\""));
        batchResults.Enqueue(BatchResponse(HttpStatusCode.PreconditionFailed, HttpStatusCode.PreconditionFailed, HttpStatusCode.FailedDependency));
        batchResults.Enqueue(BatchResponse(HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Created));

        var (stored, appended) = await History(fakes).AppendAsync(Samples.Event(restaurant), Ct).WaitAsync(Timeout, Ct);

        Assert.True(appended);
        Assert.Equal(6, stored.Seq);
        Assert.Equal(new[] { "\"c4\"", "\"c5\"" }, operations.Where(o => o.Op == "replace").Select(o => o.IfMatch));
        Assert.Equal(1, fakes.Sum("restaurantos.storage.conflicts", "append"));
    }

    [Fact]
    public async Task A_throttled_batch_surfaces_as_StoreThrottledException()
    {
        counterReads.Enqueue(Response(HttpStatusCode.OK, Counter(1), "\"c1\""));
        batchResults.Enqueue(BatchResponse(HttpStatusCode.TooManyRequests));

        await Assert.ThrowsAsync<StoreThrottledException>(() => History(fakes).AppendAsync(Samples.Event(restaurant), Ct)).WaitAsync(Timeout, Ct);

        Assert.Equal(1, fakes.Sum("restaurantos.storage.throttled", "append"));
    }

    [Theory]
    [InlineData("order:1:2", "order:1:2")]
    [InlineData("a/b\\c?d#e", "a%2Fb%5Cc%3Fd%23e")]
    [InlineData("50%", "50%25")]
    [InlineData("$counter", "%24counter")]
    public void Event_ids_are_escaped_into_valid_item_ids_that_cannot_clash_with_the_counter(string eventId, string itemId) =>
        Assert.Equal(itemId, RestaurantOs.Storage.Cosmos.CosmosDocuments.EscapeId(eventId));
}
