using System.Collections.Frozen;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Contracts;

namespace RestaurantOs.Realtime.Services;

/// <summary>The HTTP operations that are authorized by role (the rows of the table in docs/api.md).</summary>
public enum HttpOperation
{
    ReadOrders,
    WriteOrders,
    ChangeStatus,
    TakePayment,
    ReadTables,
    WriteTables,
    SendKitchenNotification,
    SendCustomerNotification,
    SendRefundNotification,
    ReadEvents,
    ReadPresence,
}

/// <summary>
/// Which roles may call which HTTP operation: the one table the services consult (documented in docs/api.md, where
/// each row says why). The rule that shapes it: over HTTP a role may read what it would receive over the WebSocket
/// and create only the kinds of documents it would be sent, so the two tables cannot drift apart silently
/// (a test checks every cell through real HTTP against the documented table).
/// </summary>
public static class HttpAccess
{
    private static readonly Role[] Everyone = [.. RoleNames.All];
    private static readonly Role[] Staff = [.. RoleNames.All.Where(r => r != Role.Customer)];
    private static readonly Role[] BackOffice = [Role.Owner, Role.Manager, Role.Service];

    private static readonly FrozenDictionary<HttpOperation, FrozenSet<Role>> Table = new Dictionary<HttpOperation, Role[]>
    {
        // Customers read only the orders in their token; the services narrow that.
        [HttpOperation.ReadOrders] = Everyone,
        [HttpOperation.ReadEvents] = Everyone,
        // Front of house takes and edits orders; the kitchen cooks them.
        [HttpOperation.WriteOrders] = [.. BackOffice, Role.Server, Role.Cashier],
        // Everyone who works an order moves it along (the lifecycle decides which moves are legal).
        [HttpOperation.ChangeStatus] = Staff,
        // Whoever receives payment:processed and works the floor or the till; never the kitchen.
        [HttpOperation.TakePayment] = [.. BackOffice, Role.Server, Role.Cashier],
        // Exactly the roles that receive table:updated.
        [HttpOperation.ReadTables] = [.. BackOffice, Role.Server, Role.Cashier, Role.Expo],
        [HttpOperation.WriteTables] = [.. BackOffice, Role.Server],
        // A role sends only the notification kinds it receives itself, and customers send none.
        [HttpOperation.SendKitchenNotification] = [.. BackOffice, Role.Server, Role.Kitchen, Role.Expo],
        [HttpOperation.SendCustomerNotification] = [.. BackOffice, Role.Server],
        [HttpOperation.SendRefundNotification] = [.. BackOffice, Role.Server, Role.Cashier],
        // Exactly the roles that receive presence:updated and station:alert.
        [HttpOperation.ReadPresence] = [.. BackOffice, Role.Expo],
    }.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToFrozenSet());

    /// <summary>True when <paramref name="role"/> may call <paramref name="operation"/>. Throws for an unknown operation.</summary>
    public static bool Allows(Role role, HttpOperation operation) =>
        Table.TryGetValue(operation, out var roles)
            ? roles.Contains(role)
            : throw new ArgumentOutOfRangeException(nameof(operation), operation, "Unknown HTTP operation.");

    /// <summary>The operation that sending a notification of <paramref name="kind"/> is.</summary>
    public static HttpOperation SendNotification(NotificationKind kind) => kind switch
    {
        NotificationKind.Kitchen => HttpOperation.SendKitchenNotification,
        NotificationKind.Customer => HttpOperation.SendCustomerNotification,
        NotificationKind.Refund => HttpOperation.SendRefundNotification,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown notification kind."),
    };
}
