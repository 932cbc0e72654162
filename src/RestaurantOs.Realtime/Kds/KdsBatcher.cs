using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Protocol;

namespace RestaurantOs.Realtime.Kds;

/// <summary>
/// Collapses the orders changed in one KDS window into one <c>kds:update</c> per restaurant.
/// </summary>
public static class KdsBatcher
{
    /// <summary>
    /// One event per restaurant with the newest version of each changed order, oldest order first. Orders in every
    /// status are included (a completed or cancelled ticket tells the KDS to drop it). Events carry RestaurantId,
    /// no seq (a derived batch, not kept in history) and a deterministic id (<c>kds:{restaurant}:{hash}</c> of the
    /// order ids and versions), so the same batch built twice has the same id. <c>prep_time</c> is whole minutes
    /// since <c>created_at</c>, never negative.
    /// </summary>
    public static IReadOnlyList<RealtimeEvent> Build(IEnumerable<Order> changedOrders, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(changedOrders);
        var events = new List<RealtimeEvent>();
        foreach (var restaurant in changedOrders
                     .GroupBy(o => o.RestaurantId)
                     .OrderBy(g => g.Key))
        {
            var newest = restaurant
                .GroupBy(o => o.Id)
                .Select(g => g.MaxBy(o => o.Version)!)
                .OrderBy(o => o.CreatedAt)
                .ThenBy(o => o.Id)
                .ToList();
            var tickets = newest.Select(o => ToTicket(o, now)).ToList();
            events.Add(new RealtimeEvent
            {
                Type = EventTypes.KdsUpdate,
                Id = BatchId(restaurant.Key, newest),
                RestaurantId = restaurant.Key,
                Data = JsonSerializer.SerializeToElement(new KdsUpdateEventData(tickets), RealtimeJsonContext.Default.KdsUpdateEventData),
                Timestamp = now,
            });
        }

        return events;
    }

    /// <summary>The KDS ticket of one order (items, status, table, prep time; no order totals).</summary>
    public static KdsOrder ToTicket(Order order, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(order);
        var minutes = (now - order.CreatedAt).TotalMinutes;
        return new KdsOrder
        {
            Id = order.Id,
            OrderNumber = order.OrderNumber,
            Status = order.Status,
            Items = order.Items,
            PrepTime = minutes <= 0 ? 0 : (int)Math.Min(int.MaxValue, Math.Floor(minutes)),
            TableNumber = order.TableNumber,
            CreatedAt = order.CreatedAt,
            Version = order.Version,
        };
    }

    private static string BatchId(Guid restaurantId, IEnumerable<Order> orders)
    {
        var text = string.Join(';', orders.OrderBy(o => o.Id).Select(o => string.Create(CultureInfo.InvariantCulture, $"{o.Id:N}:{o.Version}")));
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        return $"kds:{restaurantId:N}:{Convert.ToHexStringLower(hash, 0, 8)}";
    }
}
