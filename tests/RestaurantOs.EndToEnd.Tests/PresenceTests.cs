using System.Text.Json;
using RestaurantOs.EndToEnd.Tests.Infrastructure;

namespace RestaurantOs.EndToEnd.Tests;

/// <summary>
/// Station presence end to end, over DevHost's real WebSockets and HTTP with a 2 s grace and a 1 s presence timer:
/// a KDS that drops raises one gone alert and one clear when it is back, a screen that stops acknowledging is
/// reported behind, and nothing of it reaches another restaurant.
/// </summary>
public sealed class PresenceTests(QuickPresenceHostFixture host) : IClassFixture<QuickPresenceHostFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private static bool Is(WsMessage m, string type, string station, string? alert = null, string? state = null, string? change = null) =>
        m.Type == type
        && m.Data.GetProperty("station").TryGetProperty("station", out var s) && s.GetString() == station
        && (alert is null || m.Data.GetProperty("alert").GetString() == alert)
        && (state is null || m.Data.GetProperty("state").GetString() == state)
        && (change is null || m.Data.GetProperty("change").GetString() == change);

    [Fact]
    public async Task A_kds_that_drops_raises_one_alert_after_the_grace_and_one_clear_when_it_is_back()
    {
        var r = Guid.NewGuid();
        var manager = await host.TokenAsync(r, "manager");
        await host.CreateOrderAsync(manager, Guid.NewGuid(), "T1"); // trading
        await using var watcher = await host.ConnectAsync(manager, "manager");
        await using var otherWatcher = await host.ConnectAsync(await host.TokenAsync(Guid.NewGuid(), "manager"), "other-restaurant");
        var kdsToken = await host.StationTokenAsync(r, "kitchen", "grill-kds-1");

        var kds = await host.ConnectAsync(kdsToken, "kds");
        await watcher.ReceiveUntilAsync(m => Is(m, "presence:updated", "grill-kds-1", change: "joined"), Wait, "joined");
        await kds.CloseAsync();
        await kds.DisposeAsync();
        await watcher.ReceiveUntilAsync(m => Is(m, "presence:updated", "grill-kds-1", change: "left"), Wait, "left");
        var raised = await watcher.ReceiveUntilAsync(m => Is(m, "station:alert", "grill-kds-1", "gone", "raised"), Wait, "the gone alert");
        Assert.Equal("gone", raised.Data.GetProperty("station").GetProperty("status").GetString());

        var listed = await host.CallAsync(HttpMethod.Get, "api/presence", manager, null, 200);
        // The grill station, gone and alerted, and the watching manager's own unnamed connection.
        var entry = Assert.Single(listed.GetProperty("stations").EnumerateArray(), e => e.GetProperty("key").GetString() == "s.grill-kds-1");
        Assert.Equal(("gone", "gone"), (entry.GetProperty("status").GetString(), entry.GetProperty("alert").GetString()));
        Assert.Equal(2, listed.GetProperty("stations").GetArrayLength());

        // Still gone three timer ticks later: no second alert.
        await Task.Delay(TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);
        await using var back = await host.ConnectAsync(kdsToken, "kds-back");
        await watcher.ReceiveUntilAsync(m => Is(m, "station:alert", "grill-kds-1", "gone", "cleared"), Wait, "the clear");
        await watcher.ReceiveUntilAsync(m => Is(m, "presence:updated", "grill-kds-1", change: "joined"), Wait, "joined again");

        Assert.Single(watcher.All(m => Is(m, "station:alert", "grill-kds-1", "gone", "raised")));
        Assert.Single(watcher.All(m => Is(m, "station:alert", "grill-kds-1", "gone", "cleared")));
        // The other restaurant's manager sees its own connection join, and nothing of this restaurant.
        Assert.Empty(otherWatcher.All(m => m.RestaurantId == r));
        Assert.Empty(otherWatcher.All(m => m.Type == "station:alert"));
        var after = await host.CallAsync(HttpMethod.Get, "api/presence", manager, null, 200);
        Assert.Equal("live", Assert.Single(after.GetProperty("stations").EnumerateArray(), e => e.GetProperty("key").GetString() == "s.grill-kds-1").GetProperty("status").GetString());
        Assert.Empty((await host.CallAsync(HttpMethod.Get, "api/presence", await host.TokenAsync(Guid.NewGuid(), "owner"), null, 200)).GetProperty("stations").EnumerateArray());
    }

    [Fact]
    public async Task A_screen_that_stops_acknowledging_is_reported_behind_and_clears_when_it_reports_the_latest()
    {
        var r = Guid.NewGuid();
        var manager = await host.TokenAsync(r, "manager");
        await using var watcher = await host.ConnectAsync(manager, "manager");
        await using var pass = await host.ConnectAsync(await host.StationTokenAsync(r, "expo", "pass-1"), "pass");
        await pass.SendAsync("""{"type":"ping","applied_seq":0}""");
        await pass.ReceiveTypeAsync("pong");

        // Orders arrive; the pass screen applies nothing and sends no heartbeat.
        await host.CreateOrderAsync(manager, Guid.NewGuid(), "T2");
        var raised = await watcher.ReceiveUntilAsync(m => Is(m, "station:alert", "pass-1", "behind", "raised"), Wait, "the behind alert");
        var latest = raised.Data.GetProperty("station").GetProperty("latest_seq").GetInt64();
        Assert.True(latest > 0, raised.ToString());
        Assert.Equal(0, raised.Data.GetProperty("station").GetProperty("applied_seq").GetInt64());

        var history = await host.CallAsync(HttpMethod.Get, "api/events?since=0", manager, null, 200);
        var newest = history.GetProperty("data").GetProperty("latest_seq").GetInt64();
        await pass.SendAsync($$"""{"type":"ping","applied_seq":{{newest}}}""");
        await watcher.ReceiveUntilAsync(m => Is(m, "station:alert", "pass-1", "behind", "cleared"), Wait, "the clear");
        await watcher.ReceiveUntilAsync(m => Is(m, "presence:updated", "pass-1", change: "caught_up"), Wait, "caught up");
        Assert.Single(watcher.All(m => Is(m, "station:alert", "pass-1", "behind", "raised")));
    }

    [Fact]
    public async Task The_kitchen_may_not_read_presence_and_receives_no_presence_events()
    {
        var r = Guid.NewGuid();
        await using var cook = await host.ConnectAsync(await host.TokenAsync(r, "kitchen"), "cook");
        await using var station = await host.ConnectAsync(await host.StationTokenAsync(r, "kitchen", "fry-kds"), "fry");
        using var refused = await host.SendAsync(HttpMethod.Get, "api/presence", await host.TokenAsync(r, "kitchen"));
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("FORBIDDEN", await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);

        await cook.SendAsync("""{"type":"subscribe","events":["presence:updated"]}""");
        Assert.Equal("FORBIDDEN", (await cook.ReceiveTypeAsync("error")).ErrorCode);
        Assert.Empty(cook.All(m => m.Type is "presence:updated" or "station:alert"));
    }
}
