using System.Text.Json;
using RestaurantOs.Realtime.Contracts;

namespace RestaurantOs.Storage.Tests;

/// <summary>Builders for valid documents; every call makes fresh ids unless given.</summary>
internal static class Samples
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    public static Order Order(Guid restaurantId, Guid? id = null, OrderStatus status = OrderStatus.Pending, DateTimeOffset? createdAt = null, string number = "A-1") => new()
    {
        Id = id ?? Guid.NewGuid(),
        RestaurantId = restaurantId,
        OrderNumber = number,
        Type = OrderType.DineIn,
        Status = status,
        Items =
        [
            new OrderItem { Id = "i1", MenuItemId = "m1", Name = "Soup", Quantity = 2, Price = 650, Modifiers = ["no salt"], SpecialInstructions = "hot" },
        ],
        Subtotal = 1300,
        Tax = 104,
        Total = 1404,
        TableNumber = "12",
        CreatedAt = createdAt ?? T0,
        UpdatedAt = createdAt ?? T0,
        Version = 1,
    };

    /// <summary>The next version of an order with a new status, as a service would write it.</summary>
    public static Order Next(Order order, OrderStatus status) => order with
    {
        PreviousStatus = order.Status,
        Status = status,
        StatusVersion = order.Version + 1,
        UpdatedAt = order.UpdatedAt.AddMinutes(1),
        Version = order.Version + 1,
    };

    public static Table Table(Guid restaurantId, string label = "T1", Guid? id = null) => new()
    {
        Id = id ?? Guid.NewGuid(),
        RestaurantId = restaurantId,
        Label = label,
        Seats = 4,
        X = 10.5,
        Y = 20,
        Width = 3,
        Height = 2,
        UpdatedAt = T0,
        Version = 1,
    };

    public static Payment Payment(Guid restaurantId, Guid orderId, long amount = 1404, DateTimeOffset? createdAt = null) => new()
    {
        Id = Guid.NewGuid(),
        RestaurantId = restaurantId,
        OrderId = orderId,
        Amount = amount,
        PaymentMethod = PaymentMethod.Card,
        PaymentStatus = PaymentStatus.Paid,
        CreatedAt = createdAt ?? T0,
    };

    public static Notification Notification(Guid restaurantId, Guid? orderId = null) => new()
    {
        Id = Guid.NewGuid(),
        RestaurantId = restaurantId,
        Kind = NotificationKind.Kitchen,
        OrderId = orderId,
        TableNumber = "12",
        Message = "Table 12 needs attention",
        CreatedAt = T0,
    };

    public static NewEvent Event(Guid restaurantId, string? id = null, string type = EventTypes.OrderCreated, Guid? orderId = null)
    {
        var oid = orderId ?? Guid.NewGuid();
        var data = JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["order_id"] = oid.ToString() }, TestJsonContext.Default.DictionaryStringString);
        return new NewEvent(id ?? $"order:{oid}:1", restaurantId, type, data, T0, new EventScope(oid, "12"));
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class TestJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
