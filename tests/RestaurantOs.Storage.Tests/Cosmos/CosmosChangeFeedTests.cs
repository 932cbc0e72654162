using System.Net;
using System.Reflection;
using System.Text.Json;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Moq;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Storage.Cosmos;
using RestaurantOs.Storage.Internal;
using RestaurantOs.Storage.Leases;
using static RestaurantOs.Storage.Tests.Cosmos.CosmosFakes;

namespace RestaurantOs.Storage.Tests.Cosmos;

public sealed class CosmosChangeFeedTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly CosmosFakes fakes = new();
    private readonly FakeTimeProvider time = new(Samples.T0);
    private readonly List<string?> startTokens = [];
    private readonly Queue<ResponseMessage> orderPages = new();
    private readonly FakeLeaseContainer leases;

    public CosmosChangeFeedTests()
    {
        leases = new FakeLeaseContainer(fakes.Leases);
        FakeLeaseContainer.FeedRanges(fakes);
        fakes.Orders
            .Setup(c => c.GetChangeFeedStreamIterator(It.IsAny<ChangeFeedStartFrom>(), It.IsAny<ChangeFeedMode>(), It.IsAny<ChangeFeedRequestOptions>()))
            .Returns((ChangeFeedStartFrom from, ChangeFeedMode _, ChangeFeedRequestOptions _) =>
            {
                startTokens.Add(ContinuationOf(from));
                return Iterator(orderPages.Count > 0 ? orderPages.Dequeue() : Response(HttpStatusCode.NotModified, continuation: "orders-same"));
            });
        foreach (var container in new[] { fakes.Tables, fakes.Payments, fakes.Notifications })
        {
            container
                .Setup(c => c.GetChangeFeedStreamIterator(It.IsAny<ChangeFeedStartFrom>(), It.IsAny<ChangeFeedMode>(), It.IsAny<ChangeFeedRequestOptions>()))
                .Returns(() => Iterator(Response(HttpStatusCode.NotModified, continuation: "idle")));
        }
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => fakes.Dispose();

    /// <summary>A new instance (process) reading the same account.</summary>
    private CosmosChangeFeed Feed()
    {
        var manager = new ChangeFeedLeaseManager(
            new CosmosLeaseStore(fakes.Containers, fakes.Metrics, NullLogger<CosmosLeaseStore>.Instance),
            time,
            Options.Create(new ChangeFeedOptions { LeaseDurationSeconds = 15 }),
            fakes.Metrics,
            NullLogger<ChangeFeedLeaseManager>.Instance);
        return new(fakes.Containers, manager, time, fakes.Metrics, NullLogger<CosmosChangeFeed>.Instance);
    }

    /// <summary>The stored continuation (container to token) of the one range lease.</summary>
    private JsonElement RangeContinuation(string key = "")
    {
        key = key.Length > 0 ? key : CosmosLeaseStore.KeyOf(FeedRange.FromJsonString("""{"Range":{"min":"","max":"FF"}}""").ToJsonString());
        var lease = leases.Item("consumer:events", $"lease:events:{key}") ?? throw new InvalidOperationException($"no lease {key}");
        return lease.GetProperty("continuation").ValueKind == JsonValueKind.Null ? default : Json(lease.GetProperty("continuation").GetString()!);
    }

    private static FeedIterator Iterator(ResponseMessage page)
    {
        var iterator = new Mock<FeedIterator>();
        iterator.SetupGet(i => i.HasMoreResults).Returns(true);
        iterator.Setup(i => i.ReadNextAsync(It.IsAny<CancellationToken>())).ReturnsAsync(page);
        return iterator.Object;
    }

    /// <summary>The token a ChangeFeedStartFrom resumes from (null for Beginning); the SDK keeps it internal.</summary>
    private static string? ContinuationOf(ChangeFeedStartFrom from)
    {
        const BindingFlags All = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
        var type = from.GetType();
        return type.GetProperties(All).Where(p => p.PropertyType == typeof(string) && p.GetIndexParameters().Length == 0).Select(p => p.GetValue(from) as string)
            .Concat(type.GetFields(All).Where(f => f.FieldType == typeof(string)).Select(f => f.GetValue(from) as string))
            .FirstOrDefault(v => v is not null);
    }

    [Fact]
    public async Task Continuations_are_persisted_in_the_lease_and_the_next_read_resumes_from_them()
    {
        var restaurant = Guid.NewGuid();
        var first = Samples.Order(restaurant);
        var second = Samples.Order(restaurant);
        orderPages.Enqueue(Response(
            HttpStatusCode.OK,
            Page(Wrapper(DocumentKinds.Orders, first), """{"id":"foreign","note":"not our wrapper"}""", Wrapper(DocumentKinds.Orders, Samples.Next(second, Realtime.Contracts.OrderStatus.Ready) with { Version = 2 })),
            continuation: "orders-tok-1"));
        var feed = Feed();

        var batch = await feed.ReadAsync("events", 100, Ct).WaitAsync(Timeout, Ct);
        var unconfirmed = await feed.ReadAsync("events", 100, Ct).WaitAsync(Timeout, Ct);
        await feed.CheckpointAsync("events", batch.Continuation, Ct).WaitAsync(Timeout, Ct);
        await Feed().ReadAsync("events", 100, Ct).WaitAsync(Timeout, Ct); // another process, after the lease expired
        time.Advance(TimeSpan.FromMinutes(2));
        await Feed().ReadAsync("events", 100, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(new[] { $"order:{first.Id}:1", $"order:{second.Id}:2" }, batch.Changes.Select(c => c.ChangeId));
        Assert.All(batch.Changes, c => Assert.Equal((DocumentKind.Order, restaurant), (c.Kind, c.RestaurantId)));
        Assert.Equal(first.Id.ToString(), batch.Changes[0].Document.GetProperty("id").GetString());
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_764_158_400), batch.Changes[0].CommittedAt);
        Assert.Empty(unconfirmed.Changes);
        Assert.Equal("orders-tok-1", RangeContinuation().GetProperty("orders").GetString());
        Assert.Equal("idle", RangeContinuation().GetProperty("tables").GetString());
        // Read 1 and 2 started from the beginning of the range (nothing checkpointed), the third was refused
        // (lease held), the fourth (lease expired, new owner) resumed from the checkpoint.
        Assert.Equal(new[] { null, null, "orders-tok-1" }, startTokens);
    }

    [Fact]
    public async Task While_another_live_instance_holds_the_lease_reads_are_empty_and_touch_no_feed()
    {
        orderPages.Enqueue(Response(HttpStatusCode.OK, Page(Wrapper(DocumentKinds.Orders, Samples.Order(Guid.NewGuid()))), continuation: "t"));
        var owner = await Feed().ReadAsync("events", 10, Ct).WaitAsync(Timeout, Ct);
        startTokens.Clear();
        orderPages.Enqueue(Response(HttpStatusCode.OK, Page(Wrapper(DocumentKinds.Orders, Samples.Order(Guid.NewGuid()))), continuation: "t2"));

        var other = Feed();
        var batch = await other.ReadAsync("events", 10, Ct).WaitAsync(Timeout, Ct);
        var stolen = CosmosChangeFeed.ReadContinuation(owner.Continuation!).ToDictionary(p => p.Key, _ => "stolen");
        await other.CheckpointAsync("events", CosmosChangeFeed.WriteContinuation(stolen), Ct).WaitAsync(Timeout, Ct);

        Assert.Single(owner.Changes);
        Assert.Empty(batch.Changes);
        Assert.Null(batch.Continuation);
        Assert.Empty(startTokens);
        Assert.Equal(JsonValueKind.Undefined, RangeContinuation().ValueKind);
    }

    [Fact]
    public async Task A_continuation_not_issued_by_the_feed_is_rejected()
    {
        var feed = Feed();

        await Assert.ThrowsAsync<ArgumentException>(() => feed.CheckpointAsync("events", "{\"elsewhere\":\"x\"}", Ct)).WaitAsync(Timeout, Ct);
        await Assert.ThrowsAsync<ArgumentException>(() => feed.CheckpointAsync("events", "42", Ct)).WaitAsync(Timeout, Ct);
    }

    [Fact]
    public async Task A_consumer_with_the_older_single_lease_item_resumes_from_its_tokens_under_one_lease_over_every_range()
    {
        leases.Seed("consumer:events", """
            {"id":"consumer:events","restaurantId":"consumer:events","kind":"lease","consumer":"events","owner":"old-instance",
             "expiresAt":0,"continuations":{"orders":"legacy-orders","tables":"legacy-tables"}}
            """);

        var batch = await Feed().ReadAsync("events", 10, Ct).WaitAsync(Timeout, Ct);
        await Feed().ReadAsync("events", 10, Ct).WaitAsync(Timeout, Ct);

        Assert.Empty(batch.Changes);
        Assert.Equal(new[] { "legacy-orders" }, startTokens);
        Assert.Equal("legacy-tables", RangeContinuation(CosmosLeaseStore.WholeKey).GetProperty("tables").GetString());
    }

    /// <summary>Answers a container's change-feed reads from its own queue (304 "idle" when empty), recording start tokens.</summary>
    private static List<string?> Serve(Mock<Container> container, params ResponseMessage[] pages)
    {
        var queue = new Queue<ResponseMessage>(pages);
        var started = new List<string?>();
        container
            .Setup(c => c.GetChangeFeedStreamIterator(It.IsAny<ChangeFeedStartFrom>(), It.IsAny<ChangeFeedMode>(), It.IsAny<ChangeFeedRequestOptions>()))
            .Returns((ChangeFeedStartFrom from, ChangeFeedMode _, ChangeFeedRequestOptions _) =>
            {
                started.Add(ContinuationOf(from));
                return Iterator(queue.Count > 0 ? queue.Dequeue() : Response(HttpStatusCode.NotModified, continuation: "idle"));
            });
        return started;
    }

    [Fact]
    public async Task A_read_asks_every_container_at_once()
    {
        // The orders page is answered only once the three other containers were asked: read one after another,
        // the read never completes.
        var others = 0;
        var allAsked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        foreach (var container in new[] { fakes.Tables, fakes.Payments, fakes.Notifications })
        {
            var iterator = new Mock<FeedIterator>();
            iterator.Setup(i => i.ReadNextAsync(It.IsAny<CancellationToken>())).Returns(() =>
            {
                if (Interlocked.Increment(ref others) == 3)
                {
                    allAsked.TrySetResult();
                }

                return Task.FromResult(Response(HttpStatusCode.NotModified, continuation: "idle"));
            });
            container
                .Setup(c => c.GetChangeFeedStreamIterator(It.IsAny<ChangeFeedStartFrom>(), It.IsAny<ChangeFeedMode>(), It.IsAny<ChangeFeedRequestOptions>()))
                .Returns(iterator.Object);
        }

        var orders = new Mock<FeedIterator>();
        orders.Setup(i => i.ReadNextAsync(It.IsAny<CancellationToken>())).Returns(async (CancellationToken ct) =>
        {
            await allAsked.Task.WaitAsync(Timeout, ct);
            return Response(HttpStatusCode.OK, Page(Wrapper(DocumentKinds.Orders, Samples.Order(Guid.NewGuid()))), continuation: "orders-1");
        });
        fakes.Orders
            .Setup(c => c.GetChangeFeedStreamIterator(It.IsAny<ChangeFeedStartFrom>(), It.IsAny<ChangeFeedMode>(), It.IsAny<ChangeFeedRequestOptions>()))
            .Returns(orders.Object);

        var batch = await Feed().ReadAsync("events", 10, Ct).WaitAsync(Timeout, Ct);

        Assert.Single(batch.Changes);
    }

    [Fact]
    public async Task A_page_that_does_not_fit_keeps_its_position_and_the_read_says_more_is_waiting()
    {
        var restaurant = Guid.NewGuid();
        var order = Samples.Order(restaurant);
        var orderStarts = Serve(fakes.Orders, Response(HttpStatusCode.OK, Page(Wrapper(DocumentKinds.Orders, order), Wrapper(DocumentKinds.Orders, Samples.Order(restaurant))), continuation: "orders-1"));
        var tableStarts = Serve(fakes.Tables,
            Response(HttpStatusCode.OK, Page(Wrapper(DocumentKinds.Tables, Samples.Table(restaurant)), Wrapper(DocumentKinds.Tables, Samples.Table(restaurant, "T2"))), continuation: "tables-1"),
            Response(HttpStatusCode.OK, Page(Wrapper(DocumentKinds.Tables, Samples.Table(restaurant)), Wrapper(DocumentKinds.Tables, Samples.Table(restaurant, "T2"))), continuation: "tables-1"));
        var feed = Feed();

        // Page size 3: the rotation starts at orders (2 changes); the tables page (2 more) does not fit.
        var first = await feed.ReadAsync("events", 3, Ct).WaitAsync(Timeout, Ct);
        var second = await feed.ReadAsync("events", 3, first.Continuation, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(2, first.Changes.Count);
        Assert.True(first.HasMore);
        var position = CosmosChangeFeed.ReadContinuation(first.Continuation!);
        Assert.Equal("orders-1", position.Single(p => p.Key.EndsWith("|orders", StringComparison.Ordinal)).Value);
        Assert.DoesNotContain(position, p => p.Key.EndsWith("|tables", StringComparison.Ordinal));
        // The second read, after the first's continuation (nothing checkpointed): orders from "orders-1", tables again
        // from the beginning, and now the tables page fits.
        Assert.Equal(new[] { null, "orders-1" }, orderStarts);
        Assert.Equal(new string?[] { null, null }, tableStarts);
        Assert.Equal(2, second.Changes.Count);
        Assert.All(second.Changes, c => Assert.Equal(DocumentKind.Table, c.Kind));
        Assert.False(second.HasMore);
        Assert.Equal(JsonValueKind.Undefined, RangeContinuation().ValueKind);
    }
}
