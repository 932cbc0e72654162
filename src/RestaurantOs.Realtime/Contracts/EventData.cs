namespace RestaurantOs.Realtime.Contracts;

// The `data` member of each event, exactly as the seed's examples shape it (snake_case on the wire).

public sealed record OrderEventData(Order Order);

public sealed record OrderStatusEventData(Guid OrderId, OrderStatus Status, OrderStatus? PreviousStatus, int Version);

public sealed record PaymentEventData(Payment Payment);

public sealed record TableEventData(Table Table);

public sealed record NotificationEventData(Notification Notification);

/// <summary>One ticket of a <c>kds:update</c>; <c>prep_time</c> is whole minutes since the order was created.</summary>
public sealed record KdsOrder
{
    public required Guid Id { get; init; }
    public required string OrderNumber { get; init; }
    public required OrderStatus Status { get; init; }
    public IReadOnlyList<OrderItem> Items { get; init; } = [];
    public required int PrepTime { get; init; }
    public string? TableNumber { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required int Version { get; init; }
}

public sealed record KdsUpdateEventData(IReadOnlyList<KdsOrder> Orders);

public sealed record ErrorEventData(string Code, string Message);

/// <summary>Data of <c>connected</c> and <c>authenticated</c>: who the server thinks this connection is.</summary>
public sealed record ConnectedEventData(string? ConnectionId, bool Authenticated, string? UserId, string? Role, Guid? RestaurantId, int AuthTimeoutSeconds);

public sealed record SubscriptionAckData(IReadOnlyList<string> Events, IReadOnlyDictionary<string, string>? Filters, IReadOnlyList<string> Active);

public sealed record PongData(long? ServerTime);

/// <summary>Reply to <c>resume</c>: the missed events in <c>seq</c> order, and the newest seq at the time of the read.</summary>
public sealed record ReplayData(long Since, long LatestSeq, IReadOnlyList<RealtimeEvent> Events);

/// <summary>
/// One page of history over HTTP (<c>GET /api/events</c>), sent as a <c>replay</c>: the visible events after
/// <paramref name="Since"/>, <paramref name="Next"/> (the <c>since</c> of the following page: the last seq read, visible
/// or not) and <paramref name="HasMore"/> (whether to ask for it).
/// </summary>
public sealed record HistoryPageData(long Since, long LatestSeq, IReadOnlyList<RealtimeEvent> Events, long Next, bool HasMore);

/// <summary>Reply to <c>resume</c> when history no longer reaches back: reload snapshots over HTTP.</summary>
public sealed record ResyncData(long Since, long LatestSeq, string Reason);
