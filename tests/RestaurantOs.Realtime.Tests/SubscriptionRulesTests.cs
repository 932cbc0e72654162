using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Protocol;
using RestaurantOs.Realtime.Routing;

namespace RestaurantOs.Realtime.Tests;

public sealed class SubscriptionRulesTests
{
    private static readonly Guid Restaurant = Guid.NewGuid();

    private static ConnectionIdentity Who(Role role) => new("u", Restaurant, role, role == Role.Customer ? [Guid.NewGuid()] : []);

    private static SubscribeMessage Sub(string? table, params string[] events) =>
        new(events, table is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["table_number"] = table });

    private static string[] Names(SubscriptionSet set, Role role) =>
        [.. set.Effective(role).Select(s => s.TableNumber is null ? s.Event : $"{s.Event}@{s.TableNumber}")];

    [Fact]
    public void The_default_set_is_every_allowed_event_unfiltered()
    {
        foreach (var role in RoleNames.All)
        {
            Assert.Equal(RolePermissions.AllowedEvents(role), Names(SubscriptionSet.Default, role));
        }
    }

    [Fact]
    public void The_first_subscribe_replaces_the_default()
    {
        var change = SubscriptionRules.Apply(Who(Role.Kitchen), SubscriptionSet.Default, Sub(null, "order:created"));
        Assert.True(change.Succeeded);
        Assert.True(change.Next.Explicit);
        Assert.Equal(["order:created"], Names(change.Next, Role.Kitchen));
    }

    [Fact]
    public void Later_subscribes_add()
    {
        var who = Who(Role.Server);
        var first = SubscriptionRules.Apply(who, SubscriptionSet.Default, Sub(null, "order:created")).Next;
        var second = SubscriptionRules.Apply(who, first, Sub("T5", "order:status", "table:updated")).Next;
        Assert.Equal(["order:created", "order:status@T5", "table:updated@T5"], Names(second, Role.Server));
    }

    [Fact]
    public void Unfiltered_replaces_filtered_and_filtered_is_redundant_under_unfiltered()
    {
        var who = Who(Role.Manager);
        var set = SubscriptionRules.Apply(who, SubscriptionSet.Default, Sub("T5", "order:created")).Next;
        set = SubscriptionRules.Apply(who, set, Sub("T6", "order:created")).Next;
        Assert.Equal(["order:created@T5", "order:created@T6"], Names(set, Role.Manager));
        set = SubscriptionRules.Apply(who, set, Sub(null, "order:created")).Next;
        Assert.Equal(["order:created"], Names(set, Role.Manager));
        set = SubscriptionRules.Apply(who, set, Sub("T7", "order:created")).Next;
        Assert.Equal(["order:created"], Names(set, Role.Manager));
    }

    [Theory]
    [InlineData(Role.Kitchen, "payment:processed")]
    [InlineData(Role.Kitchen, "notification:refund")]
    [InlineData(Role.Expo, "payment:processed")]
    [InlineData(Role.Expo, "notification:refund")]
    [InlineData(Role.Kitchen, "table:updated")]
    [InlineData(Role.Cashier, "kds:update")]
    [InlineData(Role.Cashier, "notification:kitchen")]
    [InlineData(Role.Customer, "kds:update")]
    [InlineData(Role.Customer, "table:updated")]
    [InlineData(Role.Customer, "notification:kitchen")]
    [InlineData(Role.Customer, "notification:refund")]
    public void Events_the_role_may_not_receive_are_forbidden_and_nothing_changes(Role role, string type)
    {
        var who = Who(role);
        var current = SubscriptionRules.Apply(who, SubscriptionSet.Default, Sub(null, "order:created")).Next;
        var change = SubscriptionRules.Apply(who, current, Sub(null, "order:updated", type));
        Assert.Equal(ErrorCodes.Forbidden, change.Error?.Code);
        Assert.Same(current, change.Next);
    }

    [Fact]
    public void More_than_ten_subscriptions_is_refused_and_nothing_changes()
    {
        var who = Who(Role.Manager);
        string[] tableScoped = ["order:created", "order:updated", "order:status", "table:updated", "notification:kitchen", "notification:customer", "notification:refund"];
        var set = SubscriptionRules.Apply(who, SubscriptionSet.Default, Sub("T1", tableScoped)).Next;
        Assert.Equal(7, set.Items.Count);
        set = SubscriptionRules.Apply(who, set, Sub("T2", "order:created", "order:updated", "order:status")).Next;
        Assert.Equal(ProtocolLimits.MaxSubscriptions, set.Items.Count);
        var change = SubscriptionRules.Apply(who, set, Sub("T3", "order:created"));
        Assert.Equal(ErrorCodes.SubscriptionLimit, change.Error?.Code);
        Assert.Same(set, change.Next);
        // Replacing filtered ones by an unfiltered one lowers the count and is allowed.
        Assert.True(SubscriptionRules.Apply(who, set, Sub(null, "order:created")).Succeeded);
    }

    [Fact]
    public void All_nine_seed_events_unfiltered_fit_the_limit()
    {
        var seed = EventTypes.Broadcast.Except([EventTypes.PresenceUpdated, EventTypes.StationAlert]).ToList();
        Assert.Equal(9, seed.Count);
        Assert.True(SubscriptionRules.Apply(Who(Role.Owner), SubscriptionSet.Default, new SubscribeMessage(seed, new Dictionary<string, string>())).Succeeded);
    }

    [Fact]
    public void Every_broadcast_event_at_once_is_over_the_limit_but_the_default_set_has_them_all()
    {
        // 11 types: an owner who wants everything keeps the default set (no subscribe) rather than naming each one.
        var all = SubscriptionRules.Apply(Who(Role.Owner), SubscriptionSet.Default, new SubscribeMessage(EventTypes.Broadcast, new Dictionary<string, string>()));
        Assert.Equal(ErrorCodes.SubscriptionLimit, all.Error?.Code);
        Assert.Equal(EventTypes.Broadcast.Count, SubscriptionSet.Default.Effective(Role.Owner).Count);
    }

    [Theory]
    [InlineData("kds:update")]
    [InlineData("payment:processed")]
    public void A_table_filter_on_events_without_a_table_is_refused(string type)
    {
        var change = SubscriptionRules.Apply(Who(Role.Owner), SubscriptionSet.Default, Sub("T5", "order:created", type));
        Assert.Equal(ErrorCodes.InvalidFilter, change.Error?.Code);
        Assert.Same(SubscriptionSet.Default, change.Next);
    }

    [Fact]
    public void Customers_cannot_filter()
    {
        var change = SubscriptionRules.Apply(Who(Role.Customer), SubscriptionSet.Default, Sub("T5", "order:created"));
        Assert.Equal(ErrorCodes.InvalidFilter, change.Error?.Code);
    }

    [Fact]
    public void A_filter_that_breaks_the_rule_is_refused_even_if_built_by_hand()
    {
        var change = SubscriptionRules.Apply(Who(Role.Owner), SubscriptionSet.Default, Sub("T5~payment", "order:created"));
        Assert.Equal(ErrorCodes.InvalidFilter, change.Error?.Code);
    }

    [Fact]
    public void Unsubscribe_from_the_default_leaves_the_rest_explicit()
    {
        var change = SubscriptionRules.Apply(Who(Role.Kitchen), SubscriptionSet.Default, new UnsubscribeMessage(["kds:update"]));
        Assert.True(change.Succeeded);
        Assert.True(change.Next.Explicit);
        Assert.Equal(["order:created", "order:updated", "order:status", "notification:kitchen"], Names(change.Next, Role.Kitchen));
    }

    [Fact]
    public void Unsubscribe_removes_filtered_and_unfiltered_and_ignores_unsubscribed_events()
    {
        var who = Who(Role.Server);
        var set = SubscriptionRules.Apply(who, SubscriptionSet.Default, Sub("T5", "order:created", "order:status")).Next;
        set = SubscriptionRules.Apply(who, set, Sub("T6", "order:created")).Next;
        var change = SubscriptionRules.Apply(who, set, new UnsubscribeMessage(["order:created", "kds:update"]));
        Assert.True(change.Succeeded);
        Assert.Equal(["order:status@T5"], Names(change.Next, Role.Server));
    }

    [Fact]
    public void An_empty_explicit_set_receives_nothing_and_differs_from_the_default()
    {
        var who = Who(Role.Owner);
        var empty = SubscriptionRules.Apply(who, SubscriptionSet.Default, new UnsubscribeMessage(EventTypes.Broadcast)).Next;
        Assert.Empty(empty.Effective(Role.Owner));
        Assert.NotEqual(SubscriptionSet.Default, empty);
        Assert.Equal(["kds:update"], Names(SubscriptionRules.Apply(who, empty, Sub(null, "kds:update")).Next, Role.Owner));
    }

    [Theory]
    [InlineData(Role.Owner, 11)]
    [InlineData(Role.Manager, 11)]
    [InlineData(Role.Service, 11)]
    [InlineData(Role.Server, 9)]
    [InlineData(Role.Cashier, 6)]
    [InlineData(Role.Kitchen, 5)]
    [InlineData(Role.Expo, 8)]
    [InlineData(Role.Customer, 5)]
    public void Role_table_sizes(Role role, int count)
    {
        Assert.Equal(count, RolePermissions.AllowedEvents(role).Count);
        Assert.All(RolePermissions.AllowedEvents(role), e => Assert.True(RolePermissions.CanReceive(role, e)));
        Assert.False(RolePermissions.CanReceive(role, "connected"));
        Assert.False(RolePermissions.CanReceive(role, "order:deleted"));
    }
}
