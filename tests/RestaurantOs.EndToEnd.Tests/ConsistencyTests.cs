using System.Net;
using System.Text.Json.Nodes;
using RestaurantOs.EndToEnd.Tests.Infrastructure;

namespace RestaurantOs.EndToEnd.Tests;

/// <summary>Concurrent writers, retries and the replay bound, end to end.</summary>
public sealed class ConsistencyTests(DevHostFixture host) : IClassFixture<DevHostFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Concurrent_status_changes_with_the_same_version_let_exactly_one_win_and_send_one_event()
    {
        var r = Guid.NewGuid();
        var manager = await host.TokenAsync(r, "manager");
        await using var owner = await host.ConnectAsync(await host.TokenAsync(r, "owner"), "owner");
        var id = Guid.NewGuid();
        await host.CreateOrderAsync(manager, id);

        var attempts = Enumerable.Range(0, 8).Select(async _ =>
        {
            using var response = await host.SendAsync(HttpMethod.Post, $"api/orders/{id}/status", manager, Bodies.Status("confirmed", expectedVersion: 1));
            return response.StatusCode;
        });
        var statuses = await Task.WhenAll(attempts);
        Assert.Equal(1, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.All(statuses.Where(s => s != HttpStatusCode.OK), s => Assert.Equal(HttpStatusCode.Conflict, s));

        var current = await host.CallAsync(HttpMethod.Get, $"api/orders/{id}", manager, null, 200);
        Assert.Equal(2, current.GetProperty("version").GetInt32());
        await host.PatchNotesAsync(manager, id, 2, "marker");
        await owner.ReceiveUntilAsync(m => m.Type == "order:updated" && m.Data.GetProperty("order").GetProperty("notes").GetString() == "marker", Wait, "the marker");
        Assert.Single(owner.All(m => m.Type == "order:status"));
        Assert.Single(owner.All(m => m.Type == "notification:kitchen"));
        Assert.Equal(2, owner.All(m => m.Type == "order:updated").Count);
    }

    [Fact]
    public async Task Retried_creates_and_payments_with_the_same_id_store_and_send_once()
    {
        var r = Guid.NewGuid();
        var manager = await host.TokenAsync(r, "manager");
        await using var owner = await host.ConnectAsync(await host.TokenAsync(r, "owner"), "owner");
        var id = Guid.NewGuid();
        var creates = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            using var response = await host.SendAsync(HttpMethod.Post, "api/orders", manager, Bodies.Order(id));
            return response.StatusCode;
        }));
        Assert.Equal(1, creates.Count(s => s == HttpStatusCode.Created));
        Assert.All(creates.Where(s => s != HttpStatusCode.Created), s => Assert.Equal(HttpStatusCode.Conflict, s));

        var paymentId = Guid.NewGuid();
        var payment = new JsonObject { ["id"] = paymentId.ToString(), ["amount"] = 2500, ["payment_method"] = "gift_card" };
        await host.CallAsync(HttpMethod.Post, $"api/orders/{id}/payments", manager, payment, 201);
        using (var again = await host.SendAsync(HttpMethod.Post, $"api/orders/{id}/payments", manager, payment.DeepClone()))
        {
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        }

        // A pending payment is not "processed": no event for it.
        await host.CallAsync(HttpMethod.Post, $"api/orders/{id}/payments", manager, new JsonObject { ["amount"] = 100, ["payment_method"] = "card", ["payment_status"] = "pending" }, 201);

        var current = await host.CallAsync(HttpMethod.Get, $"api/orders/{id}", manager, null, 200);
        await host.PatchNotesAsync(manager, id, current.GetProperty("version").GetInt32(), "marker");
        await owner.ReceiveUntilAsync(m => m.Type == "order:updated" && m.Data.GetProperty("order").GetProperty("notes").GetString() == "marker", Wait, "the marker");
        Assert.Single(owner.All(m => m.Type == "order:created"));
        var paid = Assert.Single(owner.All(m => m.Type == "payment:processed"));
        Assert.Equal(paymentId, paid.Data.GetProperty("payment").GetProperty("id").GetGuid());
        Assert.Equal("gift_card", paid.Data.GetProperty("payment").GetProperty("payment_method").GetString());
        Assert.Equal(2500, paid.Data.GetProperty("payment").GetProperty("amount").GetInt64());
    }

    [Fact]
    public async Task Resume_further_back_than_500_events_gets_resync_too_far_behind()
    {
        var r = Guid.NewGuid();
        var manager = await host.TokenAsync(r, "manager");
        await using var client = await host.ConnectAsync(await host.TokenAsync(r, "server"), "far-behind");
        var id = Guid.NewGuid();
        await host.CreateOrderAsync(manager, id);
        // 1 + 505 events: one order:updated per patch.
        for (var version = 1; version <= 505; version++)
        {
            await host.PatchNotesAsync(manager, id, version, "n" + version);
        }

        await client.ReceiveUntilAsync(m => m.Seq == 506, Wait, "the last event");
        await client.SendAsync("""{"type":"resume","since":500}""");
        var reply = await client.ReceiveUntilAsync(m => m.Type is "replay" or "resync", Wait, "replay");
        Assert.Equal("replay", reply.Type);
        Assert.Equal([501L, 502, 503, 504, 505, 506], reply.Data.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("seq").GetInt64()));

        await client.SendAsync("""{"type":"resume","since":0}""");
        var far = await client.ReceiveUntilAsync(m => m.Type is "replay" or "resync", Wait, "resync");
        Assert.Equal("resync", far.Type);
        Assert.Equal("too_far_behind", far.Data.GetProperty("reason").GetString());
        Assert.Equal(506, far.Data.GetProperty("latest_seq").GetInt64());
    }
}

/// <summary>Resume against a history that no longer reaches back.</summary>
public sealed class HistoryBoundsTests(SmallHistoryHostFixture host) : IClassFixture<SmallHistoryHostFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Resume_from_before_the_oldest_kept_event_gets_resync_history_expired()
    {
        var r = Guid.NewGuid();
        var manager = await host.TokenAsync(r, "manager");
        await using var owner = await host.ConnectAsync(await host.TokenAsync(r, "owner"), "owner");
        var id = Guid.NewGuid();
        await host.CreateOrderAsync(manager, id);
        const int Patches = SmallHistoryHostFixture.MaxEvents + 10;
        for (var version = 1; version <= Patches; version++)
        {
            await host.PatchNotesAsync(manager, id, version, "n" + version);
        }

        var latest = Patches + 1;
        await owner.ReceiveUntilAsync(m => m.Seq == latest, Wait, "the last event");

        await owner.SendAsync("""{"type":"resume","since":1}""");
        var expired = await owner.ReceiveUntilAsync(m => m.Type is "replay" or "resync", Wait, "resync");
        Assert.Equal("resync", expired.Type);
        Assert.Equal("history_expired", expired.Data.GetProperty("reason").GetString());
        Assert.Equal(latest, expired.Data.GetProperty("latest_seq").GetInt64());

        await owner.SendAsync($$"""{"type":"resume","since":{{latest - 5}}}""");
        var recent = await owner.ReceiveUntilAsync(m => m.Type is "replay" or "resync", Wait, "replay");
        Assert.Equal("replay", recent.Type);
        Assert.Equal(
            Enumerable.Range(latest - 4, 5).Select(i => (long)i),
            recent.Data.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("seq").GetInt64()));
    }
}
