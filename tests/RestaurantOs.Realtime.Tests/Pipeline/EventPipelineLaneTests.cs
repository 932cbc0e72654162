using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Events;
using RestaurantOs.Realtime.Ports;

namespace RestaurantOs.Realtime.Tests.Pipeline;

/// <summary>
/// The event pipeline's lanes: per-restaurant seq order on the wire, real overlap across restaurants within the
/// configured bound, a checkpoint only after every lane of a page finished, and a failed lane repeating its page;
/// with pumps running at once, a page read while another publishes, in order per restaurant and checkpointed in
/// read order.
/// </summary>
public sealed class EventPipelineLaneTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(1, 100)]
    [InlineData(8, 37)]
    [InlineData(64, 250)]
    public async Task Each_restaurant_is_published_once_per_event_in_seq_and_commit_order(int maxConcurrency, int batchSize)
    {
        var changes = PipelineRig.OrderChanges(restaurants: 40, changesEach: 15, seed: maxConcurrency);
        using var rig = new PipelineRig(changes, maxConcurrency, batchSize);

        var published = await rig.Pipeline.PumpAsync(Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(changes.Count, published);
        foreach (var restaurant in changes.GroupBy(c => c.RestaurantId))
        {
            var expectedIds = restaurant.SelectMany(ChangeEventMapper.Map).Select(e => e.Id).ToList();
            var wire = rig.Journal.Published.Where(e => e.RestaurantId == restaurant.Key).ToList();
            Assert.Equal(Enumerable.Range(1, expectedIds.Count).Select(i => (long)i), wire.Select(e => e.Seq!.Value));
            Assert.Equal(expectedIds, wire.Select(e => e.Id));
        }

        Assert.Equal(changes.Count, rig.Feed.Position);
    }

    [Fact]
    public async Task Different_restaurants_are_in_flight_at_the_same_time()
    {
        const int MaxConcurrency = 6;
        var changes = PipelineRig.OrderChanges(restaurants: 20, changesEach: 3, seed: 7);
        using var rig = new PipelineRig(changes, MaxConcurrency);
        // Holds every publish until MaxConcurrency distinct restaurants are publishing at once. Serial lanes never
        // get there and time out; once reached, the gate stays open.
        var waiting = new HashSet<Guid>();
        var allThere = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        rig.Publisher.BeforePublish = async (e, ct) =>
        {
            lock (waiting)
            {
                waiting.Add(e.RestaurantId!.Value);
                if (waiting.Count >= MaxConcurrency)
                {
                    allThere.TrySetResult();
                }
            }

            await allThere.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        };

        await rig.Pipeline.PumpAsync(Ct).WaitAsync(Timeout, Ct);

        Assert.True(allThere.Task.IsCompletedSuccessfully);
        Assert.Equal(MaxConcurrency, rig.Journal.MaxInFlight);
        Assert.Equal(changes.Count, rig.Journal.Published.Count);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(16)]
    public async Task Never_more_than_MaxConcurrency_lanes_have_a_call_outstanding(int maxConcurrency)
    {
        var changes = PipelineRig.OrderChanges(restaurants: 50, changesEach: 4, seed: 11);
        using var rig = new PipelineRig(changes, maxConcurrency, batchSize: 200);

        await rig.Pipeline.PumpAsync(Ct).WaitAsync(Timeout, Ct);

        Assert.InRange(rig.Journal.MaxInFlight, 1, maxConcurrency);
        Assert.Equal(changes.Count, rig.Journal.Published.Count);
    }

    [Fact]
    public async Task A_lane_appends_its_events_with_one_history_call_per_page()
    {
        var changes = PipelineRig.OrderChanges(restaurants: 12, changesEach: 5, seed: 3);
        using var rig = new PipelineRig(changes, maxConcurrency: 4, batchSize: changes.Count);

        await rig.Pipeline.PumpAsync(Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(12, rig.History.BatchAppends);
    }

    [Fact]
    public async Task A_page_is_checkpointed_only_after_every_lane_of_it_published_and_before_the_next_page_starts()
    {
        var changes = PipelineRig.OrderChanges(restaurants: 30, changesEach: 8, seed: 5);
        using var rig = new PipelineRig(changes, maxConcurrency: 8, batchSize: 25);
        var changeOf = changes
            .Select((change, index) => (change, index))
            .SelectMany(c => ChangeEventMapper.Map(c.change).Select(e => (e.Id, c.index)))
            .ToDictionary(p => p.Id, p => p.index);

        await rig.Pipeline.PumpAsync(Ct).WaitAsync(Timeout, Ct);

        var entries = rig.Journal.Entries;
        var checkpoints = entries.Select((e, i) => (e, i)).Where(x => x.e.Kind == "checkpoint").ToList();
        Assert.Equal([25, 50, 75, 100, 125, 150, 175, 200, 225, 240], checkpoints.Select(c => c.e.Position));
        foreach (var (checkpoint, at) in checkpoints)
        {
            // Everything before the position was published before the checkpoint; nothing after it was.
            Assert.All(entries.Take(at).Where(e => e.Kind == "publish"), e => Assert.True(changeOf[e.Event!.Id!] < checkpoint.Position));
            Assert.All(entries.Skip(at).Where(e => e.Kind == "publish"), e => Assert.True(changeOf[e.Event!.Id!] >= checkpoint.Position));
        }
    }

    [Fact]
    public async Task A_failed_lane_holds_the_checkpoint_and_the_next_pump_republishes_the_same_ids_and_seqs()
    {
        var changes = PipelineRig.OrderChanges(restaurants: 10, changesEach: 6, seed: 9);
        var broken = changes[0].RestaurantId;
        using var rig = new PipelineRig(changes, maxConcurrency: 4);
        // Crash between append and publish: the broken restaurant's third event is appended but never published.
        rig.Publisher.BeforePublish = (e, _) =>
            e.RestaurantId == broken && e.Seq == 3 ? throw new HttpRequestException("service unavailable") : Task.CompletedTask;

        var failure = await Assert.ThrowsAsync<AggregateException>(() => rig.Pipeline.PumpAsync(Ct)).WaitAsync(Timeout, Ct);

        Assert.IsType<HttpRequestException>(Assert.Single(failure.InnerExceptions));
        Assert.Empty(rig.Journal.Checkpoints);
        Assert.Equal(0, rig.Feed.Position);
        var firstTry = rig.Journal.Published.Where(e => e.RestaurantId == broken).ToList();
        Assert.Equal([1L, 2], firstTry.Select(e => e.Seq!.Value));
        // The other restaurants were not held back by the broken one.
        Assert.Equal(changes.Count(c => c.RestaurantId != broken), rig.Journal.Published.Count(e => e.RestaurantId != broken));
        var appended = rig.History.Stored(broken);
        Assert.Equal(6, appended.Count);

        rig.Publisher.BeforePublish = null;
        var before = rig.Journal.Published.Count;
        await rig.Pipeline.PumpAsync(Ct).WaitAsync(Timeout, Ct);

        var secondTry = rig.Journal.Published.Skip(before).Where(e => e.RestaurantId == broken).ToList();
        Assert.Equal(appended.Select(e => (e.Id, e.Seq)), secondTry.Select(e => (e.Id, e.Seq)));
        Assert.Equal(appended, rig.History.Stored(broken));
        Assert.Equal([changes.Count], rig.Journal.Checkpoints);
        // At least once, nothing skipped: every event of every restaurant reached the wire with seq 1..n.
        foreach (var restaurant in changes.GroupBy(c => c.RestaurantId))
        {
            var seqs = rig.Journal.Published.Where(e => e.RestaurantId == restaurant.Key).Select(e => e.Seq!.Value).Distinct().Order();
            Assert.Equal(Enumerable.Range(1, restaurant.Count()).Select(i => (long)i), seqs);
        }
    }

    [Fact]
    public async Task A_persistently_failing_restaurant_holds_the_feed_position_and_never_publishes_past_its_failure()
    {
        var changes = PipelineRig.OrderChanges(restaurants: 5, changesEach: 4, seed: 13);
        var broken = changes[^1].RestaurantId;
        using var rig = new PipelineRig(changes, maxConcurrency: 5);
        rig.Publisher.BeforePublish = (e, _) =>
            e.RestaurantId == broken && e.Seq == 2 ? throw new HttpRequestException("payload rejected") : Task.CompletedTask;

        for (var attempt = 0; attempt < 3; attempt++)
        {
            await Assert.ThrowsAsync<AggregateException>(() => rig.Pipeline.PumpAsync(Ct)).WaitAsync(Timeout, Ct);
        }

        Assert.Empty(rig.Journal.Checkpoints);
        Assert.Equal([1L, 1, 1], rig.Journal.Published.Where(e => e.RestaurantId == broken).Select(e => e.Seq!.Value));
        Assert.Equal(4, rig.History.Stored(broken).Count);
    }

    [Fact]
    public async Task An_unreadable_change_is_skipped_without_holding_its_lane()
    {
        var restaurant = Guid.NewGuid();
        var order = Guid.NewGuid();
        var unreadable = new StoreChange(
            "change-bad", DocumentKind.Order, restaurant, "x", System.Text.Json.JsonDocument.Parse("""{"id":"nope"}""").RootElement, DateTimeOffset.UnixEpoch);
        StoreChange[] changes = [PipelineRig.OrderChange(restaurant, order, 1, 0), unreadable, PipelineRig.OrderChange(restaurant, order, 2, 2)];
        using var rig = new PipelineRig(changes, maxConcurrency: 2);

        var published = await rig.Pipeline.PumpAsync(Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(2, published);
        Assert.Equal([EventTypes.OrderCreated, EventTypes.OrderUpdated], rig.Journal.Published.Select(e => e.Type));
        Assert.Equal([3], rig.Journal.Checkpoints);
    }

    /// <summary>Holds every publish of one restaurant until released; reports when the first one is held.</summary>
    private sealed class PublishHold(Guid restaurant)
    {
        private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<Exception?> _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Held => _held.Task;

        public void Release(Exception? failure = null) => _release.TrySetResult(failure);

        public async Task BeforePublishAsync(RealtimeEvent e, CancellationToken ct)
        {
            if (e.RestaurantId != restaurant)
            {
                return;
            }

            _held.TrySetResult();
            if (await _release.Task.WaitAsync(ct) is { } failure)
            {
                throw failure;
            }
        }
    }

    private static async Task UntilAsync(Func<bool> condition)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(Timeout);
        while (!condition())
        {
            await Task.Delay(5, timeout.Token);
        }
    }

    [Fact]
    public async Task A_second_pump_reads_and_publishes_a_new_write_while_the_first_is_still_publishing()
    {
        var (a, b) = (Guid.NewGuid(), Guid.NewGuid());
        using var rig = new PipelineRig([PipelineRig.OrderChange(a, Guid.NewGuid(), 1, 0)], maxConcurrency: 4);
        var hold = new PublishHold(a);
        rig.Publisher.BeforePublish = hold.BeforePublishAsync;

        var first = rig.Pipeline.PumpAsync(Ct);
        await hold.Held.WaitAsync(Timeout, Ct);
        rig.Feed.Commit(PipelineRig.OrderChange(b, Guid.NewGuid(), 1, 1));
        var second = rig.Pipeline.PumpAsync(Ct);
        await UntilAsync(() => rig.Journal.Published.Any(e => e.RestaurantId == b));

        // B went out while A's page was still publishing; B's page read on after A's, not from the checkpoint, and
        // is not checkpointed before the page read ahead of it.
        Assert.DoesNotContain(rig.Journal.Published, e => e.RestaurantId == a);
        Assert.Equal([0, 1], rig.Feed.ReadsFrom);
        await Task.Delay(50, Ct);
        Assert.Empty(rig.Journal.Checkpoints);
        Assert.False(second.IsCompleted);

        hold.Release();
        Assert.Equal(1, await first.WaitAsync(Timeout, Ct));
        Assert.Equal(1, await second.WaitAsync(Timeout, Ct));
        Assert.Equal([1, 2], rig.Journal.Checkpoints);
    }

    [Fact]
    public async Task A_restaurants_lane_in_a_later_page_waits_for_its_lane_in_the_earlier_page()
    {
        var (a, order) = (Guid.NewGuid(), Guid.NewGuid());
        using var rig = new PipelineRig([PipelineRig.OrderChange(a, order, 1, 0)], maxConcurrency: 4);
        var hold = new PublishHold(a);
        rig.Publisher.BeforePublish = hold.BeforePublishAsync;

        var first = rig.Pipeline.PumpAsync(Ct);
        await hold.Held.WaitAsync(Timeout, Ct);
        rig.Feed.Commit(PipelineRig.OrderChange(a, order, 2, 1));
        var second = rig.Pipeline.PumpAsync(Ct);
        await UntilAsync(() => rig.Feed.Reads == 2);
        await Task.Delay(50, Ct);

        // The later lane has not even appended: its seq would be taken before the earlier lane's events went out.
        Assert.Single(rig.History.Stored(a));
        hold.Release();
        await Task.WhenAll(first, second).WaitAsync(Timeout, Ct);

        var wire = rig.Journal.Published.Where(e => e.RestaurantId == a).ToList();
        Assert.Equal([1L, 2], wire.Select(e => e.Seq!.Value));
        Assert.Equal([EventTypes.OrderCreated, EventTypes.OrderUpdated], wire.Select(e => e.Type));
        Assert.Equal([1, 2], rig.Journal.Checkpoints);
    }

    [Fact]
    public async Task A_lane_that_fails_holds_its_restaurants_later_lane_and_every_later_checkpoint_then_all_is_read_again()
    {
        var (a, b, order) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        using var rig = new PipelineRig([PipelineRig.OrderChange(a, order, 1, 0)], maxConcurrency: 4);
        var hold = new PublishHold(a);
        rig.Publisher.BeforePublish = hold.BeforePublishAsync;

        var first = rig.Pipeline.PumpAsync(Ct);
        await hold.Held.WaitAsync(Timeout, Ct);
        rig.Feed.Commit(PipelineRig.OrderChange(a, order, 2, 1), PipelineRig.OrderChange(b, Guid.NewGuid(), 1, 2));
        var second = rig.Pipeline.PumpAsync(Ct);
        await UntilAsync(() => rig.Journal.Published.Any(e => e.RestaurantId == b));
        // Crash between append and publish of A's first event, with A's next change already read.
        hold.Release(new HttpRequestException("service unavailable"));

        var failure = await Assert.ThrowsAsync<AggregateException>(() => first).WaitAsync(Timeout, Ct);
        Assert.IsType<HttpRequestException>(Assert.Single(failure.InnerExceptions));
        Assert.Equal(1, await second.WaitAsync(Timeout, Ct)); // B only; A's later lane was held, not failed
        Assert.Empty(rig.Journal.Checkpoints);
        Assert.DoesNotContain(rig.Journal.Published, e => e.RestaurantId == a);
        Assert.Single(rig.History.Stored(a)); // the held lane never appended

        rig.Publisher.BeforePublish = null;
        await rig.Pipeline.PumpAsync(Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(0, rig.Feed.ReadsFrom[^1]); // read again from the checkpoint, not from where the failed pages ended
        Assert.Equal([1L, 2], rig.Journal.Published.Where(e => e.RestaurantId == a).Select(e => e.Seq!.Value));
        Assert.Equal([1L, 1], rig.Journal.Published.Where(e => e.RestaurantId == b).Select(e => e.Seq!.Value)); // at least once
        Assert.Equal([3], rig.Journal.Checkpoints);
    }

    [Fact]
    public async Task Many_pumps_at_once_over_a_growing_feed_publish_every_event_in_seq_order_per_restaurant()
    {
        var changes = PipelineRig.OrderChanges(restaurants: 12, changesEach: 10, seed: 21);
        using var rig = new PipelineRig([], maxConcurrency: 8, batchSize: 7);
        var pumps = new List<Task<int>>();
        for (var i = 0; i < changes.Count; i += 6)
        {
            rig.Feed.Commit([.. changes.Skip(i).Take(6)]);
            pumps.Add(rig.Pipeline.PumpAsync(Ct));
            pumps.Add(rig.Pipeline.PumpAsync(Ct));
            await Task.Delay(1, Ct);
        }

        var published = (await Task.WhenAll(pumps).WaitAsync(Timeout, Ct)).Sum();
        published += await rig.Pipeline.PumpAsync(Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(changes.Count, published);
        Assert.Equal(changes.Count, rig.Journal.Published.Count); // nothing failed, so nothing repeated
        foreach (var restaurant in changes.GroupBy(c => c.RestaurantId))
        {
            var wire = rig.Journal.Published.Where(e => e.RestaurantId == restaurant.Key).Select(e => e.Seq!.Value);
            Assert.Equal(Enumerable.Range(1, restaurant.Count()).Select(i => (long)i), wire);
        }

        Assert.Equal(changes.Count, rig.Journal.Checkpoints[^1]);
        Assert.Equal(rig.Journal.Checkpoints.Order(), rig.Journal.Checkpoints); // in read order
    }
}
