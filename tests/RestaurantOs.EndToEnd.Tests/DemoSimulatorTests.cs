using System.Text.Json;
using RestaurantOs.DevHost.Dev;
using RestaurantOs.EndToEnd.Tests.Infrastructure;

namespace RestaurantOs.EndToEnd.Tests;

/// <summary>The demo moves its own orders and leaves alone the ones a person enters by hand in the same restaurant.</summary>
public sealed class DemoSimulatorTests(DemoHostFixture host) : IClassFixture<DemoHostFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task The_demo_advances_its_own_orders_and_never_a_hand_made_one()
    {
        var restaurant = DemoRestaurants.HarborGrill.Id;
        var manager = await host.TokenAsync(restaurant, "manager");
        var mine = Guid.NewGuid();
        await host.CreateOrderAsync(manager, mine, "T9", item: "Hand-made soup");

        // Wait until the simulator has moved several of its own orders after ours was written.
        var since = (await host.CallAsync(HttpMethod.Get, "api/events?since=0&limit=1000", manager, null, 200)).GetProperty("data").GetProperty("latest_seq").GetInt64();
        var demoMoves = 0;
        var deadline = DateTime.UtcNow + Wait;
        while (demoMoves < 6 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250, TestContext.Current.CancellationToken);
            var page = await host.CallAsync(HttpMethod.Get, $"api/events?since={since}&limit=1000", manager, null, 200);
            demoMoves = page.GetProperty("data").GetProperty("events").EnumerateArray()
                .Count(e => e.GetProperty("type").GetString() == "order:status");
        }

        Assert.True(demoMoves >= 6, $"the simulator moved only {demoMoves} orders in {Wait.TotalSeconds} s");
        var order = await host.CallAsync(HttpMethod.Get, $"api/orders/{mine}", manager, null, 200);
        Assert.Equal("pending", order.GetProperty("status").GetString());
        Assert.Equal(1, order.GetProperty("version").GetInt32());
        Assert.DoesNotContain(DemoSimulator.OrderNumberPrefix, order.GetProperty("order_number").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_demo_grill_kds_is_a_live_station_that_reports_what_it_applied()
    {
        var manager = await host.TokenAsync(DemoRestaurants.NoodleBar.Id, "manager");
        var deadline = DateTime.UtcNow + Wait;
        JsonElement station = default;
        while (DateTime.UtcNow < deadline)
        {
            var list = await host.CallAsync(HttpMethod.Get, "api/presence", manager, null, 200);
            station = list.GetProperty("stations").EnumerateArray().FirstOrDefault(s => s.GetProperty("key").GetString() == "s." + DemoStations.Station);
            if (station.ValueKind == JsonValueKind.Object && station.TryGetProperty("applied_seq", out var applied) && applied.GetInt64() > 0)
            {
                break;
            }

            await Task.Delay(500, TestContext.Current.CancellationToken);
        }

        Assert.True(station.ValueKind == JsonValueKind.Object, "the demo KDS never appeared in presence");
        Assert.Equal(("live", "kitchen", "demo-tablet"), (station.GetProperty("status").GetString(), station.GetProperty("role").GetString(), station.GetProperty("device").GetString()));
        Assert.True(station.GetProperty("applied_seq").GetInt64() > 0, station.ToString());
    }
}
