using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Limits;
using RestaurantOs.Realtime.Orders;
using RestaurantOs.Realtime.Protocol;

namespace RestaurantOs.Realtime.Tests;

public sealed class RateLimiterTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private static (List<RateDecision> Decisions, RateLimitState? State) Send(RateLimitState? state, DateTimeOffset at, int count)
    {
        var decisions = new List<RateDecision>();
        for (var i = 0; i < count; i++)
        {
            decisions.Add(RateLimiter.Check(state, at, out var next));
            state = next;
        }

        return (decisions, state);
    }

    [Fact]
    public void Hundred_messages_a_minute_are_allowed_and_the_101st_is_limited()
    {
        var (decisions, state) = Send(null, T0, 101);
        Assert.All(decisions.Take(100), d => Assert.Equal(RateDecision.Allowed, d));
        Assert.Equal(RateDecision.Limited, decisions[100]);
        Assert.Equal(1, state!.Strikes);
    }

    [Fact]
    public void A_new_window_starts_sixty_seconds_after_the_first_message()
    {
        var (_, state) = Send(null, T0, 101);
        Assert.Equal(RateDecision.Limited, RateLimiter.Check(state, T0.AddSeconds(59.999), out _));
        Assert.Equal(RateDecision.Allowed, RateLimiter.Check(state, T0.AddSeconds(60), out var next));
        Assert.Equal(1, next.Count);
        Assert.Equal(T0.AddSeconds(60).ToUnixTimeMilliseconds(), next.WindowStartMs);
    }

    [Fact]
    public void Twice_the_limit_in_one_window_closes()
    {
        var (decisions, _) = Send(null, T0, RateLimiter.CloseCount);
        Assert.Equal(RateDecision.Close, decisions[^1]);
        Assert.All(decisions.Skip(100).SkipLast(1), d => Assert.Equal(RateDecision.Limited, d));
    }

    [Fact]
    public void Three_limited_windows_in_a_row_close()
    {
        RateLimitState? state = null;
        var last = new List<RateDecision>();
        for (var w = 0; w < 3; w++)
        {
            (last, state) = Send(state, T0.AddSeconds(60 * w), 101);
        }

        Assert.Equal(RateDecision.Close, last[^1]);
        Assert.Equal(3, state!.Strikes);
    }

    [Fact]
    public void A_quiet_window_forgives_strikes()
    {
        var (_, state) = Send(null, T0, 101);
        (_, state) = Send(state, T0.AddSeconds(60), 101);
        Assert.Equal(2, state!.Strikes);
        (_, state) = Send(state, T0.AddSeconds(120), 10); // a window within the limit
        (var decisions, state) = Send(state, T0.AddSeconds(180), 101);
        Assert.Equal(RateDecision.Limited, decisions[^1]);
        Assert.Equal(1, state!.Strikes);
    }

    [Fact]
    public void A_gap_of_more_than_a_window_forgives_strikes()
    {
        var (_, state) = Send(null, T0, 101);
        (_, state) = Send(state, T0.AddSeconds(60), 101);
        (var decisions, state) = Send(state, T0.AddMinutes(10), 101);
        Assert.Equal(RateDecision.Limited, decisions[^1]);
        Assert.Equal(1, state!.Strikes);
    }

    [Fact]
    public void A_clock_that_goes_back_starts_a_fresh_window()
    {
        var (_, state) = Send(null, T0, 150);
        Assert.Equal(RateDecision.Allowed, RateLimiter.Check(state, T0.AddSeconds(-5), out var next));
        Assert.Equal(1, next.Count);
    }
}

public sealed class OrderLifecycleTests
{
    private static readonly HashSet<(OrderStatus, OrderStatus)> Allowed =
    [
        (OrderStatus.New, OrderStatus.Pending),
        (OrderStatus.Pending, OrderStatus.Confirmed),
        (OrderStatus.Confirmed, OrderStatus.Preparing),
        (OrderStatus.Preparing, OrderStatus.Ready),
        (OrderStatus.Ready, OrderStatus.Served),
        (OrderStatus.Ready, OrderStatus.PickedUp),
        (OrderStatus.Ready, OrderStatus.Completed),
        (OrderStatus.Served, OrderStatus.Completed),
        (OrderStatus.PickedUp, OrderStatus.Completed),
        (OrderStatus.New, OrderStatus.Cancelled),
        (OrderStatus.Pending, OrderStatus.Cancelled),
        (OrderStatus.Confirmed, OrderStatus.Cancelled),
        (OrderStatus.Preparing, OrderStatus.Cancelled),
        (OrderStatus.Ready, OrderStatus.Cancelled),
        (OrderStatus.Served, OrderStatus.Cancelled),
        (OrderStatus.PickedUp, OrderStatus.Cancelled),
    ];

    public static TheoryData<OrderStatus, OrderStatus> AllPairs()
    {
        var data = new TheoryData<OrderStatus, OrderStatus>();
        foreach (var from in Enum.GetValues<OrderStatus>())
        {
            foreach (var to in Enum.GetValues<OrderStatus>())
            {
                data.Add(from, to);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllPairs))]
    public void Transition_table(OrderStatus from, OrderStatus to)
    {
        Assert.Equal(Allowed.Contains((from, to)), OrderLifecycle.CanTransition(from, to));
    }

    [Theory]
    [InlineData(OrderStatus.Completed, true)]
    [InlineData(OrderStatus.Cancelled, true)]
    [InlineData(OrderStatus.New, false)]
    [InlineData(OrderStatus.Pending, false)]
    [InlineData(OrderStatus.Confirmed, false)]
    [InlineData(OrderStatus.Preparing, false)]
    [InlineData(OrderStatus.Ready, false)]
    [InlineData(OrderStatus.Served, false)]
    [InlineData(OrderStatus.PickedUp, false)]
    public void Final_and_active(OrderStatus status, bool final)
    {
        Assert.Equal(final, OrderLifecycle.IsFinal(status));
        Assert.Equal(!final, OrderLifecycle.IsActive(status));
    }

    [Fact]
    public void ApplyStatus_returns_the_next_version()
    {
        var created = new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
        var order = TestData.Order(status: OrderStatus.Preparing, version: 4, createdAt: created);
        var now = created.AddMinutes(9);
        var next = OrderLifecycle.ApplyStatus(order, OrderStatus.Ready, now);
        Assert.Equal(OrderStatus.Ready, next.Status);
        Assert.Equal(OrderStatus.Preparing, next.PreviousStatus);
        Assert.Equal(5, next.Version);
        Assert.Equal(5, next.StatusVersion);
        Assert.Equal(now, next.UpdatedAt);
        Assert.Equal(order.Items, next.Items);
        Assert.Equal(order.Total, next.Total);
    }

    [Fact]
    public void ApplyStatus_throws_for_an_illegal_transition()
    {
        var order = TestData.Order(status: OrderStatus.Completed);
        Assert.Throws<InvalidOperationException>(() => OrderLifecycle.ApplyStatus(order, OrderStatus.Ready, DateTimeOffset.UnixEpoch));
        Assert.Throws<InvalidOperationException>(() => OrderLifecycle.ApplyStatus(TestData.Order(status: OrderStatus.Ready), OrderStatus.Ready, DateTimeOffset.UnixEpoch));
    }
}
