using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Protocol;

namespace RestaurantOs.Realtime.Events;

/// <summary>
/// Turns one committed store change into the broadcast events it causes, deterministically: the same change read
/// twice (the change feed is at-least-once) yields the same events with the same ids.
/// </summary>
public static class ChangeEventMapper
{
    /// <summary>
    /// Maps a change. Orders: version 1 → <c>order:created</c>; later versions → <c>order:updated</c>, plus
    /// <c>order:status</c> when the status changed in this version (<c>StatusVersion == Version</c>), plus the
    /// seed app's notification hooks on that status change (confirmed → <c>notification:kitchen</c>, ready →
    /// <c>notification:customer</c>, cancelled while paid → <c>notification:refund</c>). Payments →
    /// <c>payment:processed</c> (not while the payment is still <c>pending</c>). Tables → <c>table:updated</c>.
    /// Notifications → <c>notification:{kind}</c>. Event ids: <c>{kind}:{document id}:v{version}:{event type}</c>
    /// (payments and notifications, which are not versioned, use their status or nothing). The timestamp is the
    /// commit time. Throws <see cref="InvalidDataException"/> when the document cannot be read or names another
    /// restaurant than the change: a store fault the caller must log and skip.
    /// </summary>
    public static IReadOnlyList<NewEvent> Map(StoreChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return change.Kind switch
        {
            DocumentKind.Order => MapOrder(change, Read(change, RealtimeJsonContext.Default.Order)),
            DocumentKind.Payment => MapPayment(change, Read(change, RealtimeJsonContext.Default.Payment)),
            DocumentKind.Table => MapTable(change, Read(change, RealtimeJsonContext.Default.Table)),
            DocumentKind.Notification => MapNotification(change, Read(change, RealtimeJsonContext.Default.Notification)),
            _ => throw new InvalidDataException($"Unknown document kind '{change.Kind}'."),
        };
    }

    private static List<NewEvent> MapOrder(StoreChange change, Order order)
    {
        Check(change, order.RestaurantId);
        var scope = new EventScope(order.Id, order.TableNumber);
        var prefix = $"order:{order.Id:N}:v{order.Version}:";
        var orderData = Element(new OrderEventData(order), RealtimeJsonContext.Default.OrderEventData);
        if (order.Version <= 1)
        {
            return [New(change, prefix, EventTypes.OrderCreated, orderData, scope)];
        }

        var events = new List<NewEvent> { New(change, prefix, EventTypes.OrderUpdated, orderData, scope) };
        if (order.StatusVersion != order.Version)
        {
            return events;
        }

        events.Add(New(
            change,
            prefix,
            EventTypes.OrderStatus,
            Element(new OrderStatusEventData(order.Id, order.Status, order.PreviousStatus, order.Version), RealtimeJsonContext.Default.OrderStatusEventData),
            scope));

        (NotificationKind Kind, string Message)? hook = order.Status switch
        {
            OrderStatus.Confirmed => (NotificationKind.Kitchen, $"Order {order.OrderNumber} confirmed: start preparing."),
            OrderStatus.Ready => (NotificationKind.Customer, $"Order {order.OrderNumber} is ready."),
            OrderStatus.Cancelled when order.PaymentStatus == PaymentStatus.Paid =>
                (NotificationKind.Refund, $"Order {order.OrderNumber} was cancelled after payment: refund required."),
            _ => null,
        };
        if (hook is { } h)
        {
            var type = NotificationType(h.Kind);
            var notification = new Notification
            {
                Id = DeterministicGuid(prefix + type),
                RestaurantId = order.RestaurantId,
                Kind = h.Kind,
                OrderId = order.Id,
                TableNumber = order.TableNumber,
                Message = h.Message,
                CreatedAt = change.CommittedAt,
            };
            events.Add(New(change, prefix, type, Element(new NotificationEventData(notification), RealtimeJsonContext.Default.NotificationEventData), scope));
        }

        return events;
    }

    private static List<NewEvent> MapPayment(StoreChange change, Payment payment)
    {
        Check(change, payment.RestaurantId);
        if (payment.PaymentStatus == PaymentStatus.Pending)
        {
            return [];
        }

        var prefix = $"payment:{payment.Id:N}:{Wire(payment.PaymentStatus)}:";
        var data = Element(new PaymentEventData(payment), RealtimeJsonContext.Default.PaymentEventData);
        // Payments carry no table: routed by order (customers) and unfiltered staff subscriptions.
        return [New(change, prefix, EventTypes.PaymentProcessed, data, new EventScope(payment.OrderId, null))];
    }

    private static List<NewEvent> MapTable(StoreChange change, Table table)
    {
        Check(change, table.RestaurantId);
        var prefix = $"table:{table.Id:N}:v{table.Version}:";
        var data = Element(new TableEventData(table), RealtimeJsonContext.Default.TableEventData);
        return [New(change, prefix, EventTypes.TableUpdated, data, new EventScope(table.CurrentOrderId, table.Label))];
    }

    private static List<NewEvent> MapNotification(StoreChange change, Notification notification)
    {
        Check(change, notification.RestaurantId);
        var prefix = $"notification:{notification.Id:N}:";
        var data = Element(new NotificationEventData(notification), RealtimeJsonContext.Default.NotificationEventData);
        return [New(change, prefix, NotificationType(notification.Kind), data, new EventScope(notification.OrderId, notification.TableNumber))];
    }

    /// <summary>The event type of a notification kind: <c>notification:kitchen|customer|refund</c>.</summary>
    public static string NotificationType(NotificationKind kind) => kind switch
    {
        NotificationKind.Kitchen => EventTypes.NotificationKitchen,
        NotificationKind.Customer => EventTypes.NotificationCustomer,
        NotificationKind.Refund => EventTypes.NotificationRefund,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown notification kind."),
    };

    private static NewEvent New(StoreChange change, string prefix, string type, JsonElement data, EventScope scope) =>
        new(prefix + type, change.RestaurantId, type, data, change.CommittedAt, scope);

    private static T Read<T>(StoreChange change, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        try
        {
            return change.Document.Deserialize(typeInfo)
                ?? throw new InvalidDataException($"Change {change.ChangeId}: the {change.Kind} document is null.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Change {change.ChangeId}: the {change.Kind} document '{change.DocumentId}' cannot be read.", ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidDataException($"Change {change.ChangeId}: the {change.Kind} document '{change.DocumentId}' cannot be read.", ex);
        }
    }

    private static void Check(StoreChange change, Guid documentRestaurant)
    {
        // A document filed under another tenant must never be broadcast to this one.
        if (documentRestaurant != change.RestaurantId)
        {
            throw new InvalidDataException($"Change {change.ChangeId}: the document belongs to another restaurant than the change.");
        }
    }

    private static JsonElement Element<T>(T value, JsonTypeInfo<T> typeInfo) => JsonSerializer.SerializeToElement(value, typeInfo);

    private static string Wire(PaymentStatus status) => JsonSerializer.Serialize(status, RealtimeJsonContext.Default.PaymentStatus).Trim('"');

    /// <summary>A stable GUID from a string (first 16 bytes of SHA-256, marked as a version 8 / RFC 4122 variant UUID).</summary>
    internal static Guid DeterministicGuid(string seed)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(seed), hash);
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }
}
