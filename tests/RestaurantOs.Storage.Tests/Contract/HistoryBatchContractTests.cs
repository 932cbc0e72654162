using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Ports;

namespace RestaurantOs.Storage.Tests.Contract;

/// <summary>
/// The batch append of <see cref="IEventHistory.AppendManyAsync"/>, the same for every store: consecutive seq in list
/// order, idempotent per event id exactly like a single append, and one restaurant per call. Subclasses open stores
/// on one database per test instance.
/// </summary>
public abstract class HistoryBatchContractTests : IAsyncLifetime
{
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly List<StoreSet> opened = [];

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Opens stores over this test's database.</summary>
    protected abstract Task<StoreSet> CreateStoresAsync(IReadOnlyDictionary<string, string?> settings);

    private async Task<IEventHistory> HistoryAsync()
    {
        var set = await CreateStoresAsync(new Dictionary<string, string?>()).WaitAsync(Timeout, Ct);
        opened.Add(set);
        return set.History;
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var set in opened)
        {
            await set.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    private static NewEvent[] Events(Guid restaurant, params string[] ids) => [.. ids.Select(id => Samples.Event(restaurant, id: id))];

    [Fact]
    public async Task A_batch_assigns_consecutive_seqs_in_list_order_after_earlier_appends()
    {
        var history = await HistoryAsync();
        var restaurant = Guid.NewGuid();
        await history.AppendAsync(Samples.Event(restaurant, id: "e0"), Ct).WaitAsync(Timeout, Ct);

        var results = await history.AppendManyAsync(Events(restaurant, "e1", "e2", "e3", "e4"), Ct).WaitAsync(Timeout, Ct);
        var page = await history.ReadAfterAsync(restaurant, 0, 100, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal([("e1", 2L, true), ("e2", 3L, true), ("e3", 4L, true), ("e4", 5L, true)], results.Select(r => (r.Event.Id, r.Event.Seq!.Value, r.Appended)));
        Assert.Equal(["e0", "e1", "e2", "e3", "e4"], page.Events.Select(e => e.Id));
        Assert.Equal([1L, 2, 3, 4, 5], page.Events.Select(e => e.Seq!.Value));
        Assert.Equal(5, page.LatestSeq);
    }

    [Fact]
    public async Task Appending_the_same_batch_again_returns_the_stored_events_and_appends_nothing()
    {
        var history = await HistoryAsync();
        var restaurant = Guid.NewGuid();
        var batch = Events(restaurant, "order:a:1", "order:a:2", "order:b:1");
        var first = await history.AppendManyAsync(batch, Ct).WaitAsync(Timeout, Ct);

        // A repeated change-feed page: same ids, possibly different content; the stored events win.
        var again = await history.AppendManyAsync([.. batch.Select(e => e with { Type = EventTypes.OrderUpdated })], Ct).WaitAsync(Timeout, Ct);
        var page = await history.ReadAfterAsync(restaurant, 0, 100, Ct).WaitAsync(Timeout, Ct);

        Assert.All(first, r => Assert.True(r.Appended));
        Assert.All(again, r => Assert.False(r.Appended));
        Assert.Equal(first.Select(r => (r.Event.Id, r.Event.Seq, r.Event.Type)), again.Select(r => (r.Event.Id, r.Event.Seq, r.Event.Type)));
        Assert.Equal(3, page.LatestSeq);
        Assert.Equal(3, page.Events.Count);
    }

    [Fact]
    public async Task A_batch_of_stored_and_new_ids_keeps_the_stored_seqs_and_numbers_the_new_ones_next()
    {
        var history = await HistoryAsync();
        var restaurant = Guid.NewGuid();
        await history.AppendManyAsync(Events(restaurant, "a", "b"), Ct).WaitAsync(Timeout, Ct);

        // What a crash between append and checkpoint leaves: the page's first events are stored, the rest are not.
        var results = await history.AppendManyAsync(Events(restaurant, "a", "b", "c", "d"), Ct).WaitAsync(Timeout, Ct);

        Assert.Equal([("a", 1L, false), ("b", 2L, false), ("c", 3L, true), ("d", 4L, true)], results.Select(r => (r.Event.Id, r.Event.Seq!.Value, r.Appended)));
        Assert.Equal(4, (await history.ReadAfterAsync(restaurant, 0, 100, Ct).WaitAsync(Timeout, Ct)).LatestSeq);
    }

    [Fact]
    public async Task An_id_repeated_within_a_batch_is_appended_once()
    {
        var history = await HistoryAsync();
        var restaurant = Guid.NewGuid();

        var results = await history.AppendManyAsync(Events(restaurant, "x", "y", "x"), Ct).WaitAsync(Timeout, Ct);

        Assert.Equal([("x", 1L, true), ("y", 2L, true), ("x", 1L, false)], results.Select(r => (r.Event.Id, r.Event.Seq!.Value, r.Appended)));
        Assert.Equal(2, (await history.ReadAfterAsync(restaurant, 0, 100, Ct).WaitAsync(Timeout, Ct)).LatestSeq);
    }

    [Fact]
    public async Task A_batch_larger_than_one_transactional_batch_stays_consecutive()
    {
        var history = await HistoryAsync();
        var restaurant = Guid.NewGuid();
        var ids = Enumerable.Range(1, 150).Select(i => $"big:{i}").ToArray();

        var results = await history.AppendManyAsync(Events(restaurant, ids), Ct).WaitAsync(Timeout, Ct);
        var again = await history.AppendManyAsync(Events(restaurant, [.. ids, "big:151"]), Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(Enumerable.Range(1, 150).Select(i => (long)i), results.Select(r => r.Event.Seq!.Value));
        Assert.Equal(ids, results.Select(r => r.Event.Id));
        Assert.Equal(150, again.Count(r => !r.Appended));
        Assert.Equal(("big:151", 151L, true), (again[^1].Event.Id, again[^1].Event.Seq!.Value, again[^1].Appended));
    }

    [Fact]
    public async Task The_returned_events_are_what_history_reads_back()
    {
        var history = await HistoryAsync();
        var restaurant = Guid.NewGuid();

        var results = await history.AppendManyAsync(Events(restaurant, "r1", "r2"), Ct).WaitAsync(Timeout, Ct);
        var page = await history.ReadAfterAsync(restaurant, 0, 100, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(
            results.Select(r => (r.Event.Id, r.Event.Seq, r.Event.Type, r.Event.Timestamp, r.Event.Scope, r.Event.Data!.Value.GetRawText())),
            page.Events.Select(e => (e.Id, e.Seq, e.Type, e.Timestamp, e.Scope, e.Data!.Value.GetRawText())));
    }

    [Fact]
    public async Task Batches_of_different_restaurants_appended_at_once_each_count_from_one()
    {
        var history = await HistoryAsync();
        var restaurants = Enumerable.Range(0, 8).Select(_ => Guid.NewGuid()).ToList();

        var results = await Task.WhenAll(restaurants.Select(r =>
            Task.Run(() => history.AppendManyAsync(Events(r, [.. Enumerable.Range(1, 10).Select(i => $"{r:N}:{i}")]), Ct), Ct))).WaitAsync(Timeout, Ct);

        Assert.All(results, batch => Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), batch.Select(r => r.Event.Seq!.Value)));
    }

    [Fact]
    public async Task A_batch_naming_two_restaurants_is_refused_and_stores_nothing()
    {
        var history = await HistoryAsync();
        var a = Guid.NewGuid();
        var b = Guid.NewGuid();

        await Assert.ThrowsAsync<ArgumentException>(() => history.AppendManyAsync([Samples.Event(a, id: "a1"), Samples.Event(b, id: "b1")], Ct)).WaitAsync(Timeout, Ct);

        Assert.Equal(0, (await history.ReadAfterAsync(a, 0, 10, Ct).WaitAsync(Timeout, Ct)).LatestSeq);
        Assert.Equal(0, (await history.ReadAfterAsync(b, 0, 10, Ct).WaitAsync(Timeout, Ct)).LatestSeq);
    }

    [Fact]
    public async Task An_empty_batch_appends_nothing()
    {
        var history = await HistoryAsync();

        Assert.Empty(await history.AppendManyAsync([], Ct).WaitAsync(Timeout, Ct));
    }
}
