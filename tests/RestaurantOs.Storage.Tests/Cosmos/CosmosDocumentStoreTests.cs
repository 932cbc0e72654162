using System.Net;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Storage.Cosmos;
using RestaurantOs.Storage.Internal;
using static RestaurantOs.Storage.Tests.Cosmos.CosmosFakes;

namespace RestaurantOs.Storage.Tests.Cosmos;

public sealed class CosmosDocumentStoreTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly CosmosFakes fakes = new();
    private readonly CosmosOrderStore orders;

    public CosmosDocumentStoreTests() => orders = new CosmosOrderStore(fakes.Containers, fakes.Metrics, NullLogger<CosmosOrderStore>.Instance);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => fakes.Dispose();

    [Fact]
    public async Task Create_writes_the_documented_wrapper_in_the_restaurant_partition()
    {
        var order = Samples.Order(Guid.NewGuid(), status: OrderStatus.PickedUp);
        string? body = null;
        PartitionKey? partition = null;
        fakes.Orders
            .Setup(c => c.CreateItemStreamAsync(It.IsAny<Stream>(), It.IsAny<PartitionKey>(), It.IsAny<ItemRequestOptions>(), It.IsAny<CancellationToken>()))
            .Callback((Stream s, PartitionKey pk, ItemRequestOptions _, CancellationToken _) => (body, partition) = (ReadAll(s), pk))
            .ReturnsAsync(Response(HttpStatusCode.Created));

        var result = await orders.CreateAsync(order, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(WriteStatus.Ok, result.Status);
        Assert.Equal(new PartitionKey(order.RestaurantId.ToString()), partition);
        var item = Json(body!);
        Assert.Equal(order.Id.ToString(), item.GetProperty("id").GetString());
        Assert.Equal(order.RestaurantId.ToString(), item.GetProperty("restaurantId").GetString());
        Assert.Equal("order", item.GetProperty("kind").GetString());
        Assert.Equal(1, item.GetProperty("version").GetInt32());
        Assert.Equal("picked-up", item.GetProperty("status").GetString());
        Assert.Equal("A-1", item.GetProperty("doc").GetProperty("order_number").GetString());
        Assert.Equal(order.RestaurantId.ToString(), item.GetProperty("doc").GetProperty("restaurant_id").GetString());
    }

    [Fact]
    public async Task Create_409_is_a_conflict_carrying_the_stored_document()
    {
        var order = Samples.Order(Guid.NewGuid());
        var stored = order with { OrderNumber = "stored" };
        fakes.Orders
            .Setup(c => c.CreateItemStreamAsync(It.IsAny<Stream>(), It.IsAny<PartitionKey>(), It.IsAny<ItemRequestOptions>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(Response(HttpStatusCode.Conflict));
        fakes.Orders
            .Setup(c => c.ReadItemStreamAsync(order.Id.ToString(), new PartitionKey(order.RestaurantId.ToString()), It.IsAny<ItemRequestOptions>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(() => Response(HttpStatusCode.OK, Wrapper(DocumentKinds.Orders, stored), "\"e1\""));

        var result = await orders.CreateAsync(order, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(WriteStatus.Conflict, result.Status);
        Assert.Equal("stored", result.Value?.OrderNumber);
        Assert.Equal(1, fakes.Sum("restaurantos.storage.conflicts", "create"));
    }

    [Fact]
    public async Task Replace_sends_IfMatch_with_the_read_ETag_and_412_is_a_conflict_carrying_the_current_document()
    {
        var v1 = Samples.Order(Guid.NewGuid());
        var v2 = Samples.Next(v1, OrderStatus.Confirmed);
        var reads = new Queue<ResponseMessage>(
        [
            Response(HttpStatusCode.OK, Wrapper(DocumentKinds.Orders, v1), "\"e1\""),
            Response(HttpStatusCode.OK, Wrapper(DocumentKinds.Orders, v2), "\"e2\""),
        ]);
        fakes.Orders
            .Setup(c => c.ReadItemStreamAsync(v1.Id.ToString(), It.IsAny<PartitionKey>(), It.IsAny<ItemRequestOptions>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(reads.Dequeue);
        ItemRequestOptions? sent = null;
        fakes.Orders
            .Setup(c => c.ReplaceItemStreamAsync(It.IsAny<Stream>(), v1.Id.ToString(), It.IsAny<PartitionKey>(), It.IsAny<ItemRequestOptions>(), It.IsAny<CancellationToken>()))
            .Callback((Stream _, string _, PartitionKey _, ItemRequestOptions o, CancellationToken _) => sent = o)
            .ReturnsAsync(Response(HttpStatusCode.PreconditionFailed));

        // Another writer committed v2 between our read (v1) and our replace.
        var result = await orders.ReplaceAsync(Samples.Next(v1, OrderStatus.Cancelled), 1, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal("\"e1\"", sent?.IfMatchEtag);
        Assert.Equal(WriteStatus.Conflict, result.Status);
        Assert.Equal(2, result.Value?.Version);
        Assert.Equal(OrderStatus.Confirmed, result.Value?.Status);
    }

    [Fact]
    public async Task Replace_with_a_stale_version_conflicts_without_writing()
    {
        var v1 = Samples.Order(Guid.NewGuid());
        var v3 = Samples.Next(Samples.Next(v1, OrderStatus.Confirmed), OrderStatus.Preparing);
        fakes.Orders
            .Setup(c => c.ReadItemStreamAsync(v1.Id.ToString(), It.IsAny<PartitionKey>(), It.IsAny<ItemRequestOptions>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(() => Response(HttpStatusCode.OK, Wrapper(DocumentKinds.Orders, v3), "\"e3\""));

        var result = await orders.ReplaceAsync(Samples.Next(v1, OrderStatus.Cancelled), 1, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(WriteStatus.Conflict, result.Status);
        Assert.Equal(3, result.Value?.Version);
        fakes.Orders.Verify(
            c => c.ReplaceItemStreamAsync(It.IsAny<Stream>(), It.IsAny<string>(), It.IsAny<PartitionKey>(), It.IsAny<ItemRequestOptions>(), It.IsAny<CancellationToken>()),
            Times.Never);
    }

    [Fact]
    public async Task A_429_after_SDK_retries_surfaces_as_StoreThrottledException_with_retry_after_and_is_counted()
    {
        var order = Samples.Order(Guid.NewGuid());
        var throttled = Response(HttpStatusCode.TooManyRequests);
        throttled.Headers["x-ms-retry-after-ms"] = "1500";
        fakes.Orders
            .Setup(c => c.CreateItemStreamAsync(It.IsAny<Stream>(), It.IsAny<PartitionKey>(), It.IsAny<ItemRequestOptions>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(throttled);

        var error = await Assert.ThrowsAsync<StoreThrottledException>(() => orders.CreateAsync(order, Ct)).WaitAsync(Timeout, Ct);

        Assert.Equal(TimeSpan.FromMilliseconds(1500), error.RetryAfter);
        Assert.Equal(1, fakes.Sum("restaurantos.storage.throttled", "create"));
    }

    [Fact]
    public async Task Other_failures_throw_the_SDK_exception()
    {
        fakes.Orders
            .Setup(c => c.ReadItemStreamAsync(It.IsAny<string>(), It.IsAny<PartitionKey>(), It.IsAny<ItemRequestOptions>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(() => Response(HttpStatusCode.Forbidden));

        var error = await Assert.ThrowsAsync<CosmosException>(() => orders.GetAsync(Guid.NewGuid(), Guid.NewGuid(), Ct)).WaitAsync(Timeout, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, error.StatusCode);
    }
}
