using System.Collections.Frozen;
using RestaurantOs.Realtime.Contracts;

namespace RestaurantOs.Realtime.Auth;

/// <summary>
/// Which broadcast event types each role may receive (the table in docs/events.md). Customers additionally see
/// only events of the orders in their token; that scoping is enforced by the routing groups.
/// Kitchen roles never receive <c>payment:processed</c> or <c>notification:refund</c>. Presence events go to the roles
/// that watch the screens: owner, manager, service and expo (the pass sees when a station drops).
/// </summary>
public static class RolePermissions
{
    private static readonly string[] Orders = [EventTypes.OrderCreated, EventTypes.OrderUpdated, EventTypes.OrderStatus];

    private static readonly FrozenDictionary<Role, IReadOnlyList<string>> Table = new Dictionary<Role, IReadOnlyList<string>>
    {
        [Role.Owner] = EventTypes.Broadcast,
        [Role.Manager] = EventTypes.Broadcast,
        [Role.Service] = EventTypes.Broadcast,
        [Role.Server] =
        [
            .. Orders, EventTypes.PaymentProcessed, EventTypes.KdsUpdate, EventTypes.TableUpdated,
            EventTypes.NotificationKitchen, EventTypes.NotificationCustomer, EventTypes.NotificationRefund,
        ],
        [Role.Cashier] = [.. Orders, EventTypes.PaymentProcessed, EventTypes.TableUpdated, EventTypes.NotificationRefund],
        [Role.Kitchen] = [.. Orders, EventTypes.KdsUpdate, EventTypes.NotificationKitchen],
        [Role.Expo] =
        [
            .. Orders, EventTypes.KdsUpdate, EventTypes.TableUpdated, EventTypes.NotificationKitchen,
            EventTypes.PresenceUpdated, EventTypes.StationAlert,
        ],
        [Role.Customer] = [.. Orders, EventTypes.PaymentProcessed, EventTypes.NotificationCustomer],
    }.ToFrozenDictionary();

    /// <summary>The event types <paramref name="role"/> may receive, in <see cref="EventTypes.Broadcast"/> order.</summary>
    public static IReadOnlyList<string> AllowedEvents(Role role) =>
        Table.TryGetValue(role, out var events) ? events : throw new ArgumentOutOfRangeException(nameof(role), role, "Unknown role.");

    /// <summary>True when <paramref name="role"/> may receive <paramref name="eventType"/>; false for replies and unknown types.</summary>
    public static bool CanReceive(Role role, string eventType) => AllowedEvents(role).Contains(eventType, StringComparer.Ordinal);

    /// <summary>True for roles that see only the orders listed in their token.</summary>
    public static bool IsOrderScoped(Role role) => role == Role.Customer;
}
