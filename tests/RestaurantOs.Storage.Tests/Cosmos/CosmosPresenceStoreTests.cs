using System.Net;
using System.Text.Json;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Presence;
using RestaurantOs.Realtime.Protocol;
using RestaurantOs.Storage.Cosmos;
using static RestaurantOs.Storage.Tests.Cosmos.CosmosFakes;

namespace RestaurantOs.Storage.Tests.Cosmos;

/// <summary>
/// The Cosmos presence store against mocked containers (no account here; the contract suite runs it for real when
/// one is configured): the wrapper the sweep's query filters on, and the ETag guard that makes an alert fire once.
/// </summary>
public sealed class CosmosPresenceStoreTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);
    private readonly CosmosFakes fakes = new();
    private readonly CosmosPresenceStore store;

    public CosmosPresenceStoreTests() => store = new CosmosPresenceStore(fakes.Containers, fakes.Metrics, NullLogger<CosmosPresenceStore>.Instance);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => fakes.Dispose();

    private static StationPresence Entry(int version = 1) => new()
    {
        RestaurantId = Guid.Parse("11111111-1111-1111-1111-111111111111"),
        Key = "s.grill-kds-1",
        Station = "grill-kds-1",
        Role = Role.Kitchen,
        UserId = "cook",
        ConnectionId = "c1",
        Transport = "websocket",
        ConnectedSince = Now,
        LastSeenAt = Now,
        Status = PresenceStatus.Gone,
        GoneSince = Now.AddSeconds(5),
        Version = version,
    };

    private static string Wrapped(StationPresence entry, string etag) =>
        $$"""{"id":"{{entry.Key}}","_etag":{{JsonSerializer.Serialize(etag)}},"doc":{{JsonSerializer.Serialize(entry, RealtimeJsonContext.Default.StationPresence)}}}""";

    [Fact]
    public async Task Create_writes_the_fields_the_sweep_filters_on_with_nulls_spelled_out()
    {
        string? body = null;
        fakes.Presence
            .Setup(c => c.CreateItemStreamAsync(It.IsAny<Stream>(), It.IsAny<PartitionKey>(), It.IsAny<ItemRequestOptions>(), It.IsAny<CancellationToken>()))
            .Callback((Stream s, PartitionKey _, ItemRequestOptions _, CancellationToken _) => body = ReadAll(s))
            .ReturnsAsync(() => Response(HttpStatusCode.Created));

        Assert.Equal(WriteStatus.Ok, (await store.WriteAsync(Entry(), null, Ct).WaitAsync(Timeout, Ct)).Status);

        using var json = JsonDocument.Parse(body!);
        var root = json.RootElement;
        Assert.Equal("s.grill-kds-1", root.GetProperty("id").GetString());
        Assert.Equal("11111111-1111-1111-1111-111111111111", root.GetProperty("restaurantId").GetString());
        Assert.Equal(("gone", "grill-kds-1"), (root.GetProperty("status").GetString(), root.GetProperty("station").GetString()));
        // IS_NULL(c.alert) matches only a property that is present and null: it must be written, not left out.
        Assert.Equal(JsonValueKind.Null, root.GetProperty("alert").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("appliedSeq").ValueKind);
        Assert.Equal(Now.AddSeconds(5).ToUnixTimeMilliseconds(), root.GetProperty("goneSince").GetInt64());
        Assert.Equal("grill-kds-1", root.GetProperty("doc").GetProperty("station").GetString());
    }

    [Fact]
    public async Task Replace_sends_IfMatch_with_the_read_ETag_and_412_is_a_conflict()
    {
        fakes.Presence
            .Setup(c => c.ReadItemStreamAsync("s.grill-kds-1", It.IsAny<PartitionKey>(), It.IsAny<ItemRequestOptions>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(() => Response(HttpStatusCode.OK, Wrapped(Entry(), "\"e1\""), "\"e1\""));
        ItemRequestOptions? sent = null;
        fakes.Presence
            .Setup(c => c.ReplaceItemStreamAsync(It.IsAny<Stream>(), "s.grill-kds-1", It.IsAny<PartitionKey>(), It.IsAny<ItemRequestOptions>(), It.IsAny<CancellationToken>()))
            .Callback((Stream _, string _, PartitionKey _, ItemRequestOptions o, CancellationToken _) => sent = o)
            .ReturnsAsync(() => Response(HttpStatusCode.PreconditionFailed));

        // Another instance raised the alert between our read and our replace.
        var result = await store.WriteAsync(Entry(2) with { Alert = StationAlertKind.Gone }, 1, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal("\"e1\"", sent?.IfMatchEtag);
        Assert.Equal(WriteStatus.Conflict, result.Status);
    }

    [Fact]
    public async Task Replace_and_delete_with_a_stale_version_conflict_without_writing()
    {
        fakes.Presence
            .Setup(c => c.ReadItemStreamAsync("s.grill-kds-1", It.IsAny<PartitionKey>(), It.IsAny<ItemRequestOptions>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(() => Response(HttpStatusCode.OK, Wrapped(Entry(3), "\"e3\""), "\"e3\""));

        Assert.Equal(WriteStatus.Conflict, (await store.WriteAsync(Entry(2), 1, Ct).WaitAsync(Timeout, Ct)).Status);
        Assert.False(await store.DeleteAsync(Entry().RestaurantId, "s.grill-kds-1", 1, Ct).WaitAsync(Timeout, Ct));
        fakes.Presence.Verify(c => c.ReplaceItemStreamAsync(It.IsAny<Stream>(), It.IsAny<string>(), It.IsAny<PartitionKey>(), It.IsAny<ItemRequestOptions>(), It.IsAny<CancellationToken>()), Times.Never);
        fakes.Presence.Verify(c => c.DeleteItemStreamAsync(It.IsAny<string>(), It.IsAny<PartitionKey>(), It.IsAny<ItemRequestOptions>(), It.IsAny<CancellationToken>()), Times.Never);
    }
}
