using System.Text;
using System.Text.Json;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Connections;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Events;
using RestaurantOs.Realtime.Kds;
using RestaurantOs.Realtime.Limits;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Protocol;
using RestaurantOs.Realtime.Routing;

namespace RestaurantOs.Realtime.Tests;

/// <summary>The envelope and every event's JSON against the seed document's examples, field by field.</summary>
public sealed class SerializationTests
{
    private static readonly DateTimeOffset At = new(2025, 11, 6, 10, 0, 0, TimeSpan.Zero);

    private static JsonElement Wire(RealtimeEvent e) => JsonDocument.Parse(EventSerializer.ToUtf8(e)).RootElement;

    private static RealtimeEvent Broadcast(NewEvent e, long seq) => new()
    {
        Type = e.Type, Id = e.Id, RestaurantId = e.RestaurantId, Seq = seq, Data = e.Data, Timestamp = e.Timestamp, Scope = e.Scope,
    };

    private static NewEvent MapOne(DocumentKind kind, JsonElement doc, string type) =>
        ChangeEventMapper.Map(new StoreChange("c", kind, TestData.Restaurant, "d", doc, At)).Single(e => e.Type == type);

    [Fact]
    public void Envelope_has_type_id_restaurant_seq_data_timestamp_and_no_scope()
    {
        var order = TestData.Order();
        var e = Broadcast(MapOne(DocumentKind.Order, JsonSerializer.SerializeToElement(order, RealtimeJsonContext.Default.Order), "order:created"), 42);
        var json = Wire(e);
        Assert.Equal(["type", "id", "restaurant_id", "seq", "data", "timestamp"], json.EnumerateObject().Select(p => p.Name));
        Assert.Equal("order:created", json.GetProperty("type").GetString());
        Assert.Equal(TestData.Restaurant.ToString(), json.GetProperty("restaurant_id").GetString());
        Assert.Equal(42, json.GetProperty("seq").GetInt64());
        Assert.Equal("2025-11-06T10:00:00Z", json.GetProperty("timestamp").GetString());
    }

    [Fact]
    public void Order_created_matches_the_seed_example()
    {
        var order = TestData.Order();
        var data = Wire(Broadcast(MapOne(DocumentKind.Order, JsonSerializer.SerializeToElement(order, RealtimeJsonContext.Default.Order), "order:created"), 1)).GetProperty("data");
        var o = data.GetProperty("order");
        Assert.Equal(order.Id.ToString(), o.GetProperty("id").GetString());
        Assert.Equal("pending", o.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Array, o.GetProperty("items").ValueKind);
        Assert.Equal(2500, o.GetProperty("total").GetInt64());
        Assert.Equal("T5", o.GetProperty("table_number").GetString());
        Assert.Equal(2, o.GetProperty("seat_number").GetInt32());
        Assert.Equal(1, o.GetProperty("version").GetInt32());
        var item = o.GetProperty("items")[0];
        Assert.Equal(["id", "menu_item_id", "name", "quantity", "price", "modifiers", "special_instructions"], item.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void Order_updated_carries_status_and_updated_at()
    {
        var order = TestData.Order(status: OrderStatus.Preparing, version: 3, statusVersion: 2) with { UpdatedAt = At };
        var o = Wire(Broadcast(MapOne(DocumentKind.Order, JsonSerializer.SerializeToElement(order, RealtimeJsonContext.Default.Order), "order:updated"), 2)).GetProperty("data").GetProperty("order");
        Assert.Equal("preparing", o.GetProperty("status").GetString());
        Assert.Equal("2025-11-06T10:00:00Z", o.GetProperty("updated_at").GetString());
    }

    [Fact]
    public void Order_status_matches_the_seed_example()
    {
        var order = TestData.Order(status: OrderStatus.Ready, previous: OrderStatus.Preparing, version: 4);
        var data = Wire(Broadcast(MapOne(DocumentKind.Order, JsonSerializer.SerializeToElement(order, RealtimeJsonContext.Default.Order), "order:status"), 3)).GetProperty("data");
        Assert.Equal(["order_id", "status", "previous_status", "version"], data.EnumerateObject().Select(p => p.Name));
        Assert.Equal(order.Id.ToString(), data.GetProperty("order_id").GetString());
        Assert.Equal("ready", data.GetProperty("status").GetString());
        Assert.Equal("preparing", data.GetProperty("previous_status").GetString());
    }

    [Theory]
    [InlineData(OrderStatus.PickedUp, "picked-up")]
    [InlineData(OrderStatus.New, "new")]
    [InlineData(OrderStatus.Served, "served")]
    [InlineData(OrderStatus.Cancelled, "cancelled")]
    public void Status_names_are_the_seed_app_spellings(OrderStatus status, string wire) =>
        Assert.Equal($"\"{wire}\"", JsonSerializer.Serialize(status, RealtimeJsonContext.Default.OrderStatus));

    [Fact]
    public void Payment_processed_matches_the_seed_example()
    {
        var payment = new Payment { Id = Guid.NewGuid(), RestaurantId = TestData.Restaurant, OrderId = Guid.NewGuid(), Amount = 2500, PaymentMethod = PaymentMethod.HouseAccount, PaymentStatus = PaymentStatus.Paid, CreatedAt = At };
        var p = Wire(Broadcast(MapOne(DocumentKind.Payment, JsonSerializer.SerializeToElement(payment, RealtimeJsonContext.Default.Payment), "payment:processed"), 4)).GetProperty("data").GetProperty("payment");
        Assert.Equal(payment.Id.ToString(), p.GetProperty("id").GetString());
        Assert.Equal(payment.OrderId.ToString(), p.GetProperty("order_id").GetString());
        Assert.Equal(2500, p.GetProperty("amount").GetInt64());
        Assert.Equal("house_account", p.GetProperty("payment_method").GetString());
        Assert.Equal("paid", p.GetProperty("payment_status").GetString());
    }

    [Fact]
    public void Table_updated_matches_the_seed_example()
    {
        var table = new Table { Id = Guid.NewGuid(), RestaurantId = TestData.Restaurant, Label = "T12", Status = TableStatus.Occupied, CurrentOrderId = Guid.NewGuid(), UpdatedAt = At, Version = 2 };
        var t = Wire(Broadcast(MapOne(DocumentKind.Table, JsonSerializer.SerializeToElement(table, RealtimeJsonContext.Default.Table), "table:updated"), 5)).GetProperty("data").GetProperty("table");
        Assert.Equal(table.Id.ToString(), t.GetProperty("id").GetString());
        Assert.Equal("T12", t.GetProperty("label").GetString());
        Assert.Equal("occupied", t.GetProperty("status").GetString());
        Assert.Equal(table.CurrentOrderId.ToString(), t.GetProperty("current_order_id").GetString());
    }

    [Fact]
    public void Kds_update_matches_the_seed_example()
    {
        var order = TestData.Order(status: OrderStatus.Preparing, createdAt: At.AddMinutes(-12));
        var json = Wire(KdsBatcher.Build([order], At).Single());
        Assert.Equal(["type", "id", "restaurant_id", "data", "timestamp"], json.EnumerateObject().Select(p => p.Name));
        var ticket = json.GetProperty("data").GetProperty("orders")[0];
        Assert.Equal(order.Id.ToString(), ticket.GetProperty("id").GetString());
        Assert.Equal("preparing", ticket.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Array, ticket.GetProperty("items").ValueKind);
        Assert.Equal(12, ticket.GetProperty("prep_time").GetInt32());
        Assert.Equal("T5", ticket.GetProperty("table_number").GetString());
    }

    [Fact]
    public void Error_matches_the_seed_example_and_replies_carry_no_id_restaurant_or_seq()
    {
        var json = Wire(EventFactory.Error(ErrorCodes.InvalidMessage, "Invalid message format", At));
        Assert.Equal("""{"type":"error","data":{"code":"INVALID_MESSAGE","message":"Invalid message format"},"timestamp":"2025-11-06T10:00:00Z"}""", json.GetRawText());
    }

    [Fact]
    public void Reply_shapes()
    {
        var pong = Wire(EventFactory.Pong(At));
        Assert.Equal("pong", pong.GetProperty("type").GetString());
        Assert.Equal(At.ToUnixTimeMilliseconds(), pong.GetProperty("data").GetProperty("server_time").GetInt64());

        var who = new ConnectionIdentity("u1", TestData.Restaurant, Role.Kitchen, []);
        var connected = Wire(EventFactory.Connected("conn-1", ConnectionState.ForIdentity(who, At.AddHours(1)), 10, At)).GetProperty("data");
        Assert.Equal("conn-1", connected.GetProperty("connection_id").GetString());
        Assert.True(connected.GetProperty("authenticated").GetBoolean());
        Assert.Equal("kitchen", connected.GetProperty("role").GetString());
        Assert.Equal(TestData.Restaurant.ToString(), connected.GetProperty("restaurant_id").GetString());
        var anonymous = Wire(EventFactory.Connected("conn-2", new ConnectionState(), 10, At)).GetProperty("data");
        Assert.False(anonymous.GetProperty("authenticated").GetBoolean());
        Assert.Equal(10, anonymous.GetProperty("auth_timeout_seconds").GetInt32());

        var subs = SubscriptionRules.Apply(who, SubscriptionSet.Default, new SubscribeMessage(["order:created"], new Dictionary<string, string> { ["table_number"] = "T5" })).Next;
        var ack = Wire(EventFactory.SubscriptionAck(EventTypes.Subscribed, ["order:created"], new Dictionary<string, string> { ["table_number"] = "T5" }, subs, Role.Kitchen, At));
        Assert.Equal("subscribed", ack.GetProperty("type").GetString());
        Assert.Equal("T5", ack.GetProperty("data").GetProperty("filters").GetProperty("table_number").GetString());
        Assert.Equal(["order:created@T5"], ack.GetProperty("data").GetProperty("active").EnumerateArray().Select(a => a.GetString()));
        Assert.Throws<ArgumentException>(() => EventFactory.SubscriptionAck("pong", [], null, subs, Role.Kitchen, At));

        var replayed = new RealtimeEvent { Type = "order:status", Id = "x", RestaurantId = TestData.Restaurant, Seq = 7, Timestamp = At, Data = JsonDocument.Parse("{}").RootElement };
        var replay = Wire(EventFactory.Replay(5, 9, [replayed], At)).GetProperty("data");
        Assert.Equal(5, replay.GetProperty("since").GetInt64());
        Assert.Equal(9, replay.GetProperty("latest_seq").GetInt64());
        Assert.Equal(7, replay.GetProperty("events")[0].GetProperty("seq").GetInt64());

        var resync = Wire(EventFactory.Resync(1, 900, "history_expired", At)).GetProperty("data");
        Assert.Equal("history_expired", resync.GetProperty("reason").GetString());
    }

    [Fact]
    public void Events_round_trip_through_the_serializer()
    {
        var e = KdsBatcher.Build([TestData.Order()], At).Single();
        var back = EventSerializer.FromUtf8(EventSerializer.ToUtf8(e));
        Assert.Equal(e.Type, back.Type);
        Assert.Equal(e.Id, back.Id);
        Assert.Equal(e.RestaurantId, back.RestaurantId);
        Assert.Equal(e.Timestamp, back.Timestamp);
        Assert.Equal(e.Data!.Value.GetRawText(), back.Data!.Value.GetRawText());
    }

    [Fact]
    public void Timestamps_keep_fractions_and_read_any_offset()
    {
        var withFraction = new RealtimeEvent { Type = "pong", Timestamp = At.AddMilliseconds(123) };
        Assert.Equal("2025-11-06T10:00:00.123Z", Wire(withFraction).GetProperty("timestamp").GetString());
        var read = EventSerializer.FromUtf8(Encoding.UTF8.GetBytes("""{"type":"pong","timestamp":"2025-11-06T12:00:00+02:00"}"""));
        Assert.Equal(At, read.Timestamp);
    }
}

public sealed class ConnectionStateTests
{
    [Fact]
    public void State_round_trips_through_json_and_stays_small()
    {
        var who = new ConnectionIdentity("user-123", TestData.Restaurant, Role.Customer, [Guid.NewGuid(), Guid.NewGuid()]);
        var subs = SubscriptionRules.Apply(who, SubscriptionSet.Default, new UnsubscribeMessage(["order:created"])).Next;
        var state = ConnectionState.ForIdentity(who, DateTimeOffset.UnixEpoch.AddDays(1)) with
        {
            Subscriptions = subs,
            Rate = new RateLimitState(1_700_000_000_000, 12, 1),
        };

        var json = state.ToJsonElement();
        Assert.True(ConnectionState.TryRead(json, out var back));
        Assert.Equal(state.ToIdentity().UserId, back.ToIdentity().UserId);
        Assert.Equal(who.OrderIds, back.OrderIds);
        Assert.Equal(subs, back.Subscriptions);
        Assert.Equal(state.Rate, back.Rate);
        Assert.Equal(state.TokenExpiresMs, back.TokenExpiresMs);
        Assert.Equal(Role.Customer, back.Role);
        var text = json.GetRawText();
        Assert.True(text.Length < 1024, $"state is {text.Length} chars: {text}");
        Assert.Contains("\"role\":\"customer\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("pending_group", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Default_subscriptions_round_trip_as_default()
    {
        var state = new ConnectionState { AuthDeadlineMs = 5, PendingGroup = "auth-pending.0" };
        Assert.True(ConnectionState.TryRead(state.ToJsonElement(), out var back));
        Assert.False(back.Subscriptions.Explicit);
        Assert.Equal(SubscriptionSet.Default, back.Subscriptions);
        Assert.Equal("auth-pending.0", back.PendingGroup);
        Assert.False(back.TryGetIdentity(out _));
        Assert.Throws<InvalidOperationException>(() => back.ToIdentity());
    }

    [Fact]
    public void Null_members_read_as_defaults()
    {
        Assert.True(ConnectionState.TryRead(JsonDocument.Parse("""{"authenticated":false,"order_ids":null,"subscriptions":null}""").RootElement, out var state));
        Assert.Empty(state.OrderIds);
        Assert.Same(SubscriptionSet.Default, state.Subscriptions);
    }

    [Theory]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("42")]
    [InlineData("""{"authenticated":"yes"}""")]
    [InlineData("""{"role":"admin"}""")]
    [InlineData("""{"subscriptions":{"items":"x"}}""")]
    [InlineData("""{"role":99}""")]
    public void Bad_state_is_not_read(string json) => Assert.False(ConnectionState.TryRead(JsonDocument.Parse(json).RootElement, out _));
}
