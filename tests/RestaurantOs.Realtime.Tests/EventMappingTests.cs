using System.Text.Json;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Events;
using RestaurantOs.Realtime.Kds;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Protocol;

namespace RestaurantOs.Realtime.Tests;

public sealed class ChangeEventMapperTests
{
    private static readonly DateTimeOffset Committed = new(2025, 11, 6, 10, 0, 0, TimeSpan.Zero);

    private static StoreChange Change<T>(DocumentKind kind, T document, Guid? restaurant = null, string id = "doc")
        where T : class
    {
        var element = JsonSerializer.SerializeToElement(document, (System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>)RealtimeJsonContext.Default.GetTypeInfo(typeof(T))!);
        return new StoreChange("change-1", kind, restaurant ?? TestData.Restaurant, id, element, Committed);
    }

    private static string[] Types(IReadOnlyList<NewEvent> events) => [.. events.Select(e => e.Type)];

    [Fact]
    public void Version_one_is_order_created_only()
    {
        var order = TestData.Order();
        var events = ChangeEventMapper.Map(Change(DocumentKind.Order, order));
        var e = Assert.Single(events);
        Assert.Equal("order:created", e.Type);
        Assert.Equal($"order:{order.Id:N}:v1:order:created", e.Id);
        Assert.Equal(TestData.Restaurant, e.RestaurantId);
        Assert.Equal(Committed, e.Timestamp);
        Assert.Equal(new EventScope(order.Id, "T5"), e.Scope);
        Assert.Equal(order.Id, e.Data.GetProperty("order").GetProperty("id").GetGuid());
    }

    [Fact]
    public void A_change_without_a_status_change_is_order_updated_only()
    {
        var order = TestData.Order(status: OrderStatus.Preparing, version: 5, statusVersion: 3);
        Assert.Equal(["order:updated"], Types(ChangeEventMapper.Map(Change(DocumentKind.Order, order))));
    }

    [Theory]
    [InlineData(OrderStatus.Pending, OrderStatus.Confirmed, null, new[] { "order:updated", "order:status", "notification:kitchen" })]
    [InlineData(OrderStatus.Confirmed, OrderStatus.Preparing, null, new[] { "order:updated", "order:status" })]
    [InlineData(OrderStatus.Preparing, OrderStatus.Ready, null, new[] { "order:updated", "order:status", "notification:customer" })]
    [InlineData(OrderStatus.Ready, OrderStatus.Served, null, new[] { "order:updated", "order:status" })]
    [InlineData(OrderStatus.Ready, OrderStatus.Completed, PaymentStatus.Paid, new[] { "order:updated", "order:status" })]
    [InlineData(OrderStatus.Preparing, OrderStatus.Cancelled, PaymentStatus.Paid, new[] { "order:updated", "order:status", "notification:refund" })]
    [InlineData(OrderStatus.Preparing, OrderStatus.Cancelled, PaymentStatus.Pending, new[] { "order:updated", "order:status" })]
    [InlineData(OrderStatus.Preparing, OrderStatus.Cancelled, null, new[] { "order:updated", "order:status" })]
    public void Status_changes_emit_order_status_and_the_seed_notification_hooks(OrderStatus from, OrderStatus to, PaymentStatus? paid, string[] expected)
    {
        var order = TestData.Order(status: to, previous: from, version: 4, statusVersion: 4, paymentStatus: paid);
        var events = ChangeEventMapper.Map(Change(DocumentKind.Order, order));
        Assert.Equal(expected, Types(events));
        Assert.All(events, e => Assert.Equal($"order:{order.Id:N}:v4:{e.Type}", e.Id));
        Assert.All(events, e => Assert.Equal(new EventScope(order.Id, "T5"), e.Scope));

        var status = events.Single(e => e.Type == "order:status").Data;
        Assert.Equal(order.Id, status.GetProperty("order_id").GetGuid());
        Assert.Equal(JsonSerializer.Serialize(to, RealtimeJsonContext.Default.OrderStatus).Trim('"'), status.GetProperty("status").GetString());
        Assert.Equal(JsonSerializer.Serialize(from, RealtimeJsonContext.Default.OrderStatus).Trim('"'), status.GetProperty("previous_status").GetString());

        if (events.Count == 3)
        {
            var n = events[2].Data.GetProperty("notification");
            Assert.Equal(order.Id, n.GetProperty("order_id").GetGuid());
            Assert.Equal("T5", n.GetProperty("table_number").GetString());
            Assert.Equal(events[2].Type["notification:".Length..], n.GetProperty("kind").GetString());
            Assert.Contains("1042", n.GetProperty("message").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Reading_the_same_change_twice_gives_identical_events()
    {
        var order = TestData.Order(status: OrderStatus.Ready, previous: OrderStatus.Preparing, version: 3);
        var change = Change(DocumentKind.Order, order);
        var first = ChangeEventMapper.Map(change);
        var second = ChangeEventMapper.Map(change);
        Assert.Equal(first.Select(e => (e.Id, e.Type, e.Data.GetRawText())), second.Select(e => (e.Id, e.Type, e.Data.GetRawText())));
    }

    [Theory]
    [InlineData(PaymentStatus.Paid, 1)]
    [InlineData(PaymentStatus.Refunded, 1)]
    [InlineData(PaymentStatus.Failed, 1)]
    [InlineData(PaymentStatus.Pending, 0)]
    public void Payments_emit_payment_processed_once_settled(PaymentStatus status, int count)
    {
        var payment = new Payment { Id = Guid.NewGuid(), RestaurantId = TestData.Restaurant, OrderId = Guid.NewGuid(), Amount = 2500, PaymentMethod = PaymentMethod.Card, PaymentStatus = status, CreatedAt = Committed };
        var events = ChangeEventMapper.Map(Change(DocumentKind.Payment, payment));
        Assert.Equal(count, events.Count);
        if (count == 1)
        {
            Assert.Equal("payment:processed", events[0].Type);
            Assert.Equal(new EventScope(payment.OrderId, null), events[0].Scope);
            Assert.StartsWith($"payment:{payment.Id:N}:", events[0].Id, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Tables_emit_table_updated_scoped_by_label()
    {
        var table = new Table { Id = Guid.NewGuid(), RestaurantId = TestData.Restaurant, Label = "T12", Status = TableStatus.Occupied, CurrentOrderId = Guid.NewGuid(), UpdatedAt = Committed, Version = 7 };
        var e = Assert.Single(ChangeEventMapper.Map(Change(DocumentKind.Table, table)));
        Assert.Equal("table:updated", e.Type);
        Assert.Equal($"table:{table.Id:N}:v7:table:updated", e.Id);
        Assert.Equal("T12", e.Scope.TableNumber);
    }

    [Theory]
    [InlineData(NotificationKind.Kitchen, "notification:kitchen")]
    [InlineData(NotificationKind.Customer, "notification:customer")]
    [InlineData(NotificationKind.Refund, "notification:refund")]
    public void Notifications_emit_their_kind(NotificationKind kind, string type)
    {
        var n = new Notification { Id = Guid.NewGuid(), RestaurantId = TestData.Restaurant, Kind = kind, OrderId = Guid.NewGuid(), TableNumber = "T3", Message = "m", CreatedAt = Committed };
        var e = Assert.Single(ChangeEventMapper.Map(Change(DocumentKind.Notification, n)));
        Assert.Equal(type, e.Type);
        Assert.Equal(new EventScope(n.OrderId, "T3"), e.Scope);
        Assert.Equal("m", e.Data.GetProperty("notification").GetProperty("message").GetString());
    }

    [Fact]
    public void A_document_of_another_restaurant_is_refused()
    {
        var order = TestData.Order(restaurant: Guid.NewGuid());
        Assert.Throws<InvalidDataException>(() => ChangeEventMapper.Map(Change(DocumentKind.Order, order, TestData.Restaurant)));
    }

    [Fact]
    public void An_unreadable_document_is_refused()
    {
        var change = new StoreChange("c", DocumentKind.Order, TestData.Restaurant, "d", JsonDocument.Parse("""{"id":"nope"}""").RootElement, Committed);
        Assert.Throws<InvalidDataException>(() => ChangeEventMapper.Map(change));
    }
}

public sealed class KdsBatcherTests
{
    private static readonly DateTimeOffset Now = new(2025, 11, 6, 10, 30, 0, TimeSpan.Zero);

    [Fact]
    public void Collapses_to_the_newest_version_per_order_and_one_event_per_restaurant()
    {
        var id = Guid.NewGuid();
        var other = Guid.NewGuid();
        var created = Now.AddMinutes(-12).AddSeconds(-59);
        var orders = new[]
        {
            TestData.Order(id: id, status: OrderStatus.Confirmed, version: 2, createdAt: created),
            TestData.Order(id: id, status: OrderStatus.Ready, version: 4, createdAt: created),
            TestData.Order(id: id, status: OrderStatus.Preparing, version: 3, createdAt: created),
            TestData.Order(restaurant: other, status: OrderStatus.Cancelled, version: 5, createdAt: Now.AddMinutes(1)),
        };

        var events = KdsBatcher.Build(orders, Now);
        Assert.Equal(2, events.Count);
        var mine = events.Single(e => e.RestaurantId == TestData.Restaurant);
        Assert.Equal("kds:update", mine.Type);
        Assert.Null(mine.Seq);
        Assert.Equal(Now, mine.Timestamp);
        var ticket = Assert.Single(mine.Data!.Value.GetProperty("orders").EnumerateArray());
        Assert.Equal("ready", ticket.GetProperty("status").GetString());
        Assert.Equal(4, ticket.GetProperty("version").GetInt32());
        Assert.Equal(12, ticket.GetProperty("prep_time").GetInt32());
        Assert.Equal("T5", ticket.GetProperty("table_number").GetString());
        Assert.False(ticket.TryGetProperty("total", out _));

        var theirs = events.Single(e => e.RestaurantId == other);
        var cancelled = Assert.Single(theirs.Data!.Value.GetProperty("orders").EnumerateArray());
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        Assert.Equal(0, cancelled.GetProperty("prep_time").GetInt32());
    }

    [Fact]
    public void The_batch_id_is_deterministic_and_changes_with_versions()
    {
        var id = Guid.NewGuid();
        var a = KdsBatcher.Build([TestData.Order(id: id, version: 2)], Now).Single().Id;
        var b = KdsBatcher.Build([TestData.Order(id: id, version: 2)], Now.AddSeconds(5)).Single().Id;
        var c = KdsBatcher.Build([TestData.Order(id: id, version: 3)], Now).Single().Id;
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.StartsWith($"kds:{TestData.Restaurant:N}:", a, StringComparison.Ordinal);
    }

    [Fact]
    public void Tickets_are_ordered_oldest_first_and_no_orders_means_no_events()
    {
        var late = TestData.Order(createdAt: Now.AddMinutes(-1));
        var early = TestData.Order(createdAt: Now.AddMinutes(-20));
        var tickets = KdsBatcher.Build([late, early], Now).Single().Data!.Value.GetProperty("orders").EnumerateArray().Select(t => t.GetProperty("id").GetGuid());
        Assert.Equal([early.Id, late.Id], tickets);
        Assert.Empty(KdsBatcher.Build([], Now));
    }
}
