using System.Text.Json.Serialization;

namespace RestaurantOs.Realtime.Contracts;

[JsonConverter(typeof(WireEnumConverter<OrderStatus>))]
public enum OrderStatus
{
    [JsonStringEnumMemberName("new")] New,
    [JsonStringEnumMemberName("pending")] Pending,
    [JsonStringEnumMemberName("confirmed")] Confirmed,
    [JsonStringEnumMemberName("preparing")] Preparing,
    [JsonStringEnumMemberName("ready")] Ready,
    [JsonStringEnumMemberName("served")] Served,
    [JsonStringEnumMemberName("picked-up")] PickedUp,
    [JsonStringEnumMemberName("completed")] Completed,
    [JsonStringEnumMemberName("cancelled")] Cancelled,
}

[JsonConverter(typeof(WireEnumConverter<OrderType>))]
public enum OrderType
{
    [JsonStringEnumMemberName("dine-in")] DineIn,
    [JsonStringEnumMemberName("takeout")] Takeout,
    [JsonStringEnumMemberName("delivery")] Delivery,
    [JsonStringEnumMemberName("online")] Online,
    [JsonStringEnumMemberName("drive-thru")] DriveThru,
    [JsonStringEnumMemberName("kiosk")] Kiosk,
    [JsonStringEnumMemberName("voice")] Voice,
}

[JsonConverter(typeof(WireEnumConverter<PaymentMethod>))]
public enum PaymentMethod
{
    [JsonStringEnumMemberName("cash")] Cash,
    [JsonStringEnumMemberName("card")] Card,
    [JsonStringEnumMemberName("house_account")] HouseAccount,
    [JsonStringEnumMemberName("gift_card")] GiftCard,
    [JsonStringEnumMemberName("other")] Other,
}

[JsonConverter(typeof(WireEnumConverter<PaymentStatus>))]
public enum PaymentStatus
{
    [JsonStringEnumMemberName("pending")] Pending,
    [JsonStringEnumMemberName("paid")] Paid,
    [JsonStringEnumMemberName("refunded")] Refunded,
    [JsonStringEnumMemberName("failed")] Failed,
}

[JsonConverter(typeof(WireEnumConverter<TableStatus>))]
public enum TableStatus
{
    [JsonStringEnumMemberName("available")] Available,
    [JsonStringEnumMemberName("occupied")] Occupied,
    [JsonStringEnumMemberName("reserved")] Reserved,
    [JsonStringEnumMemberName("unavailable")] Unavailable,
    [JsonStringEnumMemberName("cleaning")] Cleaning,
    [JsonStringEnumMemberName("paid")] Paid,
}

[JsonConverter(typeof(WireEnumConverter<NotificationKind>))]
public enum NotificationKind
{
    [JsonStringEnumMemberName("kitchen")] Kitchen,
    [JsonStringEnumMemberName("customer")] Customer,
    [JsonStringEnumMemberName("refund")] Refund,
}

/// <summary>One line of an order. Money is integer cents.</summary>
public sealed record OrderItem
{
    public required string Id { get; init; }
    public string? MenuItemId { get; init; }
    public required string Name { get; init; }
    public required int Quantity { get; init; }
    public required long Price { get; init; }
    public IReadOnlyList<string> Modifiers { get; init; } = [];
    public string? SpecialInstructions { get; init; }
}

/// <summary>
/// An order as stored and as sent in <c>order:created</c>/<c>order:updated</c>. <see cref="Version"/> starts
/// at 1 and grows by one with every committed change; clients keep the highest version they have seen.
/// </summary>
public sealed record Order
{
    public required Guid Id { get; init; }
    public required Guid RestaurantId { get; init; }
    public required string OrderNumber { get; init; }
    public OrderType Type { get; init; } = OrderType.DineIn;
    public OrderStatus Status { get; init; } = OrderStatus.Pending;
    /// <summary>The status before the last status change; lets a change-feed reader emit <c>order:status</c>.</summary>
    public OrderStatus? PreviousStatus { get; init; }
    /// <summary>The <see cref="Version"/> at which <see cref="Status"/> last changed (1 at creation).</summary>
    public int StatusVersion { get; init; } = 1;
    public IReadOnlyList<OrderItem> Items { get; init; } = [];
    public long Subtotal { get; init; }
    public long Tax { get; init; }
    public long Tip { get; init; }
    public long Total { get; init; }
    public string? TableNumber { get; init; }
    public int? SeatNumber { get; init; }
    public string? CustomerName { get; init; }
    public string? Notes { get; init; }
    public PaymentStatus? PaymentStatus { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public required int Version { get; init; }
}

public sealed record Payment
{
    public required Guid Id { get; init; }
    public required Guid RestaurantId { get; init; }
    public required Guid OrderId { get; init; }
    public required long Amount { get; init; }
    public required PaymentMethod PaymentMethod { get; init; }
    public required PaymentStatus PaymentStatus { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>A table of the floor plan. Coordinates are the floor plan's units.</summary>
public sealed record Table
{
    public required Guid Id { get; init; }
    public required Guid RestaurantId { get; init; }
    public required string Label { get; init; }
    public int Seats { get; init; }
    public TableStatus Status { get; init; } = TableStatus.Available;
    public Guid? CurrentOrderId { get; init; }
    public double X { get; init; }
    public double Y { get; init; }
    public double Width { get; init; }
    public double Height { get; init; }
    public double Rotation { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public required int Version { get; init; }
}

public sealed record Notification
{
    public required Guid Id { get; init; }
    public required Guid RestaurantId { get; init; }
    public required NotificationKind Kind { get; init; }
    public Guid? OrderId { get; init; }
    public string? TableNumber { get; init; }
    public required string Message { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}
