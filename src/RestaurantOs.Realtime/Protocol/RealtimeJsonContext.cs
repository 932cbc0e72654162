using System.Text.Json;
using System.Text.Json.Serialization;
using RestaurantOs.Realtime.Contracts;

namespace RestaurantOs.Realtime.Protocol;

/// <summary>
/// Source-generated JSON for everything on the wire and in stores: snake_case names, as the seed's examples.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    UseStringEnumConverter = true)]
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
[JsonSerializable(typeof(List<Order>))]
[JsonSerializable(typeof(List<Table>))]
[JsonSerializable(typeof(List<RealtimeEvent>))]
[JsonSerializable(typeof(JsonElement))]
public sealed partial class RealtimeJsonContext : JsonSerializerContext;
