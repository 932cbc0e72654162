using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RestaurantOs.Functions.Functions;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Connections;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Presence;
using RestaurantOs.Realtime.Services;

namespace RestaurantOs.Functions.Tests;

/// <summary>
/// Station presence through the app's real composition over a real SQLite file (Web PubSub mocked, time faked): the
/// lifecycle events and heartbeats a connection produces, the timer's sweep, and what is published. Grace 30 s, behind
/// after 25 events or 60 s, silent after 150 s, trading window 1 h (the defaults).
/// </summary>
public sealed class PresenceTrackerTests : IAsyncLifetime
{
    private readonly FunctionsTestHost _host = new();
    private readonly Guid _restaurant = Guid.NewGuid();

    public async ValueTask InitializeAsync() => await _host.InitializeAsync();

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private ConnectionService Connections => _host.Services.GetRequiredService<ConnectionService>();

    private PresenceTracker Tracker => _host.Services.GetRequiredService<PresenceTracker>();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ConnectionState Screen(Role role = Role.Kitchen, string? station = "grill-kds-1", Guid? restaurant = null) =>
        ConnectionState.ForIdentity(new ConnectionIdentity("cook-1", restaurant ?? _restaurant, role, [], station), null);

    private async Task<long> AppendEventsAsync(int count, Guid? restaurant = null)
    {
        var history = _host.Services.GetRequiredService<IEventHistory>();
        long seq = 0;
        for (var i = 0; i < count; i++)
        {
            using var data = JsonDocument.Parse("{}");
            var (stored, _) = await history.AppendAsync(
                new NewEvent($"test:{Guid.NewGuid():N}", restaurant ?? _restaurant, EventTypes.OrderCreated, data.RootElement.Clone(), _host.Time.GetUtcNow(), new EventScope(null, null)), Ct);
            seq = stored.Seq!.Value;
        }

        return seq;
    }

    private Task<MessageOutcome> PingAsync(string connectionId, ConnectionState state, long? applied) =>
        Connections.MessageAsync(connectionId, state, Encoding.UTF8.GetBytes(applied is null ? """{"type":"ping"}""" : $$"""{"type":"ping","applied_seq":{{applied}}}"""), null, Ct);

    private List<StationAlertData> Alerts() =>
        [.. _host.Broadcasts().Where(b => b.Event.Type == EventTypes.StationAlert).Select(b => b.Event.Data!.Value.Deserialize(Realtime.Protocol.RealtimeJsonContext.Default.StationAlertData)!)];

    private List<PresenceUpdatedData> Updates() =>
        [.. _host.Broadcasts().Where(b => b.Event.Type == EventTypes.PresenceUpdated).Select(b => b.Event.Data!.Value.Deserialize(Realtime.Protocol.RealtimeJsonContext.Default.PresenceUpdatedData)!)];

    [Fact]
    public async Task A_kds_that_disconnects_raises_one_alert_after_the_grace_and_one_clear_when_it_returns()
    {
        await AppendEventsAsync(1); // the restaurant is trading
        var state = Screen();
        await Connections.ConnectedAsync("conn-1", state, null, Ct);
        await Connections.DisconnectedAsync("conn-1", state, Ct);

        _host.Time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(0, await Tracker.SweepAsync(Ct));
        _host.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, await Tracker.SweepAsync(Ct));
        _host.Time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(0, await Tracker.SweepAsync(Ct));

        var raised = Assert.Single(Alerts());
        Assert.Equal((StationAlertKind.Gone, StationAlertState.Raised, "grill-kds-1"), (raised.Alert, raised.State, raised.Station.Station));

        // Back on a new connection: one clear, and the station is live again.
        await Connections.ConnectedAsync("conn-2", state, null, Ct);
        Assert.Equal(
            [(StationAlertKind.Gone, StationAlertState.Raised), (StationAlertKind.Gone, StationAlertState.Cleared)],
            Alerts().Select(a => (a.Alert, a.State)));
        Assert.Equal([PresenceChange.Joined, PresenceChange.Left, PresenceChange.Joined], Updates().Select(u => u.Change));
        var listed = Assert.Single((await Tracker.ListAsync(_restaurant, Ct)).Stations);
        Assert.Equal((PresenceStatus.Live, "conn-2", (StationAlertKind?)null), (listed.Status, listed.ConnectionId, listed.Alert));
    }

    [Fact]
    public async Task The_old_connection_of_a_station_that_moved_cannot_mark_it_gone()
    {
        var state = Screen();
        await Connections.ConnectedAsync("conn-new", state, null, Ct);
        await Connections.DisconnectedAsync("conn-old", state, Ct);

        var listed = Assert.Single((await Tracker.ListAsync(_restaurant, Ct)).Stations);
        Assert.Equal((PresenceStatus.Live, "conn-new"), (listed.Status, listed.ConnectionId));
    }

    [Fact]
    public async Task A_second_screen_of_the_station_that_still_beats_takes_it_over_when_the_newer_one_leaves()
    {
        await AppendEventsAsync(1);
        var state = Screen();
        await Connections.ConnectedAsync("tab-1", state, null, Ct);
        await Connections.ConnectedAsync("tab-2", state, null, Ct); // the newest holds the station
        await Connections.DisconnectedAsync("tab-2", state, Ct);
        await PingAsync("tab-1", state, 1);

        var listed = Assert.Single((await Tracker.ListAsync(_restaurant, Ct)).Stations);
        Assert.Equal((PresenceStatus.Live, "tab-1"), (listed.Status, listed.ConnectionId));
        _host.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(0, await Tracker.SweepAsync(Ct));
    }

    [Fact]
    public async Task No_gone_alert_outside_trading_hours_until_the_next_order_arrives()
    {
        await AppendEventsAsync(1);
        _host.Time.Advance(TimeSpan.FromHours(2)); // closed: the last event is two hours old
        var state = Screen();
        await Connections.ConnectedAsync("conn-1", state, null, Ct);
        await Connections.DisconnectedAsync("conn-1", state, Ct);
        _host.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(0, await Tracker.SweepAsync(Ct));

        await AppendEventsAsync(1); // the first order of the day, and the grill KDS is still off
        Assert.Equal(1, await Tracker.SweepAsync(Ct));
        Assert.Equal(StationAlertKind.Gone, Assert.Single(Alerts()).Alert);
    }

    [Fact]
    public async Task A_screen_that_reports_an_old_applied_seq_is_behind_until_it_reports_the_latest()
    {
        var state = Screen(Role.Expo, "pass-1");
        await Connections.ConnectedAsync("conn-1", state, null, Ct);
        var latest = await AppendEventsAsync(30);

        await PingAsync("conn-1", state, 2); // 28 events behind: more than 25
        await PingAsync("conn-1", state, 3); // still behind: no second alert
        var behind = Assert.Single((await Tracker.ListAsync(_restaurant, Ct)).Stations);
        Assert.Equal((PresenceStatus.Behind, StationAlertKind.Behind, 3L, latest), (behind.Status, behind.Alert!.Value, behind.AppliedSeq!.Value, behind.LatestSeq!.Value));

        await PingAsync("conn-1", state, latest);
        Assert.Equal(
            [(StationAlertKind.Behind, StationAlertState.Raised), (StationAlertKind.Behind, StationAlertState.Cleared)],
            Alerts().Select(a => (a.Alert, a.State)));
        Assert.Equal([PresenceChange.Joined, PresenceChange.Behind, PresenceChange.CaughtUp], Updates().Select(u => u.Change));
    }

    [Fact]
    public async Task A_healthy_station_is_written_once_a_minute_not_at_every_heartbeat_and_unnamed_heartbeats_are_not_tracked()
    {
        var state = Screen();
        await Connections.ConnectedAsync("conn-1", state, null, Ct);
        var latest = await AppendEventsAsync(2);
        await PingAsync("conn-1", state, latest); // the first report is written
        var first = Assert.Single((await Tracker.ListAsync(_restaurant, Ct)).Stations);
        Assert.Equal((latest, 2), (first.AppliedSeq!.Value, first.Version));

        var newer = await AppendEventsAsync(1);
        _host.Time.Advance(TimeSpan.FromSeconds(30));
        await PingAsync("conn-1", state, newer); // 30 s later: read only
        Assert.Equal(first, Assert.Single((await Tracker.ListAsync(_restaurant, Ct)).Stations));

        _host.Time.Advance(TimeSpan.FromSeconds(30));
        await PingAsync("conn-1", state, newer); // a minute after the last write: refreshed
        var refreshed = Assert.Single((await Tracker.ListAsync(_restaurant, Ct)).Stations);
        Assert.Equal((newer, 3, _host.Time.GetUtcNow()), (refreshed.AppliedSeq!.Value, refreshed.Version, refreshed.LastSeenAt));

        var unnamed = Screen(station: null);
        await Connections.ConnectedAsync("conn-u", unnamed, null, Ct);
        var before = Assert.Single((await Tracker.ListAsync(_restaurant, Ct)).Stations, s => s.Key == "c.conn-u");
        _host.Time.Advance(TimeSpan.FromMinutes(5));
        await PingAsync("conn-u", unnamed, 0);
        Assert.Equal(before, Assert.Single((await Tracker.ListAsync(_restaurant, Ct)).Stations, s => s.Key == "c.conn-u"));
        Assert.Empty(Alerts());
    }

    [Fact]
    public async Task A_screen_that_stops_acknowledging_is_reported_behind_by_the_timer()
    {
        var state = Screen();
        await Connections.ConnectedAsync("conn-1", state, null, Ct);
        await PingAsync("conn-1", state, 0);
        await AppendEventsAsync(3); // a few events, well under 25: only their age can make the screen behind

        _host.Time.Advance(TimeSpan.FromSeconds(100));
        Assert.Equal(0, await Tracker.SweepAsync(Ct)); // not silent yet (150 s)
        _host.Time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(1, await Tracker.SweepAsync(Ct));
        Assert.Equal(0, await Tracker.SweepAsync(Ct));

        var alert = Assert.Single(Alerts());
        Assert.Equal((StationAlertKind.Behind, StationAlertState.Raised, 3L), (alert.Alert, alert.State, alert.Station.LatestSeq!.Value));
    }

    [Fact]
    public async Task A_quiet_screen_with_nothing_to_apply_is_not_behind()
    {
        var state = Screen();
        await Connections.ConnectedAsync("conn-1", state, null, Ct);
        var latest = await AppendEventsAsync(2);
        await PingAsync("conn-1", state, latest);
        _host.Time.Advance(TimeSpan.FromMinutes(10));

        Assert.Equal(0, await Tracker.SweepAsync(Ct));
        Assert.Empty(Alerts());
    }

    [Fact]
    public async Task Unnamed_screens_are_listed_while_connected_never_alert_and_customers_are_not_screens()
    {
        await AppendEventsAsync(1);
        var unnamed = Screen(station: null);
        await Connections.ConnectedAsync("conn-u", unnamed, "json.reliable.webpubsub.azure.v1", Ct);
        await Connections.ConnectedAsync("conn-guest", Screen(Role.Customer, station: null), null, Ct);

        var listed = Assert.Single((await Tracker.ListAsync(_restaurant, Ct)).Stations);
        Assert.Equal(("c.conn-u", "json.reliable.webpubsub.azure.v1"), (listed.Key, listed.Transport));

        await Connections.DisconnectedAsync("conn-u", unnamed, Ct);
        _host.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(0, await Tracker.SweepAsync(Ct));
        Assert.Empty((await Tracker.ListAsync(_restaurant, Ct)).Stations);
        Assert.Empty(Alerts());
    }

    [Fact]
    public async Task Presence_events_go_only_to_the_restaurants_own_groups_and_the_list_is_per_restaurant()
    {
        var other = Guid.NewGuid();
        await Connections.ConnectedAsync("conn-1", Screen(), null, Ct);
        await Connections.ConnectedAsync("conn-2", Screen(restaurant: other), null, Ct);

        foreach (var (e, filter) in _host.Broadcasts().Where(b => b.Event.Type == EventTypes.PresenceUpdated))
        {
            Assert.NotNull(filter);
            var groups = filter!.Split(" or ");
            Assert.All(groups, g => Assert.StartsWith($"'r.{e.RestaurantId:N}.e.presence:updated", g, StringComparison.Ordinal));
        }

        Assert.Equal(["conn-1"], (await Tracker.ListAsync(_restaurant, Ct)).Stations.Select(s => s.ConnectionId));
        Assert.Equal(["conn-2"], (await Tracker.ListAsync(other, Ct)).Stations.Select(s => s.ConnectionId));
    }

    [Fact]
    public async Task Two_instances_sweeping_one_store_raise_the_alert_once_and_a_restart_neither_loses_nor_repeats_it()
    {
        await AppendEventsAsync(1);
        var state = Screen();
        await Connections.ConnectedAsync("conn-1", state, null, Ct);
        await Connections.DisconnectedAsync("conn-1", state, Ct);

        // A second instance over the same store file. It reads its due list, and before it acts on it the first
        // instance sweeps and raises the alert: the second one's write must lose, and it must publish nothing.
        var path = _host.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>()["Storage:Sqlite:Path"];
        var firstSweep = 0;
        await using var second = new FunctionsTestHost(
            new Dictionary<string, string?> { ["Storage:Sqlite:Path"] = path },
            services =>
            {
                var inner = services.Last(d => d.ServiceType == typeof(IPresenceStore));
                services.Remove(inner);
                services.AddSingleton<IPresenceStore>(sp => new AfterListingDue(
                    (IPresenceStore)(inner.ImplementationFactory?.Invoke(sp) ?? ActivatorUtilities.CreateInstance(sp, inner.ImplementationType!)),
                    async () => firstSweep = await Tracker.SweepAsync(Ct)));
            });
        await second.InitializeAsync();
        second.Time.SetUtcNow(_host.Time.GetUtcNow());
        _host.Time.Advance(TimeSpan.FromSeconds(31));
        second.Time.Advance(TimeSpan.FromSeconds(31));

        var secondSweep = await second.Services.GetRequiredService<PresenceTracker>().SweepAsync(Ct);
        Assert.Equal((1, 0), (firstSweep, secondSweep));
        var published = _host.Broadcasts().Concat(second.Broadcasts()).Count(b => b.Event.Type == EventTypes.StationAlert);
        Assert.Equal(1, published);

        // A third process after a restart sees the station gone and alerted, and raises nothing again.
        await using var restarted = new FunctionsTestHost(new Dictionary<string, string?> { ["Storage:Sqlite:Path"] = path });
        await restarted.InitializeAsync();
        restarted.Time.SetUtcNow(_host.Time.GetUtcNow().AddMinutes(1));
        Assert.Equal(0, await restarted.Services.GetRequiredService<PresenceTracker>().SweepAsync(Ct));
        var listed = Assert.Single((await restarted.Services.GetRequiredService<PresenceTracker>().ListAsync(_restaurant, Ct)).Stations);
        Assert.Equal((PresenceStatus.Gone, StationAlertKind.Gone), (listed.Status, listed.Alert!.Value));
    }

    [Fact]
    public async Task The_first_auth_message_may_name_the_station_but_may_not_contradict_the_token()
    {
        var pending = new ConnectionState { Authenticated = false, AuthDeadlineMs = _host.Time.GetUtcNow().AddSeconds(10).ToUnixTimeMilliseconds() };
        var plain = _host.Token(_restaurant, Role.Kitchen);
        var named = AppTokenIssuer.CreateHs256(FunctionsTestHost.SigningKey, FunctionsTestHost.Issuer, FunctionsTestHost.Audience, "user-1", _restaurant, Role.Kitchen, null,
            _host.Time.GetUtcNow().AddMinutes(-1), _host.Time.GetUtcNow().AddHours(1), station: "fry-kds");

        var ok = await Connections.MessageAsync("conn-a", pending, Encoding.UTF8.GetBytes($$"""{"type":"auth","token":"{{plain}}","station":"grill-kds-2"}"""), null, Ct);
        Assert.Equal(("authenticated", "grill-kds-2"), (ok.Reply!.Type, ok.State.Station));
        Assert.Equal(["s.grill-kds-2"], (await Tracker.ListAsync(_restaurant, Ct)).Stations.Select(s => s.Key));

        var refused = await Connections.MessageAsync("conn-b", pending, Encoding.UTF8.GetBytes($$"""{"type":"auth","token":"{{named}}","station":"grill-kds-2"}"""), null, Ct);
        Assert.Equal("INVALID_MESSAGE", refused.Reply!.Data!.Value.GetProperty("code").GetString());
        Assert.False(refused.State.Authenticated);

        // A refresh on an open connection keeps its station: another token's station is refused.
        var refresh = await Connections.MessageAsync("conn-a", ok.State, Encoding.UTF8.GetBytes($$"""{"type":"auth","token":"{{named}}"}"""), null, Ct);
        Assert.Equal("INVALID_MESSAGE", refresh.Reply!.Data!.Value.GetProperty("code").GetString());
        Assert.Equal("grill-kds-2", refresh.State.Station);
    }

    /// <summary>Runs <paramref name="between"/> after the due list is read and before the caller acts on it.</summary>
    private sealed class AfterListingDue(IPresenceStore inner, Func<Task> between) : IPresenceStore
    {
        public Task<StationPresence?> GetAsync(Guid restaurantId, string key, CancellationToken cancellationToken) => inner.GetAsync(restaurantId, key, cancellationToken);

        public Task<IReadOnlyList<StationPresence>> ListAsync(Guid restaurantId, CancellationToken cancellationToken) => inner.ListAsync(restaurantId, cancellationToken);

        public Task<WriteResult<StationPresence>> WriteAsync(StationPresence entry, int? expectedVersion, CancellationToken cancellationToken) => inner.WriteAsync(entry, expectedVersion, cancellationToken);

        public Task<bool> DeleteAsync(Guid restaurantId, string key, int expectedVersion, CancellationToken cancellationToken) => inner.DeleteAsync(restaurantId, key, expectedVersion, cancellationToken);

        public async Task<IReadOnlyList<StationPresence>> ListDueAsync(DateTimeOffset goneBefore, DateTimeOffset silentBefore, int max, CancellationToken cancellationToken)
        {
            var due = await inner.ListDueAsync(goneBefore, silentBefore, max, cancellationToken);
            await between();
            return due;
        }

        public Task<int> PurgeAsync(DateTimeOffset before, CancellationToken cancellationToken) => inner.PurgeAsync(before, cancellationToken);
    }

    [Fact]
    public async Task Get_presence_answers_the_watching_roles_and_refuses_the_others()
    {
        await Connections.ConnectedAsync("conn-1", Screen(), null, Ct);
        var functions = _host.Create<PresenceFunctions>();

        var request = _host.Request("GET", "/api/presence", _host.Token(_restaurant, Role.Expo));
        var (status, body, _) = await FunctionsTestHost.ExecuteAsync(request, await functions.ListPresence(request, Ct));
        Assert.Equal(200, status);
        Assert.Equal("grill-kds-1", FunctionsTestHost.Json(body).GetProperty("stations")[0].GetProperty("station").GetString());

        var refused = _host.Request("GET", "/api/presence", _host.Token(_restaurant, Role.Kitchen));
        (status, body, _) = await FunctionsTestHost.ExecuteAsync(refused, await functions.ListPresence(refused, Ct));
        Assert.Equal(403, status);
        Assert.Contains("FORBIDDEN", body, StringComparison.Ordinal);
    }
}
