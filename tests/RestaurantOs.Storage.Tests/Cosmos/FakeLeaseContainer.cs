using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Azure.Cosmos;
using Moq;
using static RestaurantOs.Storage.Tests.Cosmos.CosmosFakes;

namespace RestaurantOs.Storage.Tests.Cosmos;

/// <summary>
/// A mocked Cosmos <c>leases</c> container that behaves like the service for the calls the lease store makes:
/// items by id per partition, a fresh <c>_etag</c> on every write, If-Match on replace and delete (412 when it
/// does not match), 409 on a duplicate create, 404 for a missing item, and single-partition queries.
/// </summary>
internal sealed class FakeLeaseContainer
{
    private readonly Dictionary<(string Partition, string Id), string> items = [];
    private int version;

    public FakeLeaseContainer(Mock<Container> leases)
    {
        leases
            .Setup(c => c.ReadItemStreamAsync(It.IsAny<string>(), It.IsAny<PartitionKey>(), It.IsAny<ItemRequestOptions>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((string id, PartitionKey pk, ItemRequestOptions _, CancellationToken _) =>
            {
                lock (items)
                {
                    return items.TryGetValue((pk.ToString(), id), out var json) ? Response(HttpStatusCode.OK, json, ETagOf(json)) : Response(HttpStatusCode.NotFound);
                }
            });
        leases
            .Setup(c => c.CreateItemStreamAsync(It.IsAny<Stream>(), It.IsAny<PartitionKey>(), It.IsAny<ItemRequestOptions>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((Stream body, PartitionKey pk, ItemRequestOptions _, CancellationToken _) => Write(body, pk, ifMatch: null, create: true));
        leases
            .Setup(c => c.ReplaceItemStreamAsync(It.IsAny<Stream>(), It.IsAny<string>(), It.IsAny<PartitionKey>(), It.IsAny<ItemRequestOptions>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((Stream body, string _, PartitionKey pk, ItemRequestOptions options, CancellationToken _) => Write(body, pk, options?.IfMatchEtag, create: false));
        leases
            .Setup(c => c.DeleteItemStreamAsync(It.IsAny<string>(), It.IsAny<PartitionKey>(), It.IsAny<ItemRequestOptions>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((string id, PartitionKey pk, ItemRequestOptions options, CancellationToken _) =>
            {
                lock (items)
                {
                    if (!items.TryGetValue((pk.ToString(), id), out var json))
                    {
                        return Response(HttpStatusCode.NotFound);
                    }

                    if (options?.IfMatchEtag is { } ifMatch && ifMatch != ETagOf(json))
                    {
                        return Response(HttpStatusCode.PreconditionFailed);
                    }

                    items.Remove((pk.ToString(), id));
                    return Response(HttpStatusCode.NoContent);
                }
            });
        leases
            .Setup(c => c.GetItemQueryStreamIterator(It.IsAny<QueryDefinition>(), It.IsAny<string>(), It.IsAny<QueryRequestOptions>()))
            .Returns((QueryDefinition _, string _, QueryRequestOptions options) =>
            {
                string page;
                lock (items)
                {
                    // Partition-scoped, as the lease store always asks; the filter on kind matches every item here.
                    page = Page([.. items.Where(i => i.Key.Partition == options.PartitionKey!.Value.ToString()).Select(i => i.Value)]);
                }

                var iterator = new Mock<FeedIterator>();
                iterator.SetupSequence(i => i.HasMoreResults).Returns(true).Returns(false);
                iterator.Setup(i => i.ReadNextAsync(It.IsAny<CancellationToken>())).ReturnsAsync(() => Response(HttpStatusCode.OK, page));
                return iterator.Object;
            });
    }

    /// <summary>Number of writes (create, replace) applied so far.</summary>
    public int Writes => version;

    /// <summary>Puts an item as it is (for example one in an older layout).</summary>
    public void Seed(string partition, string json)
    {
        var id = Json(json).GetProperty("id").GetString()!;
        lock (items)
        {
            items[(new PartitionKey(partition).ToString(), id)] = WithETag(json);
        }
    }

    public JsonElement? Item(string partition, string id)
    {
        lock (items)
        {
            return items.TryGetValue((new PartitionKey(partition).ToString(), id), out var json) ? Json(json) : null;
        }
    }

    private ResponseMessage Write(Stream body, PartitionKey pk, string? ifMatch, bool create)
    {
        var json = new StreamReader(body, Encoding.UTF8).ReadToEnd();
        var id = Json(json).GetProperty("id").GetString()!;
        lock (items)
        {
            var exists = items.TryGetValue((pk.ToString(), id), out var current);
            if (create && exists)
            {
                return Response(HttpStatusCode.Conflict);
            }

            if (!create && !exists)
            {
                return Response(HttpStatusCode.NotFound);
            }

            if (!create && ifMatch is not null && ifMatch != ETagOf(current!))
            {
                return Response(HttpStatusCode.PreconditionFailed);
            }

            var stored = WithETag(json);
            items[(pk.ToString(), id)] = stored;
            return Response(create ? HttpStatusCode.Created : HttpStatusCode.OK, etag: ETagOf(stored));
        }
    }

    private string WithETag(string json)
    {
        var etag = $"\"v{Interlocked.Increment(ref version)}\"";
        return json.TrimEnd()[..^1] + ",\"_etag\":" + JsonSerializer.Serialize(etag) + "}";
    }

    private static string ETagOf(string json) => Json(json).GetProperty("_etag").GetString()!;

    /// <summary>Makes the document containers report feed ranges: <paramref name="ordersRanges"/> for orders, one for the others.</summary>
    public static void FeedRanges(CosmosFakes fakes, int ordersRanges = 1)
    {
        Setup(fakes.Orders, ordersRanges);
        foreach (var container in new[] { fakes.Tables, fakes.Payments, fakes.Notifications })
        {
            Setup(container, 1);
        }

        static void Setup(Mock<Container> container, int count)
        {
            var ranges = Enumerable.Range(0, count)
                .Select(i => FeedRange.FromJsonString(
                    $"{{\"Range\":{{\"min\":\"{(i == 0 ? string.Empty : (i * 0x10).ToString("X2", System.Globalization.CultureInfo.InvariantCulture))}\",\"max\":\"{(i == count - 1 ? "FF" : ((i + 1) * 0x10).ToString("X2", System.Globalization.CultureInfo.InvariantCulture))}\"}}}}"))
                .ToList();
            container.Setup(c => c.GetFeedRangesAsync(It.IsAny<CancellationToken>())).ReturnsAsync(ranges);
        }
    }
}
