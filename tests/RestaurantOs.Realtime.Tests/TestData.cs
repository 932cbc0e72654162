using RestaurantOs.Realtime.Contracts;

namespace RestaurantOs.Realtime.Tests;

internal static class TestData
{
    public static readonly Guid Restaurant = Guid.Parse("11111111-1111-1111-1111-111111111111");

    public static Order Order(
        Guid? id = null,
        Guid? restaurant = null,
        OrderStatus status = OrderStatus.Pending,
        int version = 1,
        int? statusVersion = null,
        OrderStatus? previous = null,
        DateTimeOffset? createdAt = null,
        string? table = "T5",
        PaymentStatus? paymentStatus = null) => new()
    {
        Id = id ?? Guid.NewGuid(),
        RestaurantId = restaurant ?? Restaurant,
        OrderNumber = "1042",
        Status = status,
        PreviousStatus = previous,
        StatusVersion = statusVersion ?? version,
        Items =
        [
            new OrderItem { Id = "i1", MenuItemId = "m1", Name = "Burger", Quantity = 2, Price = 1000, Modifiers = ["no onion"], SpecialInstructions = "well done" },
        ],
        Subtotal = 2000,
        Tax = 300,
        Tip = 200,
        Total = 2500,
        TableNumber = table,
        SeatNumber = 2,
        PaymentStatus = paymentStatus,
        CreatedAt = createdAt ?? new DateTimeOffset(2025, 11, 6, 10, 0, 0, TimeSpan.Zero),
        UpdatedAt = createdAt ?? new DateTimeOffset(2025, 11, 6, 10, 0, 0, TimeSpan.Zero),
        Version = version,
    };
}
