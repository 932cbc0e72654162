using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RestaurantOs.Functions.Functions;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Connections;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Services;

namespace RestaurantOs.Functions.Tests;

/// <summary>
/// <c>resume</c> and <c>GET /api/events</c> over a real SQLite history: visible events are counted after filtering,
/// so a customer or a narrowed subscription is never told to reload because of events it would not have received,
/// and the whole history can be read over HTTP page by page.
/// </summary>
public sealed class HistoryCatchUpTests : IAsyncLifetime
{
    private readonly FunctionsTestHost _host = new();
    private readonly Guid _restaurant = Guid.NewGuid();
    private IEventHistory _history = null!;

    public async ValueTask InitializeAsync()
    {
        await _host.InitializeAsync();
        _history = _host.Services.GetRequiredService<IEventHistory>();
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private async Task<long> AppendAsync(string type, Guid orderId, string? table = "T1")
    {
        var id = $"test:{Guid.NewGuid():N}:{type}";
        using var data = JsonDocument.Parse($$"""{"order_id":"{{orderId}}"}""");
        var (stored, appended) = await _history.AppendAsync(
            new NewEvent(id, _restaurant, type, data.RootElement.Clone(), _host.Time.GetUtcNow(), new EventScope(orderId, table)),
            CancellationToken.None);
        Assert.True(appended);
        return stored.Seq!.Value;
    }

    private async Task AppendOtherOrdersAsync(int count, string table = "T1")
    {
        for (var i = 0; i < count; i++)
        {
            await AppendAsync(EventTypes.OrderCreated, Guid.NewGuid(), table);
        }
    }

    private static ConnectionState StateOf(Guid restaurant, Role role, params Guid[] orders) => new()
    {
        Authenticated = true,
        UserId = "user-1",
        RestaurantId = restaurant,
        Role = role,
        OrderIds = orders,
    };

    /// <summary>Sends one client message through the connection service, as the upstream handler does.</summary>
    private async Task<(JsonElement Reply, ConnectionState State)> SendAsync(ConnectionState state, string json)
    {
        var service = _host.Services.GetRequiredService<ConnectionService>();
        var outcome = await service.MessageAsync("c-1", state, Encoding.UTF8.GetBytes(json), null, CancellationToken.None);
        Assert.False(outcome.Closed);
        Assert.NotNull(outcome.Reply);
        var reply = JsonSerializer.SerializeToElement(outcome.Reply, Realtime.Protocol.RealtimeJsonContext.Default.RealtimeEvent);
        return (reply, outcome.State);
    }

    private async Task<JsonElement> ResumeAsync(ConnectionState state, long since) =>
        (await SendAsync(state, $$"""{"type":"resume","since":{{since}}}""")).Reply;

    private static List<long> Seqs(JsonElement reply) =>
        [.. reply.GetProperty("data").GetProperty("events").EnumerateArray().Select(e => e.GetProperty("seq").GetInt64())];

    [Fact]
    public async Task A_customer_behind_505_events_of_other_orders_gets_an_empty_replay_not_a_resync()
    {
        var mine = Guid.NewGuid();
        await AppendOtherOrdersAsync(2);
        var created = await AppendAsync(EventTypes.OrderCreated, mine);
        Assert.Equal(3, created);
        await AppendOtherOrdersAsync(505);
        var customer = StateOf(_restaurant, Role.Customer, mine);

        var upToDate = await ResumeAsync(customer, 3);
        Assert.Equal("replay", upToDate.GetProperty("type").GetString());
        Assert.Empty(Seqs(upToDate));
        Assert.Equal(508, upToDate.GetProperty("data").GetProperty("latest_seq").GetInt64());

        var before = await ResumeAsync(customer, 2);
        Assert.Equal("replay", before.GetProperty("type").GetString());
        Assert.Equal([3L], Seqs(before));

        // Its order moves on after 505 more foreign events: the replay holds exactly that one.
        var updated = await AppendAsync(EventTypes.OrderUpdated, mine);
        var later = await ResumeAsync(customer, 3);
        Assert.Equal([updated], Seqs(later));
    }

    [Fact]
    public async Task A_narrowed_subscription_is_replayed_only_its_events_however_many_others_passed()
    {
        var t5 = new List<long>();
        for (var round = 0; round < 4; round++)
        {
            await AppendOtherOrdersAsync(200, "T1");
            t5.Add(await AppendAsync(EventTypes.OrderCreated, Guid.NewGuid(), "T5"));
            await AppendAsync(EventTypes.OrderStatus, Guid.NewGuid(), "T5"); // another type: not subscribed
        }

        var (ack, server) = await SendAsync(StateOf(_restaurant, Role.Server), """{"type":"subscribe","events":["order:created"],"filters":{"table_number":"T5"}}""");
        Assert.Equal("subscribed", ack.GetProperty("type").GetString());
        var replay = await ResumeAsync(server, 0);
        Assert.Equal("replay", replay.GetProperty("type").GetString());
        Assert.Equal(t5, Seqs(replay));

        // A kitchen screen that kept only kitchen notifications: 808 order events passed, none of them its own.
        var (_, kitchen) = await SendAsync(StateOf(_restaurant, Role.Kitchen), """{"type":"subscribe","events":["notification:kitchen"]}""");
        var note = await AppendAsync(EventTypes.NotificationKitchen, Guid.NewGuid(), "T2");
        var kitchenReplay = await ResumeAsync(kitchen, 0);
        Assert.Equal("replay", kitchenReplay.GetProperty("type").GetString());
        Assert.Equal([note], Seqs(kitchenReplay));
    }

    [Fact]
    public async Task More_than_500_visible_events_pending_still_gets_resync_too_far_behind()
    {
        var mine = Guid.NewGuid();
        await AppendAsync(EventTypes.OrderCreated, mine);
        for (var i = 0; i < 501; i++)
        {
            await AppendAsync(EventTypes.OrderUpdated, mine);
        }

        var customer = StateOf(_restaurant, Role.Customer, mine);
        var far = await ResumeAsync(customer, 0);
        Assert.Equal("resync", far.GetProperty("type").GetString());
        Assert.Equal("too_far_behind", far.GetProperty("data").GetProperty("reason").GetString());

        // Exactly 500 pending is still a replay: the cap is "more than 500".
        var edge = await ResumeAsync(customer, 2);
        Assert.Equal("replay", edge.GetProperty("type").GetString());
        Assert.Equal(Enumerable.Range(3, 500).Select(i => (long)i), Seqs(edge));

        var manager = await ResumeAsync(StateOf(_restaurant, Role.Manager), 0);
        Assert.Equal("too_far_behind", manager.GetProperty("data").GetProperty("reason").GetString());

        var unknown = await ResumeAsync(customer, 10_000);
        Assert.Equal("unknown_seq", unknown.GetProperty("data").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Http_history_pages_through_thousands_of_events_each_visible_event_once_in_order_for_every_role()
    {
        var customerOrder = Guid.NewGuid();
        var tables = new[] { "T1", "T2", "T3" };
        var types = new[] { EventTypes.OrderCreated, EventTypes.OrderUpdated, EventTypes.OrderStatus, EventTypes.PaymentProcessed, EventTypes.TableUpdated, EventTypes.NotificationKitchen, EventTypes.NotificationRefund };
        var appended = new List<(long Seq, string Type, Guid Order)>();
        for (var i = 0; i < 3_000; i++)
        {
            var order = i % 37 == 0 ? customerOrder : Guid.NewGuid();
            var type = types[i % types.Length];
            appended.Add((await AppendAsync(type, order, tables[i % tables.Length]), type, order));
        }

        var functions = _host.Create<EventsFunctions>();
        foreach (var (role, limit) in new[] { (Role.Manager, 1_000), (Role.Kitchen, 250), (Role.Cashier, 333), (Role.Customer, 7) })
        {
            var token = _host.Token(_restaurant, role, orderIds: role == Role.Customer ? [customerOrder] : null);
            var expected = appended
                .Where(e => RolePermissions.CanReceive(role, e.Type) && (role != Role.Customer || e.Order == customerOrder))
                .Select(e => e.Seq)
                .ToList();
            var read = new List<long>();
            long since = 0;
            var pages = 0;
            while (true)
            {
                var request = _host.Request("GET", $"/api/events?since={since}&limit={limit}", token);
                var (status, body, _) = await FunctionsTestHost.ExecuteAsync(request, await functions.CatchUp(request, CancellationToken.None));
                Assert.Equal(200, status);
                var page = FunctionsTestHost.Json(body);
                Assert.Equal("replay", page.GetProperty("type").GetString());
                var data = page.GetProperty("data");
                var seqs = Seqs(page);
                Assert.True(seqs.Count <= limit, $"{role}: page of {seqs.Count} over limit {limit}");
                read.AddRange(seqs);
                var next = data.GetProperty("next").GetInt64();
                Assert.True(next >= since, $"{role}: next {next} went back from {since}");
                Assert.All(seqs, s => Assert.InRange(s, since + 1, next));
                pages++;
                Assert.True(pages < 1_000, $"{role}: paging does not end");
                if (!data.GetProperty("has_more").GetBoolean())
                {
                    Assert.Equal(3_000, next);
                    break;
                }

                since = next;
            }

            Assert.Equal(expected, read);
            Assert.True(pages > 1, $"{role}: {expected.Count} events came in one page of {limit}");
        }
    }

    [Fact]
    public async Task Http_history_rejects_a_bad_limit_or_since_with_problem_details()
    {
        var functions = _host.Create<EventsFunctions>();
        var token = _host.Token(_restaurant, Role.Manager);
        foreach (var (query, code) in new[]
        {
            ("limit=0", "INVALID_LIMIT"), ("limit=1001", "INVALID_LIMIT"), ("limit=-1", "INVALID_LIMIT"), ("limit=abc", "INVALID_LIMIT"),
            ("limit=5&limit=6", "INVALID_LIMIT"), ("limit=", "INVALID_LIMIT"), ("limit=1.5", "INVALID_LIMIT"),
            ("since=-1", "INVALID_SINCE"), ("since=x", "INVALID_SINCE"), ("since=1&since=2", "INVALID_SINCE"), ("since=99999999999999999999", "INVALID_SINCE"),
        })
        {
            var request = _host.Request("GET", $"/api/events?{query}", token);
            var (status, body, headers) = await FunctionsTestHost.ExecuteAsync(request, await functions.CatchUp(request, CancellationToken.None));
            Assert.True(status == 400, $"{query}: {status} {body}");
            Assert.StartsWith("application/problem+json", headers.ContentType.ToString(), StringComparison.Ordinal);
            Assert.Equal(code, FunctionsTestHost.Json(body).GetProperty("code").GetString());
        }
    }
}
