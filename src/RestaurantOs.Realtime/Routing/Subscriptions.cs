using System.Text.Json.Serialization;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Protocol;

namespace RestaurantOs.Realtime.Routing;

/// <summary>One active subscription: an event type, optionally limited to one table.</summary>
public sealed record Subscription(
    string Event,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TableNumber);

/// <summary>
/// The subscriptions of one connection. A set that is not <see cref="Explicit"/> is the default: every event the
/// role allows, unfiltered (a connection that never subscribes receives everything its role allows). Once the
/// client subscribes or unsubscribes, the set is explicit and may become empty (receives nothing).
/// </summary>
public sealed record SubscriptionSet(IReadOnlyList<Subscription> Items)
{
    /// <summary>The default set: every event the role allows.</summary>
    public static SubscriptionSet Default { get; } = new([]);

    /// <summary>True once the client has changed its subscriptions; <see cref="Items"/> is then the whole truth.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Explicit { get; init; }

    /// <summary>The subscriptions in effect for <paramref name="role"/>: the default expanded, or the explicit items the role allows.</summary>
    public IReadOnlyList<Subscription> Effective(Role role) => Explicit
        ? [.. (Items ?? []).Where(s => RolePermissions.CanReceive(role, s.Event))]
        : [.. RolePermissions.AllowedEvents(role).Select(e => new Subscription(e, null))];

    public bool Equals(SubscriptionSet? other) =>
        other is not null && Explicit == other.Explicit && (Items ?? []).SequenceEqual(other.Items ?? []);

    public override int GetHashCode() => HashCode.Combine(Explicit, (Items ?? []).Count);
}

/// <summary>The result of a subscribe/unsubscribe: the next set, or an error and the unchanged set.</summary>
public sealed record SubscriptionChange(SubscriptionSet Next, ProtocolError? Error)
{
    public bool Succeeded => Error is null;
}

/// <summary>
/// Subscription semantics (docs/events.md, "Subscriptions"): pure functions over <see cref="SubscriptionSet"/>.
/// A rejected change returns the current set unchanged.
/// </summary>
public static class SubscriptionRules
{
    /// <summary>Event types that carry no table, so a table filter on them could never match and is refused.</summary>
    public static IReadOnlyList<string> NotTableScoped { get; } =
        [EventTypes.KdsUpdate, EventTypes.PaymentProcessed, EventTypes.PresenceUpdated, EventTypes.StationAlert];

    /// <summary>
    /// Adds subscriptions. The first explicit subscribe replaces the default set. An unfiltered subscription
    /// replaces the filtered ones of the same event; a filtered one is redundant when the event is already
    /// subscribed unfiltered. Errors: <c>FORBIDDEN</c> (the role may not receive an event), <c>INVALID_FILTER</c>
    /// (a filter on an event without a table, or any filter from a customer), <c>SUBSCRIPTION_LIMIT</c> (more than
    /// <see cref="ProtocolLimits.MaxSubscriptions"/> would be active).
    /// </summary>
    public static SubscriptionChange Apply(ConnectionIdentity who, SubscriptionSet current, SubscribeMessage msg)
    {
        ArgumentNullException.ThrowIfNull(who);
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(msg);

        foreach (var e in msg.Events)
        {
            if (!RolePermissions.CanReceive(who.Role, e))
            {
                return Fail(current, ErrorCodes.Forbidden, $"Role '{RoleNames.ToClaim(who.Role)}' may not receive '{e}'.");
            }
        }

        string? table = null;
        if (msg.Filters.Count > 0)
        {
            if (!msg.Filters.TryGetValue(ClientMessageParser.TableNumberFilter, out table) || msg.Filters.Count != 1
                || !ClientMessageParser.IsValidTableNumber(table))
            {
                return Fail(current, ErrorCodes.InvalidFilter, "The only filter is a valid 'table_number'.");
            }

            if (RolePermissions.IsOrderScoped(who.Role))
            {
                return Fail(current, ErrorCodes.InvalidFilter, "Customer connections receive their own orders only; filters are not available.");
            }

            var unscoped = msg.Events.FirstOrDefault(e => NotTableScoped.Contains(e, StringComparer.Ordinal));
            if (unscoped is not null)
            {
                return Fail(current, ErrorCodes.InvalidFilter, $"'{unscoped}' is not about one table and cannot be filtered by table_number.");
            }
        }

        var items = current.Explicit ? new List<Subscription>(current.Effective(who.Role)) : [];
        foreach (var e in msg.Events)
        {
            if (table is null)
            {
                items.RemoveAll(s => s.Event == e);
                items.Add(new Subscription(e, null));
            }
            else if (!items.Any(s => s.Event == e && (s.TableNumber is null || s.TableNumber == table)))
            {
                items.Add(new Subscription(e, table));
            }
        }

        if (items.Count > ProtocolLimits.MaxSubscriptions)
        {
            return Fail(current, ErrorCodes.SubscriptionLimit, $"At most {ProtocolLimits.MaxSubscriptions} subscriptions may be active.");
        }

        return new SubscriptionChange(new SubscriptionSet(items) { Explicit = true }, null);
    }

    /// <summary>
    /// Removes every subscription (filtered or not) of the named events. From the default set, the result is the
    /// role's events minus the named ones, made explicit. Naming an event that is not subscribed is not an error.
    /// </summary>
    public static SubscriptionChange Apply(ConnectionIdentity who, SubscriptionSet current, UnsubscribeMessage msg)
    {
        ArgumentNullException.ThrowIfNull(who);
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(msg);
        var items = current.Effective(who.Role).Where(s => !msg.Events.Contains(s.Event, StringComparer.Ordinal)).ToList();
        return new SubscriptionChange(new SubscriptionSet(items) { Explicit = true }, null);
    }

    private static SubscriptionChange Fail(SubscriptionSet current, string code, string message) => new(current, new ProtocolError(code, message));
}
