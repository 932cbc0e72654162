using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Protocol;

namespace RestaurantOs.Storage.Internal;

/// <summary>
/// What the generic stores need to know about one document kind: its JSON (the source-generated snake_case
/// contract, identical in SQLite, Cosmos and on the wire) and the fields stores index.
/// </summary>
internal sealed class DocumentType<T>
    where T : class
{
    public required DocumentKind Kind { get; init; }

    /// <summary>The SQLite table and the Cosmos container.</summary>
    public required string Collection { get; init; }

    public required JsonTypeInfo<T> JsonType { get; init; }

    public required Func<T, Guid> RestaurantId { get; init; }

    public required Func<T, Guid> Id { get; init; }

    public required Func<T, int> Version { get; init; }

    /// <summary>An indexed status string (order/table status, payment status, notification kind).</summary>
    public required Func<T, string?> Status { get; init; }

    /// <summary>The order a payment or notification belongs to.</summary>
    public Func<T, Guid?> OrderId { get; init; } = static _ => null;

    /// <summary>Sort key for lists (unix ms): creation time, or the label order for tables.</summary>
    public required Func<T, long> SortKey { get; init; }

    public string KindName => DocumentKinds.Name(Kind);

    public byte[] Serialize(T document) => JsonSerializer.SerializeToUtf8Bytes(document, JsonType);

    public T Deserialize(string json) =>
        JsonSerializer.Deserialize(json, JsonType) ?? throw new InvalidDataException($"A stored {KindName} document is JSON null.");

    public T Deserialize(JsonElement json) =>
        json.Deserialize(JsonType) ?? throw new InvalidDataException($"A stored {KindName} document is JSON null.");
}

internal static class DocumentKinds
{
    public const string Order = "order";
    public const string Table = "table";
    public const string Payment = "payment";
    public const string Notification = "notification";

    public static string Name(DocumentKind kind) => kind switch
    {
        DocumentKind.Order => Order,
        DocumentKind.Table => Table,
        DocumentKind.Payment => Payment,
        DocumentKind.Notification => Notification,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown document kind."),
    };

    public static bool TryParse(string? name, out DocumentKind kind)
    {
        switch (name)
        {
            case Order: kind = DocumentKind.Order; return true;
            case Table: kind = DocumentKind.Table; return true;
            case Payment: kind = DocumentKind.Payment; return true;
            case Notification: kind = DocumentKind.Notification; return true;
            default: kind = default; return false;
        }
    }

    /// <summary>
    /// The change id: kind, document id and version. Stable across re-reads of the same change and across
    /// implementations, so event ids derived from it make history appends idempotent.
    /// </summary>
    public static string ChangeId(DocumentKind kind, string documentId, long version) =>
        string.Create(CultureInfo.InvariantCulture, $"{Name(kind)}:{documentId}:{version}");

    public static string IdText(Guid id) => id.ToString("D", CultureInfo.InvariantCulture);

    public static readonly DocumentType<Order> Orders = new()
    {
        Kind = DocumentKind.Order,
        Collection = "orders",
        JsonType = RealtimeJsonContext.Default.Order,
        RestaurantId = static o => o.RestaurantId,
        Id = static o => o.Id,
        Version = static o => o.Version,
        Status = static o => EnumText(o.Status, RealtimeJsonContext.Default.OrderStatus),
        SortKey = static o => o.CreatedAt.ToUnixTimeMilliseconds(),
    };

    public static readonly DocumentType<Table> Tables = new()
    {
        Kind = DocumentKind.Table,
        Collection = "tables",
        JsonType = RealtimeJsonContext.Default.Table,
        RestaurantId = static t => t.RestaurantId,
        Id = static t => t.Id,
        Version = static t => t.Version,
        Status = static t => EnumText(t.Status, RealtimeJsonContext.Default.TableStatus),
        SortKey = static _ => 0,
    };

    public static readonly DocumentType<Payment> Payments = new()
    {
        Kind = DocumentKind.Payment,
        Collection = "payments",
        JsonType = RealtimeJsonContext.Default.Payment,
        RestaurantId = static p => p.RestaurantId,
        Id = static p => p.Id,
        // Payments are immutable records: every stored payment is version 1.
        Version = static _ => 1,
        Status = static p => EnumText(p.PaymentStatus, RealtimeJsonContext.Default.PaymentStatus),
        OrderId = static p => p.OrderId,
        SortKey = static p => p.CreatedAt.ToUnixTimeMilliseconds(),
    };

    public static readonly DocumentType<Notification> Notifications = new()
    {
        Kind = DocumentKind.Notification,
        Collection = "notifications",
        JsonType = RealtimeJsonContext.Default.Notification,
        RestaurantId = static n => n.RestaurantId,
        Id = static n => n.Id,
        Version = static _ => 1,
        Status = static n => EnumText(n.Kind, RealtimeJsonContext.Default.NotificationKind),
        OrderId = static n => n.OrderId,
        SortKey = static n => n.CreatedAt.ToUnixTimeMilliseconds(),
    };

    /// <summary>The wire name of an enum value ("picked-up", not "PickedUp").</summary>
    private static string EnumText<TEnum>(TEnum value, JsonTypeInfo<TEnum> typeInfo)
        where TEnum : struct, Enum =>
        JsonSerializer.SerializeToElement(value, typeInfo).GetString()
        ?? throw new InvalidOperationException($"Enum {typeof(TEnum).Name} does not serialize to a string.");

    public static readonly string[] FinalOrderStatuses =
    [
        EnumText(OrderStatus.Completed, RealtimeJsonContext.Default.OrderStatus),
        EnumText(OrderStatus.Cancelled, RealtimeJsonContext.Default.OrderStatus),
    ];
}
