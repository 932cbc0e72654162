using System.Text.Json;
using System.Text.Json.Serialization;

namespace RestaurantOs.Realtime.Contracts;

/// <summary>
/// Routing facts of an event that are not part of the wire envelope: which order and table it concerns.
/// Stored with the event in history so a resumed connection gets exactly what it may see.
/// </summary>
public sealed record EventScope(Guid? OrderId, string? TableNumber);

/// <summary>
/// The wire envelope <c>{type, id, restaurant_id, seq, data, timestamp}</c>. Broadcast events carry a
/// per-restaurant <see cref="Seq"/> that only grows; a connection sees a filtered subset, so gaps are normal.
/// Replies to one connection carry no id, restaurant or seq.
/// </summary>
public sealed record RealtimeEvent
{
    public required string Type { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Id { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Guid? RestaurantId { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Seq { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Data { get; init; }

    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>Routing facts; never sent to clients.</summary>
    [JsonIgnore]
    public EventScope Scope { get; init; } = new(null, null);
}

/// <summary>An event produced from a store change, before history has given it a <c>seq</c>.</summary>
/// <param name="Id">Derived from the change (document id + version), so a re-read change yields the same id.</param>
public sealed record NewEvent(string Id, Guid RestaurantId, string Type, JsonElement Data, DateTimeOffset Timestamp, EventScope Scope);
