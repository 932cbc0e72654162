using System.Text.Json;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Protocol;

namespace RestaurantOs.Storage.Tests.Contract;

/// <summary>
/// The behaviour every store implementation must have (STYLE.md item 14). Subclasses open stores on one
/// database per test instance; <see cref="OpenStoresAsync"/> called again opens the same database (a restart).
/// </summary>
public abstract class StoreContractTests : IAsyncLifetime
{
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly List<StoreSet> opened = [];

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Opens stores over this test's database; <paramref name="settings"/> adds configuration.</summary>
    protected abstract Task<StoreSet> CreateStoresAsync(IReadOnlyDictionary<string, string?> settings);

    /// <summary>Cosmos LatestVersion change feed reports only the newest version of an item changed twice between reads.</summary>
    protected virtual bool FeedCoalescesUpdates => false;

    /// <summary>A consumer name unique to this test (Cosmos databases may be shared between runs).</summary>
    protected string Consumer(string name) => $"{name}-{testId:N}";

    private readonly Guid testId = Guid.NewGuid();

    protected async Task<StoreSet> OpenStoresAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var set = await CreateStoresAsync(settings ?? new Dictionary<string, string?>()).WaitAsync(Timeout, Ct);
        opened.Add(set);
        return set;
    }

    protected static async Task CloseAsync(StoreSet set) => await set.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);

    public virtual ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public virtual async ValueTask DisposeAsync()
    {
        foreach (var set in opened)
        {
            await set.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    // ---------------------------------------------------------------- orders

    [Fact]
    public async Task Created_order_reads_back_equal()
    {
        var stores = await OpenStoresAsync();
        var order = Samples.Order(Guid.NewGuid());

        var created = await stores.Orders.CreateAsync(order, Ct).WaitAsync(Timeout, Ct);
        var read = await stores.Orders.GetAsync(order.RestaurantId, order.Id, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(WriteStatus.Ok, created.Status);
        Assert.NotNull(read);
        AssertSameOrder(order, read);
    }

    [Fact]
    public async Task Missing_order_reads_as_null()
    {
        var stores = await OpenStoresAsync();

        Assert.Null(await stores.Orders.GetAsync(Guid.NewGuid(), Guid.NewGuid(), Ct).WaitAsync(Timeout, Ct));
    }

    [Fact]
    public async Task Creating_an_existing_order_is_a_conflict_carrying_the_stored_document()
    {
        var stores = await OpenStoresAsync();
        var order = Samples.Order(Guid.NewGuid(), number: "first");
        await stores.Orders.CreateAsync(order, Ct).WaitAsync(Timeout, Ct);

        var again = await stores.Orders.CreateAsync(order with { OrderNumber = "second" }, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(WriteStatus.Conflict, again.Status);
        Assert.Equal("first", again.Value?.OrderNumber);
        Assert.Equal("first", (await stores.Orders.GetAsync(order.RestaurantId, order.Id, Ct).WaitAsync(Timeout, Ct))?.OrderNumber);
    }

    [Fact]
    public async Task Replace_with_the_expected_version_commits_the_next_version()
    {
        var stores = await OpenStoresAsync();
        var order = Samples.Order(Guid.NewGuid());
        await stores.Orders.CreateAsync(order, Ct).WaitAsync(Timeout, Ct);
        var next = Samples.Next(order, OrderStatus.Confirmed);

        var replaced = await stores.Orders.ReplaceAsync(next, 1, Ct).WaitAsync(Timeout, Ct);
        var read = await stores.Orders.GetAsync(order.RestaurantId, order.Id, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(WriteStatus.Ok, replaced.Status);
        Assert.Equal(2, read?.Version);
        Assert.Equal(OrderStatus.Confirmed, read?.Status);
        Assert.Equal(OrderStatus.Pending, read?.PreviousStatus);
    }

    [Fact]
    public async Task Replace_with_a_stale_version_is_a_conflict_carrying_the_current_document_and_changes_nothing()
    {
        var stores = await OpenStoresAsync();
        var order = Samples.Order(Guid.NewGuid());
        await stores.Orders.CreateAsync(order, Ct).WaitAsync(Timeout, Ct);
        var v2 = Samples.Next(order, OrderStatus.Confirmed);
        await stores.Orders.ReplaceAsync(v2, 1, Ct).WaitAsync(Timeout, Ct);

        // A writer that still holds version 1.
        var stale = await stores.Orders.ReplaceAsync(Samples.Next(order, OrderStatus.Cancelled), 1, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(WriteStatus.Conflict, stale.Status);
        Assert.Equal(2, stale.Value?.Version);
        Assert.Equal(OrderStatus.Confirmed, stale.Value?.Status);
        Assert.Equal(OrderStatus.Confirmed, (await stores.Orders.GetAsync(order.RestaurantId, order.Id, Ct).WaitAsync(Timeout, Ct))?.Status);
    }

    [Fact]
    public async Task Replacing_a_missing_order_is_not_found()
    {
        var stores = await OpenStoresAsync();
        var order = Samples.Order(Guid.NewGuid());

        var result = await stores.Orders.ReplaceAsync(Samples.Next(order, OrderStatus.Confirmed), 1, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(WriteStatus.NotFound, result.Status);
        Assert.Null(result.Value);
    }

    [Fact]
    public async Task Version_rule_violations_are_programmer_errors()
    {
        var stores = await OpenStoresAsync();
        var order = Samples.Order(Guid.NewGuid());

        await Assert.ThrowsAsync<ArgumentException>(() => stores.Orders.CreateAsync(order with { Version = 2 }, Ct)).WaitAsync(Timeout, Ct);
        await stores.Orders.CreateAsync(order, Ct).WaitAsync(Timeout, Ct);
        await Assert.ThrowsAsync<ArgumentException>(() => stores.Orders.ReplaceAsync(order with { Version = 3 }, 1, Ct)).WaitAsync(Timeout, Ct);
        Assert.Equal(1, (await stores.Orders.GetAsync(order.RestaurantId, order.Id, Ct).WaitAsync(Timeout, Ct))?.Version);
    }

    [Fact]
    public async Task List_active_returns_open_orders_oldest_first()
    {
        var stores = await OpenStoresAsync();
        var restaurant = Guid.NewGuid();
        var newest = Samples.Order(restaurant, createdAt: Samples.T0.AddMinutes(10), number: "newest");
        var oldest = Samples.Order(restaurant, createdAt: Samples.T0, number: "oldest");
        var done = Samples.Order(restaurant, status: OrderStatus.Completed, createdAt: Samples.T0.AddMinutes(1));
        var cancelled = Samples.Order(restaurant, createdAt: Samples.T0.AddMinutes(2));
        var pickedUp = Samples.Order(restaurant, status: OrderStatus.PickedUp, createdAt: Samples.T0.AddMinutes(5), number: "picked");
        foreach (var o in new[] { newest, oldest, done, cancelled, pickedUp })
        {
            await stores.Orders.CreateAsync(o, Ct).WaitAsync(Timeout, Ct);
        }

        await stores.Orders.ReplaceAsync(Samples.Next(cancelled, OrderStatus.Cancelled), 1, Ct).WaitAsync(Timeout, Ct);

        var active = await stores.Orders.ListActiveAsync(restaurant, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(new[] { "oldest", "picked", "newest" }, active.Select(o => o.OrderNumber));
    }

    // ---------------------------------------------------------------- tenants

    [Fact]
    public async Task A_restaurant_never_reads_another_restaurants_data()
    {
        var stores = await OpenStoresAsync();
        var a = Guid.NewGuid();
        var b = Guid.NewGuid();
        var order = Samples.Order(a);
        var table = Samples.Table(a);
        await stores.Orders.CreateAsync(order, Ct).WaitAsync(Timeout, Ct);
        await stores.Tables.UpsertAsync(table, null, Ct).WaitAsync(Timeout, Ct);
        await stores.Payments.CreateAsync(Samples.Payment(a, order.Id), Ct).WaitAsync(Timeout, Ct);
        await stores.History.AppendAsync(Samples.Event(a), Ct).WaitAsync(Timeout, Ct);

        Assert.Null(await stores.Orders.GetAsync(b, order.Id, Ct).WaitAsync(Timeout, Ct));
        Assert.Empty(await stores.Orders.ListActiveAsync(b, Ct).WaitAsync(Timeout, Ct));
        Assert.Null(await stores.Tables.GetAsync(b, table.Id, Ct).WaitAsync(Timeout, Ct));
        Assert.Empty(await stores.Tables.ListAsync(b, Ct).WaitAsync(Timeout, Ct));
        Assert.Empty(await stores.Payments.ListForOrderAsync(b, order.Id, Ct).WaitAsync(Timeout, Ct));
        var history = await stores.History.ReadAfterAsync(b, 0, 100, Ct).WaitAsync(Timeout, Ct);
        Assert.Empty(history.Events);
        Assert.Equal(0, history.LatestSeq);

        // The same ids under another restaurant are other documents, not conflicts.
        var replaceAcross = await stores.Orders.ReplaceAsync(Samples.Next(order with { RestaurantId = b }, OrderStatus.Confirmed), 1, Ct).WaitAsync(Timeout, Ct);
        Assert.Equal(WriteStatus.NotFound, replaceAcross.Status);
        Assert.Equal(WriteStatus.Ok, (await stores.Orders.CreateAsync(order with { RestaurantId = b }, Ct).WaitAsync(Timeout, Ct)).Status);
        Assert.Equal(OrderStatus.Pending, (await stores.Orders.GetAsync(a, order.Id, Ct).WaitAsync(Timeout, Ct))?.Status);
    }

    // ---------------------------------------------------------------- tables, payments, notifications

    [Fact]
    public async Task Table_upsert_creates_replaces_and_detects_conflicts()
    {
        var stores = await OpenStoresAsync();
        var restaurant = Guid.NewGuid();
        var t2 = Samples.Table(restaurant, "T2");
        var t1 = Samples.Table(restaurant, "T1");

        Assert.Equal(WriteStatus.Ok, (await stores.Tables.UpsertAsync(t2, null, Ct).WaitAsync(Timeout, Ct)).Status);
        Assert.Equal(WriteStatus.Ok, (await stores.Tables.UpsertAsync(t1, null, Ct).WaitAsync(Timeout, Ct)).Status);
        var duplicate = await stores.Tables.UpsertAsync(t1 with { Seats = 9 }, null, Ct).WaitAsync(Timeout, Ct);
        var occupied = t1 with { Status = TableStatus.Occupied, Version = 2 };
        var replaced = await stores.Tables.UpsertAsync(occupied, 1, Ct).WaitAsync(Timeout, Ct);
        var stale = await stores.Tables.UpsertAsync(t1 with { Status = TableStatus.Cleaning, Version = 2 }, 1, Ct).WaitAsync(Timeout, Ct);
        var missing = await stores.Tables.UpsertAsync(Samples.Table(restaurant, "T3") with { Version = 2 }, 1, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(WriteStatus.Conflict, duplicate.Status);
        Assert.Equal(4, duplicate.Value?.Seats);
        Assert.Equal(WriteStatus.Ok, replaced.Status);
        Assert.Equal(WriteStatus.Conflict, stale.Status);
        Assert.Equal(TableStatus.Occupied, stale.Value?.Status);
        Assert.Equal(WriteStatus.NotFound, missing.Status);
        var list = await stores.Tables.ListAsync(restaurant, Ct).WaitAsync(Timeout, Ct);
        Assert.Equal(new[] { "T1", "T2" }, list.Select(t => t.Label));
        Assert.Equal(occupied, list[0]);
        Assert.Equal(occupied, await stores.Tables.GetAsync(restaurant, t1.Id, Ct).WaitAsync(Timeout, Ct));
    }

    [Fact]
    public async Task Payments_are_created_once_and_listed_per_order()
    {
        var stores = await OpenStoresAsync();
        var restaurant = Guid.NewGuid();
        var orderId = Guid.NewGuid();
        var first = Samples.Payment(restaurant, orderId, 1000, Samples.T0);
        var second = Samples.Payment(restaurant, orderId, 404, Samples.T0.AddMinutes(1));
        var other = Samples.Payment(restaurant, Guid.NewGuid());

        await stores.Payments.CreateAsync(second, Ct).WaitAsync(Timeout, Ct);
        await stores.Payments.CreateAsync(first, Ct).WaitAsync(Timeout, Ct);
        await stores.Payments.CreateAsync(other, Ct).WaitAsync(Timeout, Ct);
        var retry = await stores.Payments.CreateAsync(first with { Amount = 1 }, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(WriteStatus.Conflict, retry.Status);
        Assert.Equal(1000, retry.Value?.Amount);
        Assert.Equal(new[] { first, second }, await stores.Payments.ListForOrderAsync(restaurant, orderId, Ct).WaitAsync(Timeout, Ct));
    }

    [Fact]
    public async Task Notifications_are_created_once()
    {
        var stores = await OpenStoresAsync();
        var notification = Samples.Notification(Guid.NewGuid(), Guid.NewGuid());

        var created = await stores.Notifications.CreateAsync(notification, Ct).WaitAsync(Timeout, Ct);
        var again = await stores.Notifications.CreateAsync(notification with { Message = "other" }, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(WriteStatus.Ok, created.Status);
        Assert.Equal(WriteStatus.Conflict, again.Status);
        Assert.Equal(notification, again.Value);
    }

    // ---------------------------------------------------------------- change feed

    [Fact]
    public async Task Every_committed_write_appears_once_in_commit_order_with_the_document_after_the_write()
    {
        var stores = await OpenStoresAsync();
        var restaurant = Guid.NewGuid();
        var consumer = Consumer("events");
        var order = Samples.Order(restaurant);
        var table = Samples.Table(restaurant);
        var payment = Samples.Payment(restaurant, order.Id);
        var notification = Samples.Notification(restaurant, order.Id);

        await stores.Orders.CreateAsync(order, Ct).WaitAsync(Timeout, Ct);
        if (FeedCoalescesUpdates)
        {
            // Let the feed see version 1 before version 2 is written (LatestVersion mode keeps only the newest).
            Assert.Single(await DrainAsync(stores, consumer, restaurant));
        }

        var v2 = Samples.Next(order, OrderStatus.Confirmed);
        await stores.Orders.ReplaceAsync(v2, 1, Ct).WaitAsync(Timeout, Ct);
        await stores.Orders.ReplaceAsync(Samples.Next(order, OrderStatus.Cancelled), 1, Ct).WaitAsync(Timeout, Ct); // conflict: no change
        await stores.Orders.CreateAsync(order, Ct).WaitAsync(Timeout, Ct); // conflict: no change
        await stores.Orders.CreateAsync(Samples.Order(Guid.NewGuid()), Ct).WaitAsync(Timeout, Ct); // another restaurant
        await stores.Tables.UpsertAsync(table, null, Ct).WaitAsync(Timeout, Ct);
        await stores.Payments.CreateAsync(payment, Ct).WaitAsync(Timeout, Ct);
        await stores.Notifications.CreateAsync(notification, Ct).WaitAsync(Timeout, Ct);

        var changes = await DrainAsync(stores, consumer, restaurant);

        var expected = new List<(DocumentKind, string, int)>
        {
            (DocumentKind.Order, order.Id.ToString(), 2),
            (DocumentKind.Table, table.Id.ToString(), 1),
            (DocumentKind.Payment, payment.Id.ToString(), 1),
            (DocumentKind.Notification, notification.Id.ToString(), 1),
        };
        if (!FeedCoalescesUpdates)
        {
            expected.Insert(0, (DocumentKind.Order, order.Id.ToString(), 1));
        }

        // Payments and notifications carry no version field: they are written once (version 1 in the change id).
        var actual = changes.Select(c => (c.Kind, c.DocumentId, int.Parse(c.ChangeId.AsSpan(c.ChangeId.LastIndexOf(':') + 1), System.Globalization.CultureInfo.InvariantCulture))).ToList();
        if (FeedCoalescesUpdates)
        {
            // Commit order holds per container; across containers the reader interleaves.
            Assert.Equal(expected.OrderBy(e => e.Item1), actual.OrderBy(e => e.Kind));
        }
        else
        {
            Assert.Equal(expected, actual);
        }

        Assert.Equal(changes.Count, changes.Select(c => c.ChangeId).Distinct().Count());
        Assert.All(changes, c => Assert.Equal(restaurant, c.RestaurantId));
        var orderChange = changes.Single(c => c.Kind == DocumentKind.Order && c.Document.GetProperty("version").GetInt32() == 2);
        Assert.Equal(order.Id.ToString(), orderChange.Document.GetProperty("id").GetString());
        AssertSameOrder(v2, orderChange.Document.Deserialize(RealtimeJsonContext.Default.Order)!);
        Assert.Equal($"order:{order.Id}:2", orderChange.ChangeId);
        Assert.Equal(payment, changes.Single(c => c.Kind == DocumentKind.Payment).Document.Deserialize(RealtimeJsonContext.Default.Payment));
    }

    [Fact]
    public async Task A_traced_write_leaves_its_traceparent_on_the_change_beside_the_document_not_in_it()
    {
        var stores = await OpenStoresAsync();
        var restaurant = Guid.NewGuid();
        using var source = new System.Diagnostics.ActivitySource("store-contract-" + Guid.NewGuid().ToString("N"));
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = s => s == source,
            Sample = static (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllData,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);

        string writer;
        using (var write = source.StartActivity("write"))
        {
            Assert.NotNull(write);
            writer = write.Id!;
            await stores.Orders.CreateAsync(Samples.Order(restaurant), Ct).WaitAsync(Timeout, Ct);
        }

        await stores.Tables.UpsertAsync(Samples.Table(restaurant), null, Ct).WaitAsync(Timeout, Ct); // outside any trace

        var changes = await DrainAsync(stores, Consumer("traces"), restaurant);
        Assert.Equal(2, changes.Count);
        Assert.Equal(writer, changes[0].TraceParent);
        Assert.Null(changes[1].TraceParent);
        Assert.All(changes, c => Assert.DoesNotContain("trace", c.Document.GetRawText(), StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Two_consumers_keep_independent_checkpoints()
    {
        var stores = await OpenStoresAsync();
        var restaurant = Guid.NewGuid();
        var events = Consumer("events");
        var kds = Consumer("kds");
        await stores.Orders.CreateAsync(Samples.Order(restaurant), Ct).WaitAsync(Timeout, Ct);

        var byEvents = await DrainAsync(stores, events, restaurant);
        await stores.Orders.CreateAsync(Samples.Order(restaurant), Ct).WaitAsync(Timeout, Ct);
        var byEventsLater = await DrainAsync(stores, events, restaurant);
        var byKds = await DrainAsync(stores, kds, restaurant);

        Assert.Single(byEvents);
        Assert.Single(byEventsLater);
        Assert.Equal(2, byKds.Count);
        Assert.Equal(byEvents.Concat(byEventsLater).Select(c => c.ChangeId), byKds.Select(c => c.ChangeId));
    }

    [Fact]
    public async Task A_consumer_that_does_not_checkpoint_reads_the_same_changes_again()
    {
        var stores = await OpenStoresAsync();
        var restaurant = Guid.NewGuid();
        var consumer = Consumer("events");
        await stores.Orders.CreateAsync(Samples.Order(restaurant), Ct).WaitAsync(Timeout, Ct);
        await stores.Orders.CreateAsync(Samples.Order(restaurant), Ct).WaitAsync(Timeout, Ct);

        var first = await ReadUncheckpointedAsync(stores, consumer, restaurant);
        var second = await ReadUncheckpointedAsync(stores, consumer, restaurant);

        Assert.Equal(2, first.Count);
        Assert.Equal(first.Select(c => c.ChangeId), second.Select(c => c.ChangeId));
    }

    [Fact]
    public async Task A_read_after_a_continuation_goes_on_from_it_and_a_read_without_one_starts_at_the_checkpoint()
    {
        var stores = await OpenStoresAsync();
        var restaurant = Guid.NewGuid();
        var consumer = Consumer("events");
        var first = Samples.Order(restaurant, number: "first");
        await stores.Orders.CreateAsync(first, Ct).WaitAsync(Timeout, Ct);
        var page1 = await stores.Feed.ReadAsync(consumer, 100, Ct).WaitAsync(Timeout, Ct);
        var second = Samples.Order(restaurant, number: "second");
        await stores.Orders.CreateAsync(second, Ct).WaitAsync(Timeout, Ct);

        var page2 = await stores.Feed.ReadAsync(consumer, 100, page1.Continuation, Ct).WaitAsync(Timeout, Ct);
        var fromCheckpoint = await stores.Feed.ReadAsync(consumer, 100, Ct).WaitAsync(Timeout, Ct);
        var idle = await stores.Feed.ReadAsync(consumer, 100, page2.Continuation, Ct).WaitAsync(Timeout, Ct);

        string[] Ids(ChangeBatch batch) => [.. batch.Changes.Where(c => c.RestaurantId == restaurant).Select(c => c.DocumentId)];
        Assert.Equal([first.Id.ToString()], Ids(page1));
        Assert.Equal([second.Id.ToString()], Ids(page2));
        Assert.Equal([first.Id.ToString(), second.Id.ToString()], Ids(fromCheckpoint));
        Assert.Empty(idle.Changes);
        Assert.Null(idle.Continuation);
    }

    [Fact]
    public async Task Small_pages_deliver_every_change_once_in_order()
    {
        var stores = await OpenStoresAsync();
        var restaurant = Guid.NewGuid();
        var consumer = Consumer("events");
        var orders = Enumerable.Range(0, 7).Select(i => Samples.Order(restaurant, number: $"n{i}")).ToList();
        foreach (var order in orders)
        {
            await stores.Orders.CreateAsync(order, Ct).WaitAsync(Timeout, Ct);
        }

        var changes = await DrainAsync(stores, consumer, restaurant, pageSize: 2);

        Assert.Equal(orders.Select(o => o.Id.ToString()), changes.Select(c => c.DocumentId));
    }

    [Fact]
    public async Task After_a_restart_a_consumer_resumes_from_its_checkpoint_without_loss_or_duplicates()
    {
        var restaurant = Guid.NewGuid();
        var consumer = Consumer("events");
        var stores = await OpenStoresAsync();
        var first = Samples.Order(restaurant, number: "before");
        await stores.Orders.CreateAsync(first, Ct).WaitAsync(Timeout, Ct);
        var beforeRestart = await DrainAsync(stores, consumer, restaurant);
        var pending = Samples.Order(restaurant, number: "unconfirmed");
        await stores.Orders.CreateAsync(pending, Ct).WaitAsync(Timeout, Ct);
        var readButNotCheckpointed = await ReadUncheckpointedAsync(stores, consumer, restaurant);
        await CloseAsync(stores);

        var reopened = await OpenStoresAsync();
        var after = Samples.Order(restaurant, number: "after");
        await reopened.Orders.CreateAsync(after, Ct).WaitAsync(Timeout, Ct);
        var afterRestart = await DrainAsync(reopened, consumer, restaurant);

        Assert.Equal(new[] { first.Id.ToString() }, beforeRestart.Select(c => c.DocumentId));
        Assert.Equal(new[] { pending.Id.ToString() }, readButNotCheckpointed.Select(c => c.DocumentId));
        Assert.Equal(new[] { pending.Id.ToString(), after.Id.ToString() }, afterRestart.Select(c => c.DocumentId));
        Assert.Equal(WriteStatus.Conflict, (await reopened.Orders.CreateAsync(first, Ct).WaitAsync(Timeout, Ct)).Status);
    }

    [Fact]
    public async Task An_idle_feed_returns_an_empty_batch_with_nothing_to_checkpoint()
    {
        var stores = await OpenStoresAsync();
        var consumer = Consumer("events");
        await stores.Orders.CreateAsync(Samples.Order(Guid.NewGuid()), Ct).WaitAsync(Timeout, Ct);
        await DrainAsync(stores, consumer, Guid.NewGuid());

        var idle = await stores.Feed.ReadAsync(consumer, 100, Ct).WaitAsync(Timeout, Ct);

        Assert.Empty(idle.Changes);
        Assert.Null(idle.Continuation);
    }

    [Fact]
    public async Task A_continuation_that_the_feed_did_not_issue_is_rejected()
    {
        var stores = await OpenStoresAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => stores.Feed.CheckpointAsync(Consumer("events"), "not a position", Ct)).WaitAsync(Timeout, Ct);
        await Assert.ThrowsAsync<ArgumentException>(() => stores.Feed.ReadAsync("bad name!", 10, Ct)).WaitAsync(Timeout, Ct);
    }

    // ---------------------------------------------------------------- history

    [Fact]
    public async Task History_seq_is_consecutive_from_one_per_restaurant()
    {
        var stores = await OpenStoresAsync();
        var a = Guid.NewGuid();
        var b = Guid.NewGuid();

        var seqs = new List<(Guid, long?)>();
        foreach (var restaurant in new[] { a, a, b, a, b })
        {
            var (stored, appended) = await stores.History.AppendAsync(Samples.Event(restaurant), Ct).WaitAsync(Timeout, Ct);
            Assert.True(appended);
            seqs.Add((restaurant, stored.Seq));
        }

        Assert.Equal(new[] { (a, 1L), (a, 2L), (b, 1L), (a, 3L), (b, 2L) }, seqs.Select(s => (s.Item1, s.Item2!.Value)));
    }

    [Fact]
    public async Task Appending_an_event_id_again_returns_the_stored_event_unchanged()
    {
        var stores = await OpenStoresAsync();
        var restaurant = Guid.NewGuid();
        var original = Samples.Event(restaurant, id: "order:abc:1");
        var (first, firstAppended) = await stores.History.AppendAsync(original, Ct).WaitAsync(Timeout, Ct);
        await stores.History.AppendAsync(Samples.Event(restaurant), Ct).WaitAsync(Timeout, Ct);

        var (again, appendedAgain) = await stores.History.AppendAsync(original with { Type = EventTypes.OrderUpdated }, Ct).WaitAsync(Timeout, Ct);
        var page = await stores.History.ReadAfterAsync(restaurant, 0, 100, Ct).WaitAsync(Timeout, Ct);

        Assert.True(firstAppended);
        Assert.False(appendedAgain);
        Assert.Equal(1, again.Seq);
        Assert.Equal(EventTypes.OrderCreated, again.Type);
        Assert.Equal(first.Id, again.Id);
        Assert.Equal(2, page.Events.Count);
        Assert.Equal(2, page.LatestSeq);
    }

    [Fact]
    public async Task Stored_events_keep_their_data_timestamp_and_scope()
    {
        var stores = await OpenStoresAsync();
        var restaurant = Guid.NewGuid();
        var orderId = Guid.NewGuid();
        var newEvent = Samples.Event(restaurant, id: "order/with?odd#chars%:1", orderId: orderId) with { Timestamp = new DateTimeOffset(2026, 1, 2, 3, 4, 5, 678, TimeSpan.FromHours(2)) };

        var (appended, _) = await stores.History.AppendAsync(newEvent, Ct).WaitAsync(Timeout, Ct);
        var read = Assert.Single((await stores.History.ReadAfterAsync(restaurant, 0, 10, Ct).WaitAsync(Timeout, Ct)).Events);

        foreach (var e in new[] { appended, read })
        {
            Assert.Equal(newEvent.Id, e.Id);
            Assert.Equal(restaurant, e.RestaurantId);
            Assert.Equal(newEvent.Type, e.Type);
            Assert.Equal(newEvent.Timestamp, e.Timestamp);
            Assert.Equal(newEvent.Timestamp.Offset, e.Timestamp.Offset);
            Assert.Equal(new EventScope(orderId, "12"), e.Scope);
            Assert.Equal(orderId.ToString(), e.Data?.GetProperty("order_id").GetString());
            Assert.Equal(1, e.Seq);
        }
    }

    [Fact]
    public async Task Read_after_pages_ascending_and_reports_oldest_and_latest()
    {
        var stores = await OpenStoresAsync();
        var restaurant = Guid.NewGuid();
        var empty = await stores.History.ReadAfterAsync(restaurant, 0, 10, Ct).WaitAsync(Timeout, Ct);
        for (var i = 0; i < 5; i++)
        {
            await stores.History.AppendAsync(Samples.Event(restaurant), Ct).WaitAsync(Timeout, Ct);
        }

        var first = await stores.History.ReadAfterAsync(restaurant, 0, 2, Ct).WaitAsync(Timeout, Ct);
        var middle = await stores.History.ReadAfterAsync(restaurant, 2, 2, Ct).WaitAsync(Timeout, Ct);
        var last = await stores.History.ReadAfterAsync(restaurant, 4, 2, Ct).WaitAsync(Timeout, Ct);
        var none = await stores.History.ReadAfterAsync(restaurant, 5, 2, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal((0L, 0L), (empty.OldestSeq, empty.LatestSeq));
        Assert.Empty(empty.Events);
        Assert.Equal(new[] { 1L, 2L }, first.Events.Select(e => e.Seq!.Value));
        Assert.Equal(new[] { 3L, 4L }, middle.Events.Select(e => e.Seq!.Value));
        Assert.Equal(new[] { 5L }, last.Events.Select(e => e.Seq!.Value));
        Assert.Empty(none.Events);
        Assert.All(new[] { first, middle, last, none }, p => Assert.Equal((1L, 5L), (p.OldestSeq, p.LatestSeq)));
    }

    [Fact]
    public async Task History_is_bounded_by_count_per_restaurant()
    {
        var stores = await OpenStoresAsync(new Dictionary<string, string?> { ["Storage:History:MaxEventsPerRestaurant"] = "3" });
        var restaurant = Guid.NewGuid();
        var other = Guid.NewGuid();
        await stores.History.AppendAsync(Samples.Event(other), Ct).WaitAsync(Timeout, Ct);
        for (var i = 0; i < 7; i++)
        {
            await stores.History.AppendAsync(Samples.Event(restaurant), Ct).WaitAsync(Timeout, Ct);
        }

        var page = await stores.History.ReadAfterAsync(restaurant, 0, 100, Ct).WaitAsync(Timeout, Ct);
        var otherPage = await stores.History.ReadAfterAsync(other, 0, 100, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(new[] { 5L, 6L, 7L }, page.Events.Select(e => e.Seq!.Value));
        Assert.Equal((5L, 7L), (page.OldestSeq, page.LatestSeq));
        Assert.Equal(new[] { 1L }, otherPage.Events.Select(e => e.Seq!.Value));
    }

    [Fact]
    public async Task Concurrent_appends_get_unique_consecutive_seqs()
    {
        var stores = await OpenStoresAsync();
        var restaurant = Guid.NewGuid();
        const int count = 40;

        var results = await Task.WhenAll(Enumerable.Range(0, count).Select(i =>
            Task.Run(() => stores.History.AppendAsync(Samples.Event(restaurant, id: $"e{i}"), Ct), Ct))).WaitAsync(Timeout, Ct);
        // Half of them again, concurrently: all duplicates.
        var again = await Task.WhenAll(Enumerable.Range(0, count / 2).Select(i =>
            Task.Run(() => stores.History.AppendAsync(Samples.Event(restaurant, id: $"e{i}"), Ct), Ct))).WaitAsync(Timeout, Ct);

        Assert.All(results, r => Assert.True(r.Appended));
        Assert.Equal(Enumerable.Range(1, count).Select(i => (long)i), results.Select(r => r.Event.Seq!.Value).Order());
        Assert.All(again, r => Assert.False(r.Appended));
        Assert.Equal(
            results.Where(r => int.Parse(r.Event.Id!.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture) < count / 2).Select(r => (r.Event.Id, r.Event.Seq)).OrderBy(x => x.Id),
            again.Select(r => (r.Event.Id, r.Event.Seq)).OrderBy(x => x.Id));
        var page = await stores.History.ReadAfterAsync(restaurant, 0, 1000, Ct).WaitAsync(Timeout, Ct);
        Assert.Equal(count, page.LatestSeq);
        Assert.Equal(Enumerable.Range(1, count).Select(i => (long)i), page.Events.Select(e => e.Seq!.Value));
    }

    [Fact]
    public async Task History_continues_its_seq_after_a_restart()
    {
        var restaurant = Guid.NewGuid();
        var stores = await OpenStoresAsync();
        await stores.History.AppendAsync(Samples.Event(restaurant, id: "x:1"), Ct).WaitAsync(Timeout, Ct);
        await stores.History.AppendAsync(Samples.Event(restaurant, id: "x:2"), Ct).WaitAsync(Timeout, Ct);
        await CloseAsync(stores);

        var reopened = await OpenStoresAsync();
        var (duplicate, duplicateAppended) = await reopened.History.AppendAsync(Samples.Event(restaurant, id: "x:2"), Ct).WaitAsync(Timeout, Ct);
        var (next, nextAppended) = await reopened.History.AppendAsync(Samples.Event(restaurant, id: "x:3"), Ct).WaitAsync(Timeout, Ct);

        Assert.False(duplicateAppended);
        Assert.Equal(2, duplicate.Seq);
        Assert.True(nextAppended);
        Assert.Equal(3, next.Seq);
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>Reads and checkpoints until the feed is empty; returns this restaurant's changes.</summary>
    protected static async Task<List<StoreChange>> DrainAsync(StoreSet stores, string consumer, Guid restaurant, int pageSize = 100)
    {
        var all = new List<StoreChange>();
        for (var round = 0; round < 1000; round++)
        {
            var batch = await stores.Feed.ReadAsync(consumer, pageSize, Ct).WaitAsync(Timeout, Ct);
            Assert.True(batch.Changes.Count <= pageSize, $"A page of {pageSize} returned {batch.Changes.Count} changes.");
            await stores.Feed.CheckpointAsync(consumer, batch.Continuation, Ct).WaitAsync(Timeout, Ct);
            all.AddRange(batch.Changes.Where(c => c.RestaurantId == restaurant));
            if (batch.Changes.Count == 0)
            {
                return all;
            }
        }

        throw new InvalidOperationException("The change feed never ran dry.");
    }

    /// <summary>Reads everything after the checkpoint without moving it (pages chained in memory only).</summary>
    private static async Task<List<StoreChange>> ReadUncheckpointedAsync(StoreSet stores, string consumer, Guid restaurant)
    {
        var batch = await stores.Feed.ReadAsync(consumer, 1000, Ct).WaitAsync(Timeout, Ct);
        return [.. batch.Changes.Where(c => c.RestaurantId == restaurant)];
    }

    private static void AssertSameOrder(Order expected, Order actual)
    {
        // Records compare lists by reference; compare the JSON contract instead.
        Assert.Equal(
            JsonSerializer.Serialize(expected, RealtimeJsonContext.Default.Order),
            JsonSerializer.Serialize(actual, RealtimeJsonContext.Default.Order));
    }
}
