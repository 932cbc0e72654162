using System.Text.Json.Serialization;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Services;

namespace RestaurantOs.Functions.Http;

/// <summary>HTTP bodies: snake_case like the events, unknown members rejected so typos get a clear 400.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(CreateOrderRequest))]
[JsonSerializable(typeof(PatchOrderRequest))]
[JsonSerializable(typeof(StatusChangeRequest))]
[JsonSerializable(typeof(PaymentRequest))]
[JsonSerializable(typeof(PutTableRequest))]
[JsonSerializable(typeof(NotificationRequest))]
[JsonSerializable(typeof(Order))]
[JsonSerializable(typeof(IReadOnlyList<Order>))]
[JsonSerializable(typeof(Payment))]
[JsonSerializable(typeof(Table))]
[JsonSerializable(typeof(IReadOnlyList<Table>))]
[JsonSerializable(typeof(Notification))]
[JsonSerializable(typeof(RealtimeEvent))]
[JsonSerializable(typeof(ProblemDetailsBody))]
[JsonSerializable(typeof(ProblemKind))]
[JsonSerializable(typeof(IReadOnlyList<ProblemKind>))]
[JsonSerializable(typeof(HealthReport))]
[JsonSerializable(typeof(RestaurantOs.Realtime.Presence.PresenceList))]
[JsonSerializable(typeof(RestaurantOs.WebPubSub.Client.NegotiateResponse))]
internal sealed partial class FunctionsJsonContext : JsonSerializerContext;

internal sealed record HealthReport(string Status, string Store, DateTimeOffset Time);
