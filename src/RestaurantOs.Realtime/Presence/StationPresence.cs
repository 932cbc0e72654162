using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Contracts;

namespace RestaurantOs.Realtime.Presence;

/// <summary>How a screen is doing, as the presence panel shows it.</summary>
[JsonConverter(typeof(WireEnumConverter<PresenceStatus>))]
public enum PresenceStatus
{
    /// <summary>Connected, and applying events as they come (or nothing to apply).</summary>
    [JsonStringEnumMemberName("live")] Live,

    /// <summary>Connected, but its last applied seq trails the restaurant's by too many events or too long.</summary>
    [JsonStringEnumMemberName("behind")] Behind,

    /// <summary>Disconnected (a named station stays listed until it returns or the entry expires).</summary>
    [JsonStringEnumMemberName("gone")] Gone,
}

/// <summary>The kind of a <c>station:alert</c>.</summary>
[JsonConverter(typeof(WireEnumConverter<StationAlertKind>))]
public enum StationAlertKind
{
    /// <summary>A KDS station has been disconnected for longer than the grace, while the restaurant is trading.</summary>
    [JsonStringEnumMemberName("gone")] Gone,

    /// <summary>A screen's applied seq trails the restaurant's (it stopped acknowledging, or cannot keep up).</summary>
    [JsonStringEnumMemberName("behind")] Behind,
}

/// <summary>Whether a <c>station:alert</c> raises an alert or clears one raised before.</summary>
[JsonConverter(typeof(WireEnumConverter<StationAlertState>))]
public enum StationAlertState
{
    [JsonStringEnumMemberName("raised")] Raised,
    [JsonStringEnumMemberName("cleared")] Cleared,
}

/// <summary>What changed in a <c>presence:updated</c>.</summary>
[JsonConverter(typeof(WireEnumConverter<PresenceChange>))]
public enum PresenceChange
{
    [JsonStringEnumMemberName("joined")] Joined,
    [JsonStringEnumMemberName("left")] Left,
    [JsonStringEnumMemberName("behind")] Behind,
    [JsonStringEnumMemberName("caught_up")] CaughtUp,
}

/// <summary>
/// One screen of a restaurant, as the presence store keeps it and <c>GET /api/presence</c> and the presence events
/// show it. A named station (<see cref="Station"/>) is one entry whatever connection it is on now, so it can be missed
/// when it is gone; an unnamed connection is listed while it is connected.
/// </summary>
public sealed record StationPresence
{
    public required Guid RestaurantId { get; init; }

    /// <summary><c>s.{station}</c> for a named station, <c>c.{connection id}</c> otherwise.</summary>
    public required string Key { get; init; }

    public string? Station { get; init; }

    public string? Device { get; init; }

    public required Role Role { get; init; }

    public required string UserId { get; init; }

    /// <summary>The connection the station is (or was last) on.</summary>
    public required string ConnectionId { get; init; }

    /// <summary><c>websocket</c>, or the Web PubSub subprotocol the connection speaks.</summary>
    public required string Transport { get; init; }

    public required DateTimeOffset ConnectedSince { get; init; }

    /// <summary>When the screen last sent a heartbeat (written at most once a minute when nothing else changed).</summary>
    public required DateTimeOffset LastSeenAt { get; init; }

    /// <summary>The last seq the screen said it applied (<c>applied_seq</c> of its <c>ping</c>); null before its first report.</summary>
    public long? AppliedSeq { get; init; }

    public DateTimeOffset? AppliedAt { get; init; }

    /// <summary>The restaurant's latest seq when the screen last reported, to show how far behind it is.</summary>
    public long? LatestSeq { get; init; }

    public required PresenceStatus Status { get; init; }

    public DateTimeOffset? GoneSince { get; init; }

    /// <summary>The alert raised for this station and not yet cleared.</summary>
    public StationAlertKind? Alert { get; init; }

    public DateTimeOffset? AlertSince { get; init; }

    /// <summary>Optimistic-concurrency version: every write expects the version it read.</summary>
    public required int Version { get; init; }
}

/// <summary>Data of <c>presence:updated</c>.</summary>
public sealed record PresenceUpdatedData(PresenceChange Change, StationPresence Station);

/// <summary>Data of <c>station:alert</c>.</summary>
public sealed record StationAlertData(StationAlertKind Alert, StationAlertState State, StationPresence Station);

/// <summary>Reply of <c>GET /api/presence</c>: every screen of the restaurant, named stations first.</summary>
public sealed record PresenceList(IReadOnlyList<StationPresence> Stations, long LatestSeq);

/// <summary>The rule for <c>station</c> and <c>device</c> names, in tokens and in <c>auth</c> messages.</summary>
public static partial class StationNames
{
    public const int MaxLength = 64;

    /// <summary>1–64 of <c>[A-Za-z0-9._-]</c>, starting with a letter or digit (so a name is also a safe store key).</summary>
    public static bool IsValid([NotNullWhen(true)] string? value) => value is not null && NameRegex().IsMatch(value);

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\z", RegexOptions.CultureInvariant)]
    private static partial Regex NameRegex();
}
