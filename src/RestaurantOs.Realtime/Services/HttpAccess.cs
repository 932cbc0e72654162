using RestaurantOs.Realtime.Auth;

namespace RestaurantOs.Realtime.Services;

/// <summary>Which roles may call which HTTP operation (the table is in docs/events.md).</summary>
public enum HttpOperation
{
    ReadOrders,
    WriteOrders,
    ChangeStatus,
    TakePayment,
    ReadTables,
    WriteTables,
    SendNotification,
    ReadEvents,
}

public static class HttpAccess
{
    public static bool Allows(Role role, HttpOperation operation) => operation switch
    {
        HttpOperation.ReadOrders or HttpOperation.ReadEvents => true, // customers are narrowed to their own orders
        HttpOperation.WriteOrders => role is Role.Owner or Role.Manager or Role.Server or Role.Cashier or Role.Service,
        HttpOperation.ChangeStatus => role is not Role.Customer,
        HttpOperation.TakePayment => role is Role.Owner or Role.Manager or Role.Server or Role.Cashier or Role.Service,
        HttpOperation.ReadTables => role is not Role.Customer,
        HttpOperation.WriteTables => role is Role.Owner or Role.Manager or Role.Server or Role.Service,
        HttpOperation.SendNotification => role is not Role.Customer,
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, "Unknown HTTP operation."),
    };
}
