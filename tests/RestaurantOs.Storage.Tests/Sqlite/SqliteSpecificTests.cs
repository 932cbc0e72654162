using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Storage.Tests.Contract;

namespace RestaurantOs.Storage.Tests.Sqlite;

public sealed class SqliteSpecificTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly TempFolder folder = new();
    private readonly List<StoreSet> opened = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string DatabasePath => folder.File("nested/deeper/restaurant-os.db");

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var set in opened)
        {
            await set.DisposeAsync();
        }

        folder.Dispose();
    }

    private async Task<StoreSet> OpenAsync(TimeProvider? time = null, Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>(extra ?? [])
        {
            ["Storage:Sqlite:Path"] = DatabasePath,
        };
        var set = await StoreSet.OpenAsync(settings, services =>
        {
            if (time is not null)
            {
                services.AddSingleton(time);
            }
        }).WaitAsync(Timeout, Ct);
        opened.Add(set);
        return set;
    }

    [Fact]
    public async Task Initialize_creates_the_folder_and_a_WAL_database_and_can_run_again_concurrently()
    {
        var stores = await OpenAsync();

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => stores.Initializer.InitializeAsync(Ct))).WaitAsync(Timeout, Ct);

        Assert.True(File.Exists(DatabasePath));
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync(Ct));
        command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name;";
        var tables = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                tables.Add(reader.GetString(0));
            }
        }

        Assert.Superset(
            new HashSet<string> { "orders", "tables", "payments", "notifications", "change_log", "change_feed_leases", "history_counters", "history_events" },
            tables.ToHashSet());
    }

    [Fact]
    public async Task A_document_write_and_its_change_log_row_commit_together()
    {
        var stores = await OpenAsync();
        var order = Samples.Order(Guid.NewGuid());
        await stores.Orders.CreateAsync(order, Ct).WaitAsync(Timeout, Ct);
        await stores.Orders.CreateAsync(order, Ct).WaitAsync(Timeout, Ct); // conflict
        await stores.Orders.ReplaceAsync(Samples.Next(order, OrderStatus.Confirmed), 1, Ct).WaitAsync(Timeout, Ct);

        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT kind || ':' || document_id || ':' || version FROM change_log ORDER BY id;";
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            rows.Add(reader.GetString(0));
        }

        Assert.Equal(new[] { $"order:{order.Id}:1", $"order:{order.Id}:2" }, rows);
    }

    [Fact]
    public async Task Events_older_than_the_retention_are_hidden_and_pruned()
    {
        var time = new FakeTimeProvider(Samples.T0);
        var stores = await OpenAsync(time, new() { ["Storage:History:RetentionHours"] = "24" });
        var restaurant = Guid.NewGuid();
        await stores.History.AppendAsync(Samples.Event(restaurant), Ct).WaitAsync(Timeout, Ct);
        await stores.History.AppendAsync(Samples.Event(restaurant), Ct).WaitAsync(Timeout, Ct);
        time.Advance(TimeSpan.FromHours(23));
        await stores.History.AppendAsync(Samples.Event(restaurant), Ct).WaitAsync(Timeout, Ct);

        time.Advance(TimeSpan.FromHours(2));
        var afterExpiry = await stores.History.ReadAfterAsync(restaurant, 0, 10, Ct).WaitAsync(Timeout, Ct);
        time.Advance(TimeSpan.FromHours(24));
        var allExpired = await stores.History.ReadAfterAsync(restaurant, 0, 10, Ct).WaitAsync(Timeout, Ct);
        var (fourth, _) = await stores.History.AppendAsync(Samples.Event(restaurant), Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(new[] { 3L }, afterExpiry.Events.Select(e => e.Seq!.Value));
        Assert.Equal((3L, 3L), (afterExpiry.OldestSeq, afterExpiry.LatestSeq));
        Assert.Empty(allExpired.Events);
        Assert.Equal((0L, 3L), (allExpired.OldestSeq, allExpired.LatestSeq));
        Assert.Equal(4, fourth.Seq);
        Assert.Equal(1, await CountAsync("SELECT COUNT(*) FROM history_events;"));
    }

    [Fact]
    public async Task Change_log_rows_are_pruned_once_every_consumer_passed_them_and_they_are_older_than_the_retention()
    {
        var time = new FakeTimeProvider(Samples.T0);
        var stores = await OpenAsync(time);
        var restaurant = Guid.NewGuid();
        await stores.Orders.CreateAsync(Samples.Order(restaurant), Ct).WaitAsync(Timeout, Ct);
        await stores.Orders.CreateAsync(Samples.Order(restaurant), Ct).WaitAsync(Timeout, Ct);
        var events = await stores.Feed.ReadAsync("events", 100, Ct).WaitAsync(Timeout, Ct);
        await stores.Feed.CheckpointAsync("events", events.Continuation, Ct).WaitAsync(Timeout, Ct);
        var kds = await stores.Feed.ReadAsync("kds", 1, Ct).WaitAsync(Timeout, Ct);
        await stores.Feed.CheckpointAsync("kds", kds.Continuation, Ct).WaitAsync(Timeout, Ct);

        time.Advance(TimeSpan.FromHours(25));
        await stores.Feed.CheckpointAsync("events", events.Continuation, Ct).WaitAsync(Timeout, Ct);
        var kdsRest = await stores.Feed.ReadAsync("kds", 100, Ct).WaitAsync(Timeout, Ct);

        // Only the row both consumers passed is gone; kds still gets its second change.
        Assert.Equal(1, await CountAsync("SELECT COUNT(*) FROM change_log;"));
        Assert.Equal(events.Changes[1].ChangeId, Assert.Single(kdsRest.Changes).ChangeId);
    }

    [Fact]
    public async Task Pruning_stops_at_the_first_change_inside_the_retention()
    {
        var time = new FakeTimeProvider(Samples.T0);
        var stores = await OpenAsync(time);
        var restaurant = Guid.NewGuid();
        await stores.Orders.CreateAsync(Samples.Order(restaurant), Ct).WaitAsync(Timeout, Ct);
        await stores.Orders.CreateAsync(Samples.Order(restaurant), Ct).WaitAsync(Timeout, Ct);
        time.Advance(TimeSpan.FromHours(25));
        var fresh = Samples.Order(restaurant);
        await stores.Orders.CreateAsync(fresh, Ct).WaitAsync(Timeout, Ct);

        foreach (var consumer in new[] { "kds", "events" })
        {
            var all = await stores.Feed.ReadAsync(consumer, 100, Ct).WaitAsync(Timeout, Ct);
            await stores.Feed.CheckpointAsync(consumer, all.Continuation, Ct).WaitAsync(Timeout, Ct);
        }

        Assert.Equal(1, await CountAsync("SELECT COUNT(*) FROM change_log;"));
        Assert.Equal(fresh.Id.ToString(), await ScalarAsync("SELECT document_id FROM change_log;"));
    }

    [Fact]
    public async Task Two_store_instances_on_one_file_append_without_duplicate_seqs()
    {
        // Two service providers = two independent writer locks, as two processes would have.
        var one = await OpenAsync();
        var two = await OpenAsync();
        var restaurant = Guid.NewGuid();

        var results = await Task.WhenAll(Enumerable.Range(0, 30).Select(i =>
            Task.Run(() => (i % 2 == 0 ? one : two).History.AppendAsync(Samples.Event(restaurant, id: $"e{i}"), Ct), Ct))).WaitAsync(Timeout, Ct);

        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), results.Select(r => r.Event.Seq!.Value).Order());
    }

    [Fact]
    public async Task A_checkpoint_never_moves_backwards()
    {
        var stores = await OpenAsync();
        var restaurant = Guid.NewGuid();
        await stores.Orders.CreateAsync(Samples.Order(restaurant), Ct).WaitAsync(Timeout, Ct);
        var first = await stores.Feed.ReadAsync("events", 100, Ct).WaitAsync(Timeout, Ct);
        await stores.Feed.CheckpointAsync("events", first.Continuation, Ct).WaitAsync(Timeout, Ct);

        await stores.Feed.CheckpointAsync("events", "0", Ct).WaitAsync(Timeout, Ct);
        var again = await stores.Feed.ReadAsync("events", 100, Ct).WaitAsync(Timeout, Ct);

        Assert.Single(first.Changes);
        Assert.Empty(again.Changes);
    }

    [Fact]
    public async Task A_read_after_a_position_the_checkpoint_passed_starts_at_the_checkpoint()
    {
        var stores = await OpenAsync();
        var restaurant = Guid.NewGuid();
        await stores.Orders.CreateAsync(Samples.Order(restaurant), Ct).WaitAsync(Timeout, Ct);
        var first = await stores.Feed.ReadAsync("events", 100, Ct).WaitAsync(Timeout, Ct);
        await stores.Orders.CreateAsync(Samples.Order(restaurant), Ct).WaitAsync(Timeout, Ct);
        var second = await stores.Feed.ReadAsync("events", 100, first.Continuation, Ct).WaitAsync(Timeout, Ct);
        await stores.Feed.CheckpointAsync("events", second.Continuation, Ct).WaitAsync(Timeout, Ct);

        var stale = await stores.Feed.ReadAsync("events", 100, first.Continuation, Ct).WaitAsync(Timeout, Ct);

        Assert.Single(second.Changes);
        Assert.Empty(stale.Changes);
    }

    private async Task<long> CountAsync(string sql) => (long)(await ScalarAsync(sql))!;

    private async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(Ct);
    }
}
