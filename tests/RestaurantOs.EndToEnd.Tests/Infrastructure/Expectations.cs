using System.Text.Json;

namespace RestaurantOs.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The delivery rules as the protocol documents them, written out independently of the routing code so the tests
/// check the system against the documentation rather than against itself.
/// </summary>
internal static class Expectations
{
    public const string OrderCreated = "order:created";
    public const string OrderUpdated = "order:updated";
    public const string OrderStatus = "order:status";
    public const string PaymentProcessed = "payment:processed";
    public const string KdsUpdate = "kds:update";
    public const string TableUpdated = "table:updated";
    public const string NotificationKitchen = "notification:kitchen";
    public const string NotificationCustomer = "notification:customer";
    public const string NotificationRefund = "notification:refund";

    public static readonly string[] AllBroadcast =
    [
        OrderCreated, OrderUpdated, OrderStatus, PaymentProcessed, KdsUpdate, TableUpdated,
        NotificationKitchen, NotificationCustomer, NotificationRefund,
    ];

    private static readonly string[] Orders = [OrderCreated, OrderUpdated, OrderStatus];

    /// <summary>Which event types each role may receive (docs/events.md, permission table).</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Permissions = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["owner"] = AllBroadcast,
        ["manager"] = AllBroadcast,
        ["service"] = AllBroadcast,
        ["server"] = AllBroadcast,
        ["cashier"] = [.. Orders, PaymentProcessed, TableUpdated, NotificationRefund],
        ["kitchen"] = [.. Orders, KdsUpdate, NotificationKitchen],
        ["expo"] = [.. Orders, KdsUpdate, TableUpdated, NotificationKitchen],
        ["customer"] = [.. Orders, PaymentProcessed, NotificationCustomer],
    };
}

/// <summary>One subscription: an event, optionally limited to a table.</summary>
internal sealed record Sub(string Event, string? Table = null);

/// <summary>A connection of a delivery test: who it is and what it subscribed to (null = the default: everything its role allows).</summary>
internal sealed record ConnectionSpec(string Name, string Role, Guid RestaurantId, Guid[] OrderIds, IReadOnlyList<Sub>? Subscriptions)
{
    public bool ShouldReceive(ObservedEvent e)
    {
        if (e.RestaurantId != RestaurantId || !Expectations.Permissions[Role].Contains(e.Type, StringComparer.Ordinal))
        {
            return false;
        }

        if (Role == "customer")
        {
            // Customers see only the orders in their token, and filters never widen that.
            return e.OrderId is { } order && OrderIds.Contains(order);
        }

        return Subscriptions is null || Subscriptions.Any(s => s.Event == e.Type && (s.Table is null || s.Table == e.Table));
    }
}

/// <summary>A broadcast event as a client saw it, with the routing facts read from its data.</summary>
internal sealed record ObservedEvent(string Id, string Type, Guid RestaurantId, long? Seq, Guid? OrderId, string? Table)
{
    /// <summary>Reads the routing facts from the event's data; <paramref name="orderTables"/> supplies the table of order:status events (their data has no table).</summary>
    public static ObservedEvent From(WsMessage m, IReadOnlyDictionary<Guid, string?> orderTables)
    {
        Assert.False(string.IsNullOrEmpty(m.Id), $"broadcast event without id: {m}");
        Assert.True(m.RestaurantId is not null, $"broadcast event without restaurant_id: {m}");
        var data = m.Data;
        Guid? order = null;
        string? table = null;
        switch (m.Type)
        {
            case Expectations.OrderCreated or Expectations.OrderUpdated:
                order = data.GetProperty("order").GetProperty("id").GetGuid();
                table = StringOrNull(data.GetProperty("order"), "table_number");
                break;
            case Expectations.OrderStatus:
                order = data.GetProperty("order_id").GetGuid();
                table = orderTables.GetValueOrDefault(order.Value);
                break;
            case Expectations.PaymentProcessed:
                order = data.GetProperty("payment").GetProperty("order_id").GetGuid();
                break;
            case Expectations.TableUpdated:
                table = StringOrNull(data.GetProperty("table"), "label");
                order = GuidOrNull(data.GetProperty("table"), "current_order_id");
                break;
            case Expectations.NotificationKitchen or Expectations.NotificationCustomer or Expectations.NotificationRefund:
                order = GuidOrNull(data.GetProperty("notification"), "order_id");
                table = StringOrNull(data.GetProperty("notification"), "table_number");
                break;
            case Expectations.KdsUpdate:
                break;
            default:
                Assert.Fail($"unexpected event type: {m}");
                break;
        }

        return new ObservedEvent(m.Id!, m.Type, m.RestaurantId!.Value, m.Seq, order, table);
    }

    public static bool IsBroadcast(WsMessage m) => Expectations.AllBroadcast.Contains(m.Type, StringComparer.Ordinal);

    private static string? StringOrNull(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static Guid? GuidOrNull(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetGuid() : null;
}
