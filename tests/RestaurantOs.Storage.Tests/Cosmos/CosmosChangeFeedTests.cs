using System.Net;
using System.Reflection;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Moq;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Storage.Cosmos;
using RestaurantOs.Storage.Internal;
using static RestaurantOs.Storage.Tests.Cosmos.CosmosFakes;

namespace RestaurantOs.Storage.Tests.Cosmos;

public sealed class CosmosChangeFeedTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly CosmosFakes fakes = new();
    private readonly FakeTimeProvider time = new(Samples.T0);
    private readonly List<string?> startTokens = [];
    private readonly Queue<ResponseMessage> orderPages = new();
    private string? leaseJson;
    private int leaseVersion;

    public CosmosChangeFeedTests()
    {
        fakes.Leases
            .Setup(c => c.ReadItemStreamAsync("consumer:events", new PartitionKey("consumer:events"), It.IsAny<ItemRequestOptions>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(() => leaseJson is null ? Response(HttpStatusCode.NotFound) : Response(HttpStatusCode.OK, leaseJson, $"\"l{leaseVersion}\""));
        fakes.Leases
            .Setup(c => c.CreateItemStreamAsync(It.IsAny<Stream>(), It.IsAny<PartitionKey>(), It.IsAny<ItemRequestOptions>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((Stream s, PartitionKey _, ItemRequestOptions _, CancellationToken _) => WriteLease(s, null));
        fakes.Leases
            .Setup(c => c.ReplaceItemStreamAsync(It.IsAny<Stream>(), "consumer:events", It.IsAny<PartitionKey>(), It.IsAny<ItemRequestOptions>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((Stream s, string _, PartitionKey _, ItemRequestOptions o, CancellationToken _) => WriteLease(s, o.IfMatchEtag));

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

    private CosmosChangeFeed Feed() =>
        new(fakes.Containers, time, Options.Create(new CosmosStoreOptions { LeaseDurationSeconds = 60 }), fakes.Metrics, NullLogger<CosmosChangeFeed>.Instance);

    private ResponseMessage WriteLease(Stream body, string? ifMatch)
    {
        if (ifMatch is null ? leaseJson is not null : ifMatch != $"\"l{leaseVersion}\"")
        {
            return Response(ifMatch is null ? HttpStatusCode.Conflict : HttpStatusCode.PreconditionFailed);
        }

        leaseJson = ReadAll(body);
        leaseVersion++;
        return Response(ifMatch is null ? HttpStatusCode.Created : HttpStatusCode.OK);
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
        var lease = Json(leaseJson!);
        Assert.Equal("orders-tok-1", lease.GetProperty("continuations").GetProperty("orders").GetString());
        Assert.Equal("idle", lease.GetProperty("continuations").GetProperty("tables").GetString());
        // Read 1 and 2 started from the beginning (nothing checkpointed), the third was refused (lease held),
        // the fourth (lease expired, new owner) resumed from the checkpoint.
        Assert.Equal(new[] { null, null, "orders-tok-1" }, startTokens);
    }

    [Fact]
    public async Task While_another_live_instance_holds_the_lease_reads_are_empty_and_touch_no_feed()
    {
        await Feed().ReadAsync("events", 10, Ct).WaitAsync(Timeout, Ct);
        startTokens.Clear();
        orderPages.Enqueue(Response(HttpStatusCode.OK, Page(Wrapper(DocumentKinds.Orders, Samples.Order(Guid.NewGuid()))), continuation: "t"));

        var other = Feed();
        var batch = await other.ReadAsync("events", 10, Ct).WaitAsync(Timeout, Ct);
        await other.CheckpointAsync("events", CosmosChangeFeed.WriteContinuation(new Dictionary<string, string> { ["orders"] = "stolen" }), Ct).WaitAsync(Timeout, Ct);

        Assert.Empty(batch.Changes);
        Assert.Null(batch.Continuation);
        Assert.Empty(startTokens);
        Assert.DoesNotContain("stolen", leaseJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_continuation_not_issued_by_the_feed_is_rejected()
    {
        var feed = Feed();

        await Assert.ThrowsAsync<ArgumentException>(() => feed.CheckpointAsync("events", "{\"elsewhere\":\"x\"}", Ct)).WaitAsync(Timeout, Ct);
        await Assert.ThrowsAsync<ArgumentException>(() => feed.CheckpointAsync("events", "42", Ct)).WaitAsync(Timeout, Ct);
    }
}
