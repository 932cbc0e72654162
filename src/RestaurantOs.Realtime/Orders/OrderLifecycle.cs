using RestaurantOs.Realtime.Contracts;

namespace RestaurantOs.Realtime.Orders;

/// <summary>
/// The order status machine of the seed app: new→pending→confirmed→preparing→ready, ready→served|picked-up|completed,
/// served|picked-up→completed; cancelled from any status that is not final. Completed and cancelled are final;
/// no status moves to itself.
/// </summary>
public static class OrderLifecycle
{
    public static bool CanTransition(OrderStatus from, OrderStatus to) => (from, to) switch
    {
        _ when IsFinal(from) || from == to => false,
        (_, OrderStatus.Cancelled) => true,
        (OrderStatus.New, OrderStatus.Pending) => true,
        (OrderStatus.Pending, OrderStatus.Confirmed) => true,
        (OrderStatus.Confirmed, OrderStatus.Preparing) => true,
        (OrderStatus.Preparing, OrderStatus.Ready) => true,
        (OrderStatus.Ready, OrderStatus.Served or OrderStatus.PickedUp or OrderStatus.Completed) => true,
        (OrderStatus.Served or OrderStatus.PickedUp, OrderStatus.Completed) => true,
        _ => false,
    };

    public static bool IsFinal(OrderStatus s) => s is OrderStatus.Completed or OrderStatus.Cancelled;

    public static bool IsActive(OrderStatus s) => !IsFinal(s);

    /// <summary>
    /// The next version of <paramref name="current"/> with status <paramref name="next"/>: Version+1,
    /// PreviousStatus = the old status, StatusVersion = the new version, UpdatedAt = <paramref name="now"/>.
    /// Throws <see cref="InvalidOperationException"/> for an illegal transition (check <see cref="CanTransition"/> first).
    /// </summary>
    public static Order ApplyStatus(Order current, OrderStatus next, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(current);
        if (!CanTransition(current.Status, next))
        {
            throw new InvalidOperationException($"An order cannot move from '{current.Status}' to '{next}'.");
        }

        var version = current.Version + 1;
        return current with
        {
            Status = next,
            PreviousStatus = current.Status,
            StatusVersion = version,
            Version = version,
            UpdatedAt = now,
        };
    }
}
