using System.Text.Json;
using System.Text.Json.Serialization;
using RestaurantOs.Realtime.Contracts;

namespace RestaurantOs.Realtime.Protocol;

/// <summary>
/// Source-generated JSON for everything on the wire and in stores: snake_case names and UTC "Z" timestamps, as the
/// seed's examples.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    UseStringEnumConverter = true,
    Converters = [typeof(UtcTimestampConverter)])]
[JsonSerializable(typeof(RealtimeEvent))]
[JsonSerializable(typeof(Order))]
[JsonSerializable(typeof(Payment))]
[JsonSerializable(typeof(Table))]
[JsonSerializable(typeof(Notification))]
[JsonSerializable(typeof(OrderEventData))]
[JsonSerializable(typeof(OrderStatusEventData))]
[JsonSerializable(typeof(PaymentEventData))]
[JsonSerializable(typeof(TableEventData))]
[JsonSerializable(typeof(NotificationEventData))]
[JsonSerializable(typeof(KdsUpdateEventData))]
[JsonSerializable(typeof(ErrorEventData))]
[JsonSerializable(typeof(ConnectedEventData))]
[JsonSerializable(typeof(SubscriptionAckData))]
[JsonSerializable(typeof(PongData))]
[JsonSerializable(typeof(ReplayData))]
[JsonSerializable(typeof(ResyncData))]
[JsonSerializable(typeof(HistoryPageData))]
[JsonSerializable(typeof(List<Order>))]
[JsonSerializable(typeof(List<Table>))]
[JsonSerializable(typeof(List<RealtimeEvent>))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(PaymentStatus))]
[JsonSerializable(typeof(KdsOrder))]
[JsonSerializable(typeof(Auth.Role))]
[JsonSerializable(typeof(Routing.Subscription))]
[JsonSerializable(typeof(Routing.SubscriptionSet))]
[JsonSerializable(typeof(Limits.RateLimitState))]
[JsonSerializable(typeof(Connections.ConnectionState))]
[JsonSerializable(typeof(Presence.StationPresence))]
[JsonSerializable(typeof(Presence.PresenceUpdatedData))]
[JsonSerializable(typeof(Presence.StationAlertData))]
[JsonSerializable(typeof(Presence.PresenceList))]
public sealed partial class RealtimeJsonContext : JsonSerializerContext;
