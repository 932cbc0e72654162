using RestaurantOs.Realtime.Contracts;

namespace RestaurantOs.Realtime.Services;

// HTTP request bodies (snake_case on the wire). Nullable members are optional; validation lives in the services.

public sealed record OrderItemRequest
{
    public string? Id { get; init; }
    public string? MenuItemId { get; init; }
    public string? Name { get; init; }
    public int Quantity { get; init; }
    public long Price { get; init; }
    public IReadOnlyList<string>? Modifiers { get; init; }
    public string? SpecialInstructions { get; init; }
}

public sealed record CreateOrderRequest
{
    /// <summary>Optional client-chosen id: retrying a create with the same id never makes a second order.</summary>
    public Guid? Id { get; init; }
    /// <summary>Optional; when present it must be the token's restaurant.</summary>
    public Guid? RestaurantId { get; init; }
    public string? OrderNumber { get; init; }
    public OrderType? Type { get; init; }
    /// <summary><c>new</c> or <c>pending</c> (the default).</summary>
    public OrderStatus? Status { get; init; }
    public IReadOnlyList<OrderItemRequest>? Items { get; init; }
    public long Tax { get; init; }
    public long Tip { get; init; }
    public string? TableNumber { get; init; }
    public int? SeatNumber { get; init; }
    public string? CustomerName { get; init; }
    public string? Notes { get; init; }
}

/// <summary>Changes details of an order; status changes go through the status endpoint.</summary>
public sealed record PatchOrderRequest
{
    public int? ExpectedVersion { get; init; }
    public Guid? RestaurantId { get; init; }
    public IReadOnlyList<OrderItemRequest>? Items { get; init; }
    public long? Tax { get; init; }
    public long? Tip { get; init; }
    public string? TableNumber { get; init; }
    public int? SeatNumber { get; init; }
    public string? CustomerName { get; init; }
    public string? Notes { get; init; }
}

public sealed record StatusChangeRequest
{
    public OrderStatus? Status { get; init; }
    /// <summary>Optional optimistic-concurrency guard; without it the change applies to the current version.</summary>
    public int? ExpectedVersion { get; init; }
    public Guid? RestaurantId { get; init; }
}

public sealed record PaymentRequest
{
    public Guid? Id { get; init; }
    public Guid? RestaurantId { get; init; }
    public long Amount { get; init; }
    public PaymentMethod? PaymentMethod { get; init; }
    /// <summary>Defaults to <c>paid</c>.</summary>
    public PaymentStatus? PaymentStatus { get; init; }
}

public sealed record PutTableRequest
{
    public Guid? RestaurantId { get; init; }
    public string? Label { get; init; }
    public int Seats { get; init; }
    public TableStatus? Status { get; init; }
    public Guid? CurrentOrderId { get; init; }
    public double X { get; init; }
    public double Y { get; init; }
    public double Width { get; init; }
    public double Height { get; init; }
    public double Rotation { get; init; }
    /// <summary>Null creates the table (409 if it exists); a number replaces that version.</summary>
    public int? ExpectedVersion { get; init; }
}

public sealed record NotificationRequest
{
    public Guid? RestaurantId { get; init; }
    public NotificationKind? Kind { get; init; }
    public Guid? OrderId { get; init; }
    public string? TableNumber { get; init; }
    public string? Message { get; init; }
}
