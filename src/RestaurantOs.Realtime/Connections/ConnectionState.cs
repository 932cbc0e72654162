using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Limits;
using RestaurantOs.Realtime.Protocol;
using RestaurantOs.Realtime.Routing;

namespace RestaurantOs.Realtime.Connections;

/// <summary>
/// Everything the server remembers about one connection, kept in Web PubSub's <c>ce-connectionState</c> (so no
/// process memory is needed). Small by design: ids, role, subscriptions, rate-limit counters and deadlines.
/// Null members are omitted from the JSON.
/// </summary>
public sealed record ConnectionState
{
    /// <summary>True once a token was validated (at connect or by an <c>auth</c> message).</summary>
    public bool Authenticated { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? UserId { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Guid? RestaurantId { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Role? Role { get; init; }

    public IReadOnlyList<Guid> OrderIds { get; init; } = [];

    /// <summary>The station this screen is (from the token, or named by its first <c>auth</c> message).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Station { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Device { get; init; }

    public SubscriptionSet Subscriptions { get; init; } = SubscriptionSet.Default;

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public RateLimitState? Rate { get; init; }

    /// <summary>Unix ms by which an unauthenticated connection must send <c>auth</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? AuthDeadlineMs { get; init; }

    /// <summary>The auth-grace bucket group the connection is in while unauthenticated.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? PendingGroup { get; init; }

    /// <summary>Unix ms at which the token expires; messages after it get <c>UNAUTHORIZED</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? TokenExpiresMs { get; init; }

    /// <summary>The state as a JSON element (snake_case, source-generated), e.g. for one key of Web PubSub's connection state.</summary>
    public JsonElement ToJsonElement() => JsonSerializer.SerializeToElement(this, RealtimeJsonContext.Default.ConnectionState);

    /// <summary>
    /// Reads a state written by <see cref="ToJsonElement"/>. Never throws: a missing, malformed or foreign value
    /// (including a role outside the enum) returns false (treat the connection as unauthenticated). Null
    /// <see cref="OrderIds"/>/<see cref="Subscriptions"/> are read as their defaults.
    /// </summary>
    public static bool TryRead(JsonElement element, [NotNullWhen(true)] out ConnectionState? state)
    {
        state = null;
        if (element.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        try
        {
            var read = element.Deserialize(RealtimeJsonContext.Default.ConnectionState);
            if (read is null || (read.Role is { } role && !Enum.IsDefined(role)))
            {
                return false;
            }

            // Nulls written by hand (or by an older version) become the documented defaults.
            state = read with
            {
                OrderIds = read.OrderIds ?? [],
                Subscriptions = read.Subscriptions is { Items: not null } subscriptions ? subscriptions : SubscriptionSet.Default,
            };
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The state of a connection that has just authenticated as <paramref name="identity"/>.</summary>
    public static ConnectionState ForIdentity(ConnectionIdentity identity, DateTimeOffset? tokenExpires)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return new ConnectionState
        {
            Authenticated = true,
            UserId = identity.UserId,
            RestaurantId = identity.RestaurantId,
            Role = identity.Role,
            OrderIds = identity.OrderIds,
            Station = identity.Station,
            Device = identity.Device,
            TokenExpiresMs = tokenExpires?.ToUnixTimeMilliseconds(),
        };
    }

    /// <summary>
    /// The identity of an authenticated connection. Throws <see cref="InvalidOperationException"/> when the
    /// connection is not authenticated: callers check <see cref="Authenticated"/> (or use <see cref="TryGetIdentity"/>).
    /// </summary>
    public ConnectionIdentity ToIdentity() =>
        TryGetIdentity(out var identity)
            ? identity
            : throw new InvalidOperationException("The connection is not authenticated; check ConnectionState.Authenticated first.");

    /// <summary>The identity, when the connection is authenticated and its state is complete.</summary>
    public bool TryGetIdentity([NotNullWhen(true)] out ConnectionIdentity? identity)
    {
        identity = Authenticated && UserId is not null && RestaurantId is { } restaurant && Role is { } role
            ? new ConnectionIdentity(UserId, restaurant, role, OrderIds ?? [])
            : null;
        return identity is not null;
    }
}
