using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RestaurantOs.Functions.Functions;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Services;

namespace RestaurantOs.Functions.Tests;

/// <summary>Writes through the HTTP functions become events: history with seq, one send per event, KDS batching.</summary>
public sealed class EventFlowTests : IAsyncLifetime
{
    private readonly FunctionsTestHost _host = new();
    private readonly Guid _restaurant = Guid.NewGuid();

    public ValueTask InitializeAsync() => new(_host.InitializeAsync());

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private async Task<JsonElement> CreateOrderAsync(string table = "T1")
    {
        var functions = _host.Create<OrderFunctions>();
        var request = _host.Request("POST", "/api/orders", _host.Token(_restaurant, Role.Server), $$"""{"items":[{"name":"Soup","quantity":1,"price":900}],"table_number":"{{table}}"}""");
        var (status, body, _) = await FunctionsTestHost.ExecuteAsync(request, await functions.CreateOrder(request, CancellationToken.None));
        Assert.Equal(201, status);
        return FunctionsTestHost.Json(body);
    }

    private async Task ChangeStatusAsync(string id, string status)
    {
        var functions = _host.Create<OrderFunctions>();
        var request = _host.Request("POST", $"/api/orders/{id}/status", _host.Token(_restaurant, Role.Kitchen), $$"""{"status":"{{status}}"}""");
        var (code, body, _) = await FunctionsTestHost.ExecuteAsync(request, await functions.ChangeOrderStatus(request, id, CancellationToken.None));
        Assert.True(code == 200, body);
    }

    [Fact]
    public async Task Each_committed_write_is_published_once_with_consecutive_seq_and_a_restaurant_scoped_filter()
    {
        var order = await CreateOrderAsync();
        await ChangeStatusAsync(order.GetProperty("id").GetString()!, "confirmed");

        var published = await _host.Services.GetRequiredService<EventPipeline>().PumpAsync(CancellationToken.None);
        var broadcasts = _host.Broadcasts();

        Assert.Equal(published, broadcasts.Count);
        Assert.Equal(
            [EventTypes.OrderCreated, EventTypes.OrderUpdated, EventTypes.OrderStatus, EventTypes.NotificationKitchen],
            broadcasts.Select(b => b.Event.Type));
        Assert.Equal([1L, 2, 3, 4], broadcasts.Select(b => b.Event.Seq!.Value));
        Assert.All(broadcasts, b =>
        {
            Assert.Equal(_restaurant, b.Event.RestaurantId);
            Assert.NotNull(b.Event.Id);
            Assert.False(string.IsNullOrEmpty(b.Filter));
            Assert.Contains(_restaurant.ToString("N"), b.Filter!, StringComparison.Ordinal);
        });

        // A second pump finds nothing new: the checkpoint moved.
        Assert.Equal(0, await _host.Services.GetRequiredService<EventPipeline>().PumpAsync(CancellationToken.None));
        Assert.Equal(broadcasts.Count, _host.Broadcasts().Count);
    }

    [Fact]
    public async Task Status_event_carries_previous_status()
    {
        var order = await CreateOrderAsync();
        await ChangeStatusAsync(order.GetProperty("id").GetString()!, "confirmed");
        await _host.Services.GetRequiredService<EventPipeline>().PumpAsync(CancellationToken.None);

        var status = _host.Broadcasts().Single(b => b.Event.Type == EventTypes.OrderStatus).Event;
        Assert.Equal("confirmed", status.Data!.Value.GetProperty("status").GetString());
        Assert.Equal("pending", status.Data!.Value.GetProperty("previous_status").GetString());
        Assert.Equal(order.GetProperty("id").GetGuid(), status.Data!.Value.GetProperty("order_id").GetGuid());
    }

    [Fact]
    public async Task Kds_collapses_changes_in_one_window_to_the_newest_state_per_order()
    {
        var order = await CreateOrderAsync();
        var id = order.GetProperty("id").GetString()!;
        await ChangeStatusAsync(id, "confirmed");
        await ChangeStatusAsync(id, "preparing");
        await CreateOrderAsync("T2");

        var sent = await _host.Services.GetRequiredService<KdsPump>().TickAsync(CancellationToken.None);

        var kds = _host.Broadcasts().Where(b => b.Event.Type == EventTypes.KdsUpdate).ToList();
        Assert.Equal(1, sent);
        var update = Assert.Single(kds).Event;
        var tickets = update.Data!.Value.GetProperty("orders").EnumerateArray().ToList();
        Assert.Equal(2, tickets.Count);
        var first = tickets.Single(t => t.GetProperty("id").GetString() == id);
        Assert.Equal("preparing", first.GetProperty("status").GetString());
        Assert.Equal(3, first.GetProperty("version").GetInt32());

        Assert.Equal(0, await _host.Services.GetRequiredService<KdsPump>().TickAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Catch_up_over_http_replays_in_order_and_rejects_a_bad_since()
    {
        await CreateOrderAsync();
        await CreateOrderAsync("T2");
        await _host.Services.GetRequiredService<EventPipeline>().PumpAsync(CancellationToken.None);
        var functions = _host.Create<EventsFunctions>();
        var token = _host.Token(_restaurant, Role.Manager);

        var request = _host.Request("GET", "/api/events?since=1", token);
        var (status, body, _) = await FunctionsTestHost.ExecuteAsync(request, await functions.CatchUp(request, CancellationToken.None));
        Assert.Equal(200, status);
        var reply = FunctionsTestHost.Json(body);
        Assert.Equal("replay", reply.GetProperty("type").GetString());
        Assert.Equal([2L], reply.GetProperty("data").GetProperty("events").EnumerateArray().Select(e => e.GetProperty("seq").GetInt64()));

        var bad = _host.Request("GET", "/api/events?since=-4", token);
        Assert.Equal(400, (await FunctionsTestHost.ExecuteAsync(bad, await functions.CatchUp(bad, CancellationToken.None))).Status);

        var ahead = _host.Request("GET", "/api/events?since=99", token);
        var (_, resync, _) = await FunctionsTestHost.ExecuteAsync(ahead, await functions.CatchUp(ahead, CancellationToken.None));
        Assert.Equal("resync", FunctionsTestHost.Json(resync).GetProperty("type").GetString());
    }

    [Fact]
    public async Task Tables_and_notifications_become_events()
    {
        var floor = _host.Create<FloorFunctions>();
        var manager = _host.Token(_restaurant, Role.Manager);
        var tableId = Guid.NewGuid().ToString();
        var table = """{"label":"T9","seats":4,"status":"occupied","x":1,"y":2,"width":3,"height":4,"rotation":0}""";

        var put = _host.Request("PUT", $"/api/tables/{tableId}", manager, table);
        Assert.Equal(200, (await FunctionsTestHost.ExecuteAsync(put, await floor.PutTable(put, tableId, CancellationToken.None))).Status);
        var again = _host.Request("PUT", $"/api/tables/{tableId}", manager, table);
        Assert.Equal(409, (await FunctionsTestHost.ExecuteAsync(again, await floor.PutTable(again, tableId, CancellationToken.None))).Status);
        var kitchenPut = _host.Request("PUT", $"/api/tables/{tableId}", _host.Token(_restaurant, Role.Kitchen), table);
        Assert.Equal(403, (await FunctionsTestHost.ExecuteAsync(kitchenPut, await floor.PutTable(kitchenPut, tableId, CancellationToken.None))).Status);

        var note = _host.Request("POST", "/api/notifications", manager, """{"kind":"kitchen","message":"86 the salmon"}""");
        Assert.Equal(201, (await FunctionsTestHost.ExecuteAsync(note, await floor.SendNotification(note, CancellationToken.None))).Status);
        var badNote = _host.Request("POST", "/api/notifications", manager, """{"kind":"customer","message":"ready"}""");
        Assert.Equal(400, (await FunctionsTestHost.ExecuteAsync(badNote, await floor.SendNotification(badNote, CancellationToken.None))).Status);

        await _host.Services.GetRequiredService<EventPipeline>().PumpAsync(CancellationToken.None);
        Assert.Equal([EventTypes.TableUpdated, EventTypes.NotificationKitchen], _host.Broadcasts().Select(b => b.Event.Type));
    }
}
