namespace RestaurantOs.Realtime.Contracts;

/// <summary>
/// The <c>type</c> of every server-to-client message. The first group are the seed's events (broadcast,
/// routed to groups by the routing functions); the second group are replies to one connection.
/// </summary>
public static class EventTypes
{
    // Broadcast events: each has a per-restaurant seq (except kds:update, a derived batch, and the presence events).
    public const string OrderCreated = "order:created";
    public const string OrderUpdated = "order:updated";
    public const string OrderStatus = "order:status";
    public const string PaymentProcessed = "payment:processed";
    public const string KdsUpdate = "kds:update";
    public const string TableUpdated = "table:updated";
    public const string NotificationKitchen = "notification:kitchen";
    public const string NotificationCustomer = "notification:customer";
    public const string NotificationRefund = "notification:refund";

    // Presence (no seq, not in history: the current state is GET /api/presence).
    public const string PresenceUpdated = "presence:updated";
    public const string StationAlert = "station:alert";

    // Replies sent to a single connection.
    public const string Connected = "connected";
    public const string Authenticated = "authenticated";
    public const string Subscribed = "subscribed";
    public const string Unsubscribed = "unsubscribed";
    public const string Pong = "pong";
    public const string Replay = "replay";
    public const string Resync = "resync";
    public const string Error = "error";

    /// <summary>Every broadcast event type a client may name in <c>subscribe</c>/<c>unsubscribe</c>.</summary>
    public static readonly IReadOnlyList<string> Broadcast =
    [
        OrderCreated, OrderUpdated, OrderStatus, PaymentProcessed, KdsUpdate, TableUpdated,
        NotificationKitchen, NotificationCustomer, NotificationRefund, PresenceUpdated, StationAlert,
    ];

    private static readonly HashSet<string> BroadcastSet = new(Broadcast, StringComparer.Ordinal);

    public static bool IsBroadcast(string? type) => type is not null && BroadcastSet.Contains(type);
}
