using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Connections;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Protocol;
using RestaurantOs.Realtime.Routing;

namespace RestaurantOs.Realtime.Events;

/// <summary>
/// Builds the replies sent to one connection (no id, restaurant or seq). <c>data</c> is serialized with
/// <see cref="RealtimeJsonContext"/>, so the wire names are snake_case.
/// </summary>
public static class EventFactory
{
    public static RealtimeEvent Error(string code, string message, DateTimeOffset timestamp) =>
        Reply(EventTypes.Error, new ErrorEventData(code, message), RealtimeJsonContext.Default.ErrorEventData, timestamp);

    public static RealtimeEvent Error(ProtocolError error, DateTimeOffset timestamp)
    {
        ArgumentNullException.ThrowIfNull(error);
        return Error(error.Code, error.Message, timestamp);
    }

    public static RealtimeEvent Pong(DateTimeOffset timestamp) =>
        Reply(EventTypes.Pong, new PongData(timestamp.ToUnixTimeMilliseconds()), RealtimeJsonContext.Default.PongData, timestamp);

    public static RealtimeEvent Connected(ConnectedEventData data, DateTimeOffset timestamp) =>
        Reply(EventTypes.Connected, data, RealtimeJsonContext.Default.ConnectedEventData, timestamp);

    public static RealtimeEvent Authenticated(ConnectedEventData data, DateTimeOffset timestamp) =>
        Reply(EventTypes.Authenticated, data, RealtimeJsonContext.Default.ConnectedEventData, timestamp);

    /// <summary><c>connected</c>: who the server thinks the connection is (unauthenticated: only the auth timeout).</summary>
    public static RealtimeEvent Connected(string? connectionId, ConnectionState state, int authTimeoutSeconds, DateTimeOffset timestamp) =>
        Connected(Describe(connectionId, state, authTimeoutSeconds), timestamp);

    /// <summary><c>authenticated</c>: the reply to a successful <c>auth</c> message.</summary>
    public static RealtimeEvent Authenticated(string? connectionId, ConnectionState state, int authTimeoutSeconds, DateTimeOffset timestamp) =>
        Authenticated(Describe(connectionId, state, authTimeoutSeconds), timestamp);

    /// <summary>
    /// <c>subscribed</c>/<c>unsubscribed</c> (per <paramref name="replyType"/>): the events and filters of the
    /// request and the subscriptions now active (<see cref="ActiveNames"/>).
    /// </summary>
    public static RealtimeEvent SubscriptionAck(
        string replyType,
        IReadOnlyList<string> events,
        IReadOnlyDictionary<string, string>? filters,
        SubscriptionSet active,
        Role role,
        DateTimeOffset timestamp)
    {
        if (replyType is not (EventTypes.Subscribed or EventTypes.Unsubscribed))
        {
            throw new ArgumentException($"'{replyType}' is not a subscription reply type.", nameof(replyType));
        }

        var data = new SubscriptionAckData(events, filters is { Count: > 0 } ? filters : null, ActiveNames(active, role));
        return Reply(replyType, data, RealtimeJsonContext.Default.SubscriptionAckData, timestamp);
    }

    /// <summary>Active subscriptions as strings: <c>order:created</c>, or <c>order:created@T5</c> when filtered by table.</summary>
    public static IReadOnlyList<string> ActiveNames(SubscriptionSet subscriptions, Role role)
    {
        ArgumentNullException.ThrowIfNull(subscriptions);
        return [.. subscriptions.Effective(role).Select(s => s.TableNumber is null ? s.Event : $"{s.Event}@{s.TableNumber}")];
    }

    public static RealtimeEvent Subscribed(SubscriptionAckData data, DateTimeOffset timestamp) =>
        Reply(EventTypes.Subscribed, data, RealtimeJsonContext.Default.SubscriptionAckData, timestamp);

    public static RealtimeEvent Unsubscribed(SubscriptionAckData data, DateTimeOffset timestamp) =>
        Reply(EventTypes.Unsubscribed, data, RealtimeJsonContext.Default.SubscriptionAckData, timestamp);

    public static RealtimeEvent Replay(long since, long latestSeq, IReadOnlyList<RealtimeEvent> events, DateTimeOffset timestamp) =>
        Reply(EventTypes.Replay, new ReplayData(since, latestSeq, events), RealtimeJsonContext.Default.ReplayData, timestamp);

    public static RealtimeEvent Resync(long since, long latestSeq, string reason, DateTimeOffset timestamp) =>
        Reply(EventTypes.Resync, new ResyncData(since, latestSeq, reason), RealtimeJsonContext.Default.ResyncData, timestamp);

    private static ConnectedEventData Describe(string? connectionId, ConnectionState state, int authTimeoutSeconds)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.TryGetIdentity(out var who)
            ? new ConnectedEventData(connectionId, true, who.UserId, RoleNames.ToClaim(who.Role), who.RestaurantId, authTimeoutSeconds)
            : new ConnectedEventData(connectionId, false, null, null, null, authTimeoutSeconds);
    }

    /// <summary>A reply of any type with <paramref name="data"/> serialized by <paramref name="typeInfo"/>.</summary>
    public static RealtimeEvent Reply<T>(string type, T data, JsonTypeInfo<T> typeInfo, DateTimeOffset timestamp) =>
        new() { Type = type, Data = JsonSerializer.SerializeToElement(data, typeInfo), Timestamp = timestamp };
}

/// <summary>The wire form of events: UTF-8 JSON of the envelope, snake_case, nulls (id/restaurant_id/seq/data) omitted.</summary>
public static class EventSerializer
{
    public static byte[] ToUtf8(RealtimeEvent e) => JsonSerializer.SerializeToUtf8Bytes(e, RealtimeJsonContext.Default.RealtimeEvent);

    /// <summary>Reads an envelope (for clients and tests); throws <see cref="JsonException"/> for invalid JSON.</summary>
    public static RealtimeEvent FromUtf8(ReadOnlySpan<byte> utf8) =>
        JsonSerializer.Deserialize(utf8, RealtimeJsonContext.Default.RealtimeEvent) ?? throw new JsonException("Null event.");
}
