using System.Globalization;
using System.Text;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Protocol;

namespace RestaurantOs.Realtime.Routing;

/// <summary>
/// Routing as pure functions: which Web PubSub groups a connection joins, which groups an event goes to, and the
/// one send filter that reaches them. Group names are built only from validated parts (restaurant and order
/// GUIDs in "N" format, known event types, table numbers matching the filter rule), always prefixed by the
/// restaurant, so no subscription can name another tenant's group:
/// <list type="bullet">
/// <item><c>r.{restaurant}.e.{event}</c> — staff, unfiltered subscription</item>
/// <item><c>r.{restaurant}.e.{event}.t.{table}</c> — staff, subscription filtered by table</item>
/// <item><c>r.{restaurant}.o.{order}.e.{event}</c> — customers, per order in their token</item>
/// <item><c>auth-pending.{unixMs}</c> — unauthenticated connections, by the start of their deadline's time bucket</item>
/// </list>
/// Guarantee: a connection receives an event iff <see cref="CanSee"/> is true, and at most once, because one
/// send with <see cref="SendFilter"/> matches each connection once however many of the groups it is in.
/// </summary>
public static class GroupRouting
{
    /// <summary>Prefix of auth-grace bucket groups (hub-global).</summary>
    public const string AuthPendingPrefix = "auth-pending.";

    /// <summary>The groups a connection must be in (empty when the role/subscriptions allow nothing).</summary>
    public static IReadOnlySet<string> GroupsFor(ConnectionIdentity who, SubscriptionSet subscriptions)
    {
        ArgumentNullException.ThrowIfNull(who);
        ArgumentNullException.ThrowIfNull(subscriptions);
        var groups = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in subscriptions.Effective(who.Role))
        {
            if (!EventTypes.IsBroadcast(s.Event))
            {
                continue;
            }

            if (RolePermissions.IsOrderScoped(who.Role))
            {
                // Customers: only their orders; a table filter never widens this (and the rules refuse it).
                foreach (var orderId in who.OrderIds)
                {
                    groups.Add(OrderGroup(who.RestaurantId, orderId, s.Event));
                }
            }
            else if (s.TableNumber is null)
            {
                groups.Add(EventGroup(who.RestaurantId, s.Event));
            }
            else if (ClientMessageParser.IsValidTableNumber(s.TableNumber))
            {
                groups.Add(TableGroup(who.RestaurantId, s.Event, s.TableNumber));
            }
        }

        return groups;
    }

    /// <summary>
    /// The groups that should receive <paramref name="e"/>: empty for replies, unknown types or an event without
    /// a restaurant. Order groups are listed only for event types a customer may receive.
    /// </summary>
    public static IReadOnlyList<string> GroupsForEvent(RealtimeEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.RestaurantId is not { } restaurantId || restaurantId == Guid.Empty || !EventTypes.IsBroadcast(e.Type))
        {
            return [];
        }

        var groups = new List<string>(3) { EventGroup(restaurantId, e.Type) };
        if (ClientMessageParser.IsValidTableNumber(e.Scope.TableNumber))
        {
            groups.Add(TableGroup(restaurantId, e.Type, e.Scope.TableNumber!));
        }

        if (e.Scope.OrderId is { } orderId && RolePermissions.CanReceive(Role.Customer, e.Type))
        {
            groups.Add(OrderGroup(restaurantId, orderId, e.Type));
        }

        return groups;
    }

    /// <summary>
    /// A Web PubSub OData filter (<c>'g1' in groups or 'g2' in groups</c>) for one send-to-all call that reaches
    /// every connection in any of the event's groups exactly once. Throws <see cref="ArgumentException"/> for an
    /// event that has no groups (a reply, or no restaurant): that is a programming error.
    /// </summary>
    public static string SendFilter(RealtimeEvent e)
    {
        var groups = GroupsForEvent(e);
        if (groups.Count == 0)
        {
            throw new ArgumentException($"Event '{e.Type}' has no routing groups (replies and events without a restaurant are not broadcast).", nameof(e));
        }

        var sb = new StringBuilder();
        foreach (var g in groups)
        {
            if (sb.Length > 0)
            {
                sb.Append(" or ");
            }

            // Names contain no quote today; escaping keeps the filter valid if that ever changes.
            sb.Append('\'').Append(g.Replace("'", "''", StringComparison.Ordinal)).Append("' in groups");
        }

        return sb.ToString();
    }

    /// <summary>
    /// Whether the connection may receive <paramref name="e"/> (used to filter resume replays). Defined as "its
    /// groups and the event's groups intersect", so it agrees with live delivery by construction.
    /// </summary>
    public static bool CanSee(ConnectionIdentity who, SubscriptionSet subscriptions, RealtimeEvent e)
    {
        ArgumentNullException.ThrowIfNull(who);
        ArgumentNullException.ThrowIfNull(e);
        if (e.RestaurantId != who.RestaurantId)
        {
            return false;
        }

        var mine = GroupsFor(who, subscriptions);
        return GroupsForEvent(e).Any(mine.Contains);
    }

    /// <summary>
    /// The auth-grace group of a connection whose deadline is <paramref name="deadline"/>: one hub-global group per
    /// <paramref name="bucket"/> of time, named by the bucket's start in Unix milliseconds
    /// (<c>auth-pending.{startMs}</c>). The bucket [start, start + bucket) contains the deadline, so closing the
    /// group once <c>start + bucket &lt;= now</c> closes no connection before its deadline and at most one bucket
    /// after it. Passing a bucket start returns that bucket's group.
    /// </summary>
    public static string AuthPendingGroup(DateTimeOffset deadline, TimeSpan bucket)
    {
        var size = BucketMs(bucket);
        return AuthPendingPrefix + (FloorDiv(deadline.ToUnixTimeMilliseconds(), size) * size).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The auth-grace groups whose bucket ended after <paramref name="after"/> and at or before
    /// <paramref name="now"/>: what a timer that last ran at <paramref name="after"/> must close now, oldest first.
    /// At most 1000 groups (after a long outage only the newest; older buckets hold only closed connections).
    /// </summary>
    public static IReadOnlyList<string> ExpiredAuthPendingGroups(DateTimeOffset after, DateTimeOffset now, TimeSpan bucket)
    {
        var size = BucketMs(bucket);
        // Bucket starting at S ends at S + size; it is due when after < S + size <= now.
        var lastStart = (FloorDiv(now.ToUnixTimeMilliseconds(), size) * size) - size;
        var firstStart = Math.Max(FloorDiv(after.ToUnixTimeMilliseconds(), size) * size, lastStart - (999 * size));
        var groups = new List<string>();
        for (var start = firstStart; start <= lastStart; start += size)
        {
            groups.Add(AuthPendingPrefix + start.ToString(CultureInfo.InvariantCulture));
        }

        return groups;
    }

    internal static string EventGroup(Guid restaurantId, string eventType) => $"r.{restaurantId:N}.e.{eventType}";

    internal static string TableGroup(Guid restaurantId, string eventType, string table) => $"r.{restaurantId:N}.e.{eventType}.t.{table}";

    internal static string OrderGroup(Guid restaurantId, Guid orderId, string eventType) => $"r.{restaurantId:N}.o.{orderId:N}.e.{eventType}";

    private static long BucketMs(TimeSpan bucket) =>
        bucket >= TimeSpan.FromSeconds(1) && bucket.Ticks % TimeSpan.TicksPerMillisecond == 0
            ? (long)bucket.TotalMilliseconds
            : throw new ArgumentOutOfRangeException(nameof(bucket), bucket, "The bucket must be at least one second, in whole milliseconds.");

    private static long FloorDiv(long value, long divisor) => value >= 0 ? value / divisor : -((-value + divisor - 1) / divisor);
}
