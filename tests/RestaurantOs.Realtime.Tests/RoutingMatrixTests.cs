using System.Text.RegularExpressions;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Protocol;
using RestaurantOs.Realtime.Routing;

namespace RestaurantOs.Realtime.Tests;

/// <summary>
/// The full role × event type × tenant matrix through the routing functions, checked against an oracle written
/// independently of the implementation, with delivery simulated the way Web PubSub does it: one send-to-all whose
/// OData filter is evaluated once per connection.
/// </summary>
public sealed partial class RoutingMatrixTests
{
    private static readonly Guid RestaurantA = Guid.Parse("aaaaaaaa-0000-0000-0000-000000000001");
    private static readonly Guid RestaurantB = Guid.Parse("bbbbbbbb-0000-0000-0000-000000000002");
    private static readonly Guid OwnOrder = Guid.Parse("0000000a-0000-0000-0000-00000000000a");
    private static readonly Guid OtherOrder = Guid.Parse("0000000b-0000-0000-0000-00000000000b");

    // The permission table as docs/events.md states it, written out again on purpose.
    private static readonly Dictionary<Role, string[]> Expected = new()
    {
        [Role.Owner] = [.. EventTypes.Broadcast],
        [Role.Manager] = [.. EventTypes.Broadcast],
        [Role.Service] = [.. EventTypes.Broadcast],
        [Role.Server] = ["order:created", "order:updated", "order:status", "payment:processed", "kds:update", "table:updated", "notification:kitchen", "notification:customer", "notification:refund"],
        [Role.Cashier] = ["order:created", "order:updated", "order:status", "payment:processed", "table:updated", "notification:refund"],
        [Role.Kitchen] = ["order:created", "order:updated", "order:status", "kds:update", "notification:kitchen"],
        [Role.Expo] = ["order:created", "order:updated", "order:status", "kds:update", "table:updated", "notification:kitchen", "presence:updated", "station:alert"],
        [Role.Customer] = ["order:created", "order:updated", "order:status", "payment:processed", "notification:customer"],
    };

    // Events that carry no table, so no table filter can name them.
    private static readonly string[] NoTable = ["kds:update", "payment:processed", "presence:updated", "station:alert"];

    private sealed record Connection(string Name, ConnectionIdentity Who, SubscriptionSet Subs, string? TableFilter)
    {
        public IReadOnlySet<string> Groups { get; } = GroupRouting.GroupsFor(Who, Subs);
    }

    private static List<Connection> Connections()
    {
        var list = new List<Connection>();
        foreach (var role in RoleNames.All)
        {
            foreach (var restaurant in new[] { RestaurantA, RestaurantB })
            {
                var tag = restaurant == RestaurantA ? "A" : "B";
                if (role == Role.Customer)
                {
                    var who = new ConnectionIdentity("c-" + tag, restaurant, role, [OwnOrder]);
                    list.Add(new Connection($"{role}/{tag}/default", who, SubscriptionSet.Default, null));
                    continue;
                }

                var staff = new ConnectionIdentity($"{role}-{tag}", restaurant, role, []);
                list.Add(new Connection($"{role}/{tag}/default", staff, SubscriptionSet.Default, null));
                var tableScoped = Expected[role].Where(e => !NoTable.Contains(e)).ToList();
                var filtered = SubscriptionRules.Apply(staff, SubscriptionSet.Default, new SubscribeMessage(tableScoped, new Dictionary<string, string> { ["table_number"] = "T5" }));
                Assert.True(filtered.Succeeded, filtered.Error?.Message);
                list.Add(new Connection($"{role}/{tag}/T5", staff, filtered.Next, "T5"));
            }
        }

        return list;
    }

    private static IEnumerable<RealtimeEvent> Events()
    {
        foreach (var type in EventTypes.Broadcast)
        {
            foreach (var restaurant in new[] { RestaurantA, RestaurantB })
            {
                foreach (var order in new Guid?[] { OwnOrder, OtherOrder, null })
                {
                    foreach (var table in new[] { "T5", "T6", null })
                    {
                        yield return new RealtimeEvent
                        {
                            Type = type,
                            Id = $"{type}/{restaurant}/{order}/{table}",
                            RestaurantId = restaurant,
                            Seq = 1,
                            Timestamp = DateTimeOffset.UnixEpoch,
                            Scope = new EventScope(order, table),
                        };
                    }
                }
            }
        }
    }

    private static bool Oracle(Connection c, RealtimeEvent e)
    {
        if (e.RestaurantId != c.Who.RestaurantId || !Expected[c.Who.Role].Contains(e.Type))
        {
            return false;
        }

        if (c.Who.Role == Role.Customer)
        {
            return e.Scope.OrderId is { } id && c.Who.OrderIds.Contains(id);
        }

        // A T5 connection subscribed only to the table-scoped events its role allows, each filtered by T5.
        return c.TableFilter is null
            || (!NoTable.Contains(e.Type) && c.TableFilter == e.Scope.TableNumber);
    }

    [Fact]
    public void Every_role_event_tenant_order_and_filter_combination_delivers_exactly_what_is_allowed()
    {
        var connections = Connections();
        var checkedPairs = 0;
        var deliveries = 0;
        foreach (var e in Events())
        {
            var filter = GroupRouting.SendFilter(e);
            foreach (var c in connections)
            {
                var delivered = ODataGroups.Matches(filter, c.Groups);
                var expected = Oracle(c, e);
                Assert.True(expected == delivered, $"{c.Name} <- {e.Id}: expected {expected}, delivered {delivered} (filter {filter})");
                Assert.True(delivered == GroupRouting.CanSee(c.Who, c.Subs, e), $"CanSee disagrees with delivery for {c.Name} <- {e.Id}");
                checkedPairs++;
                deliveries += delivered ? 1 : 0;
            }
        }

        Assert.Equal(EventTypes.Broadcast.Count * 2 * 3 * 3 * connections.Count, checkedPairs);
        Assert.True(deliveries > 0);
    }

    [Fact]
    public void Kitchen_roles_and_customers_never_get_payment_or_refund_details()
    {
        foreach (var c in Connections().Where(c => c.Who.Role is Role.Kitchen or Role.Expo or Role.Customer))
        {
            foreach (var e in Events().Where(e => e.Type is "payment:processed" or "notification:refund" && (c.Who.Role != Role.Customer || e.Type == "notification:refund")))
            {
                Assert.False(ODataGroups.Matches(GroupRouting.SendFilter(e), c.Groups), $"{c.Name} got {e.Id}");
            }
        }
    }

    [Fact]
    public void Customers_never_join_table_kds_or_kitchen_groups()
    {
        var customer = new ConnectionIdentity("c", RestaurantA, Role.Customer, [OwnOrder, OtherOrder]);
        var groups = GroupRouting.GroupsFor(customer, SubscriptionSet.Default);
        Assert.Equal(2 * 5, groups.Count);
        Assert.All(groups, g => Assert.StartsWith($"r.{RestaurantA:N}.o.", g, StringComparison.Ordinal));
        Assert.DoesNotContain(groups, g => g.Contains("table", StringComparison.Ordinal) || g.Contains("kds", StringComparison.Ordinal) || g.Contains("kitchen", StringComparison.Ordinal));
    }

    [Fact]
    public void Overlapping_groups_still_deliver_once_with_one_send()
    {
        // A hand-made explicit set in both the unfiltered and the T5 group of order:created.
        var who = new ConnectionIdentity("m", RestaurantA, Role.Manager, []);
        var subs = new SubscriptionSet([new Subscription("order:created", null), new Subscription("order:created", "T5")]) { Explicit = true };
        var groups = GroupRouting.GroupsFor(who, subs);
        var e = new RealtimeEvent { Type = "order:created", RestaurantId = RestaurantA, Timestamp = DateTimeOffset.UnixEpoch, Scope = new EventScope(null, "T5") };
        var eventGroups = GroupRouting.GroupsForEvent(e);
        Assert.Equal(2, eventGroups.Count(groups.Contains));
        Assert.Equal(eventGroups.Count, eventGroups.Distinct().Count());
        // One send call, one filter: the service evaluates it once per connection.
        Assert.Equal(1, ODataGroups.DeliveryCount(GroupRouting.SendFilter(e), groups));
    }

    [Fact]
    public void Group_names_are_valid_prefixed_and_free_of_user_text()
    {
        foreach (var c in Connections())
        {
            foreach (var g in c.Groups)
            {
                Assert.InRange(g.Length, 1, 1024);
                Assert.Matches(GroupName(), g);
                Assert.StartsWith($"r.{c.Who.RestaurantId:N}.", g, StringComparison.Ordinal);
            }
        }

        foreach (var e in Events())
        {
            Assert.All(GroupRouting.GroupsForEvent(e), g => Assert.StartsWith($"r.{e.RestaurantId:N}.", g, StringComparison.Ordinal));
        }
    }

    [GeneratedRegex(@"^r\.[0-9a-f]{32}\.(e\.[a-z:]+(\.t\.[A-Za-z0-9][A-Za-z0-9_-]{0,31})?|o\.[0-9a-f]{32}\.e\.[a-z:]+)\z")]
    private static partial Regex GroupName();

    [Fact]
    public void A_table_number_in_an_event_that_breaks_the_rule_is_not_used_for_routing()
    {
        var e = new RealtimeEvent { Type = "order:created", RestaurantId = RestaurantA, Timestamp = DateTimeOffset.UnixEpoch, Scope = new EventScope(null, "T5' or 'x' in groups") };
        Assert.Equal([$"r.{RestaurantA:N}.e.order:created"], GroupRouting.GroupsForEvent(e));
        Assert.Equal($"'r.{RestaurantA:N}.e.order:created' in groups", GroupRouting.SendFilter(e));
    }

    [Theory]
    [InlineData("connected")]
    [InlineData("error")]
    [InlineData("pong")]
    [InlineData("order:deleted")]
    public void Replies_and_unknown_types_have_no_groups_and_no_filter(string type)
    {
        var e = new RealtimeEvent { Type = type, RestaurantId = RestaurantA, Timestamp = DateTimeOffset.UnixEpoch };
        Assert.Empty(GroupRouting.GroupsForEvent(e));
        Assert.Throws<ArgumentException>(() => GroupRouting.SendFilter(e));
    }

    [Fact]
    public void An_event_without_a_restaurant_goes_nowhere()
    {
        var e = new RealtimeEvent { Type = "order:created", Timestamp = DateTimeOffset.UnixEpoch };
        Assert.Empty(GroupRouting.GroupsForEvent(e));
        Assert.False(GroupRouting.CanSee(new ConnectionIdentity("o", RestaurantA, Role.Owner, []), SubscriptionSet.Default, e));
    }

    [Fact]
    public void Unsubscribed_from_everything_joins_no_group()
    {
        var who = new ConnectionIdentity("k", RestaurantA, Role.Kitchen, []);
        var change = SubscriptionRules.Apply(who, SubscriptionSet.Default, new UnsubscribeMessage(RolePermissions.AllowedEvents(Role.Kitchen)));
        Assert.True(change.Succeeded);
        Assert.Empty(GroupRouting.GroupsFor(who, change.Next));
    }

    [Theory]
    [InlineData(0, 10, "auth-pending.0")]
    [InlineData(9_999, 10, "auth-pending.0")]
    [InlineData(10_000, 10, "auth-pending.10000")]
    [InlineData(10_001, 10, "auth-pending.10000")]
    [InlineData(1_700_000_003_500, 2, "auth-pending.1700000002000")]
    public void Auth_pending_group_is_the_bucket_containing_the_deadline(long deadlineMs, int bucketSeconds, string expected)
    {
        Assert.Equal(expected, GroupRouting.AuthPendingGroup(DateTimeOffset.FromUnixTimeMilliseconds(deadlineMs), TimeSpan.FromSeconds(bucketSeconds)));
    }

    [Fact]
    public void Expired_auth_pending_groups_cover_each_bucket_once_and_never_early()
    {
        var bucket = TimeSpan.FromSeconds(10);
        var start = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
        var closed = new List<string>();
        var last = start;
        for (var t = start; t < start.AddMinutes(2); t = t.AddMilliseconds(3_700))
        {
            closed.AddRange(GroupRouting.ExpiredAuthPendingGroups(last, t, bucket));
            last = t;
        }

        Assert.Equal(closed.Count, closed.Distinct().Count());
        // Every deadline in the window is closed by a sweep at or after the deadline, within two buckets + one tick.
        for (var d = start; d < start.AddSeconds(100); d = d.AddMilliseconds(1_234))
        {
            var group = GroupRouting.AuthPendingGroup(d, bucket);
            Assert.Contains(group, closed);
            var bucketStart = long.Parse(group["auth-pending.".Length..], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(bucketStart + 10_000 > d.ToUnixTimeMilliseconds(), "the bucket ends after the deadline");
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => GroupRouting.AuthPendingGroup(start, TimeSpan.FromMilliseconds(10)));
    }
}

/// <summary>
/// A tiny evaluator for the one OData shape our send filters use (<c>'g' in groups</c> joined by <c>or</c>), with
/// Web PubSub's quote escaping. It refuses anything else, so an unexpected filter fails the test.
/// </summary>
internal static partial class ODataGroups
{
    public static bool Matches(string filter, IReadOnlySet<string> groups) => DeliveryCount(filter, groups) == 1;

    /// <summary>How many copies one send-to-all with this filter gives the connection: 0 or 1.</summary>
    public static int DeliveryCount(string filter, IReadOnlySet<string> groups)
    {
        var clauses = filter.Split(" or ", StringSplitOptions.None);
        var any = false;
        foreach (var clause in clauses)
        {
            var m = Clause().Match(clause);
            Assert.True(m.Success, $"unexpected filter clause: {clause}");
            any |= groups.Contains(m.Groups[1].Value.Replace("''", "'", StringComparison.Ordinal));
        }

        return any ? 1 : 0;
    }

    [GeneratedRegex(@"^'((?:[^']|'')+)' in groups\z")]
    private static partial Regex Clause();
}
