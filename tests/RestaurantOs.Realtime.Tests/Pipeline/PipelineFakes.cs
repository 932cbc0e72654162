using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Pipeline;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Protocol;
using RestaurantOs.Realtime.Services;
using System.Diagnostics.Metrics;

namespace RestaurantOs.Realtime.Tests.Pipeline;

/// <summary>What the fakes saw, in one order: publishes and checkpoints, as they happened.</summary>
internal sealed class Journal
{
    private readonly List<(string Kind, RealtimeEvent? Event, int Position)> _entries = [];
    private int _inFlight;
    private int _maxInFlight;

    public IReadOnlyList<(string Kind, RealtimeEvent? Event, int Position)> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    /// <summary>The most store and publish calls that were outstanding at one moment.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public IReadOnlyList<RealtimeEvent> Published => [.. Entries.Where(e => e.Kind == "publish").Select(e => e.Event!)];

    public IReadOnlyList<int> Checkpoints => [.. Entries.Where(e => e.Kind == "checkpoint").Select(e => e.Position)];

    public void Add(string kind, RealtimeEvent? realtimeEvent, int position)
    {
        lock (_entries)
        {
            _entries.Add((kind, realtimeEvent, position));
        }
    }

    public void Enter()
    {
        var now = Interlocked.Increment(ref _inFlight);
        int max;
        while (now > (max = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, max) != max)
        {
        }
    }

    public void Leave() => Interlocked.Decrement(ref _inFlight);
}

/// <summary>
/// An in-memory feed over a list of changes (more can be committed while it runs); the continuation is the index after
/// the page, and a read after one starts at the later of it and the checkpoint, as the SQLite feed does.
/// </summary>
internal sealed class FakeChangeFeed(IReadOnlyList<StoreChange> changes, Journal journal) : IChangeFeed
{
    private readonly List<StoreChange> _changes = [.. changes];
    private int _position;
    private int _reads;

    public int Position => Volatile.Read(ref _position);

    public int Reads => Volatile.Read(ref _reads);

    /// <summary>The read positions, in the order the reads were made.</summary>
    public List<int> ReadsFrom { get; } = [];

    /// <summary>Waited on by every read before it takes its page; tests hold reads with it.</summary>
    public Func<CancellationToken, Task>? BeforeRead { get; set; }

    public void Commit(params StoreChange[] more)
    {
        lock (_changes)
        {
            _changes.AddRange(more);
        }
    }

    public async Task<ChangeBatch> ReadAsync(string consumer, int maxChanges, string? after, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        await Task.Yield();
        if (BeforeRead is { } before)
        {
            await before(cancellationToken);
        }

        lock (_changes)
        {
            var from = Math.Max(Position, after is null ? 0 : int.Parse(after, CultureInfo.InvariantCulture));
            ReadsFrom.Add(from);
            var page = _changes.Skip(from).Take(maxChanges).ToList();
            return new ChangeBatch(page, page.Count == 0 ? null : (from + page.Count).ToString(CultureInfo.InvariantCulture));
        }
    }

    public Task CheckpointAsync(string consumer, string? continuation, CancellationToken cancellationToken)
    {
        var position = int.Parse(continuation!, CultureInfo.InvariantCulture);
        journal.Add("checkpoint", null, position);
        Volatile.Write(ref _position, position);
        return Task.CompletedTask;
    }
}

/// <summary>
/// A history with the stores' contract (consecutive seq per restaurant, idempotent by event id, a batch appended
/// atomically) kept in memory; the real stores are covered by the storage contract and the Functions tests.
/// </summary>
internal sealed class FakeHistory(Journal journal) : IEventHistory
{
    private readonly Dictionary<Guid, List<RealtimeEvent>> _events = [];
    private int _batchAppends;

    public int BatchAppends => Volatile.Read(ref _batchAppends);

    public IReadOnlyList<RealtimeEvent> Stored(Guid restaurantId)
    {
        lock (_events)
        {
            return _events.TryGetValue(restaurantId, out var list) ? [.. list] : [];
        }
    }

    public Task<(RealtimeEvent Event, bool Appended)> AppendAsync(NewEvent newEvent, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("The pipeline appends a lane's events with one batch call.");

    public async Task<IReadOnlyList<(RealtimeEvent Event, bool Appended)>> AppendManyAsync(IReadOnlyList<NewEvent> newEvents, CancellationToken cancellationToken)
    {
        journal.Enter();
        try
        {
            Interlocked.Increment(ref _batchAppends);
            await Task.Yield();
            lock (_events)
            {
                var results = new List<(RealtimeEvent, bool)>();
                foreach (var newEvent in newEvents)
                {
                    if (!_events.TryGetValue(newEvent.RestaurantId, out var list))
                    {
                        list = [];
                        _events.Add(newEvent.RestaurantId, list);
                    }

                    if (list.FirstOrDefault(e => e.Id == newEvent.Id) is { } existing)
                    {
                        results.Add((existing, false));
                        continue;
                    }

                    var stored = new RealtimeEvent
                    {
                        Type = newEvent.Type,
                        Id = newEvent.Id,
                        RestaurantId = newEvent.RestaurantId,
                        Seq = list.Count + 1,
                        Data = newEvent.Data,
                        Timestamp = newEvent.Timestamp,
                        Scope = newEvent.Scope,
                    };
                    list.Add(stored);
                    results.Add((stored, true));
                }

                return results;
            }
        }
        finally
        {
            journal.Leave();
        }
    }

    public Task<HistoryPage> ReadAfterAsync(Guid restaurantId, long afterSeq, int maxEvents, CancellationToken cancellationToken) =>
        throw new NotSupportedException();
}

/// <summary>
/// Records every publish in the journal. Each call waits a random 0-2 ms (to shuffle how lanes interleave) and may
/// first pass through <see cref="BeforePublish"/>, which tests use to fail or hold a call.
/// </summary>
internal sealed class FakePublisher(Journal journal, int seed = 1) : IEventPublisher
{
    private readonly Random _random = new(seed);

    public Func<RealtimeEvent, CancellationToken, Task>? BeforePublish { get; set; }

    public async Task PublishAsync(RealtimeEvent realtimeEvent, CancellationToken cancellationToken)
    {
        journal.Enter();
        try
        {
            int delay;
            lock (_random)
            {
                delay = _random.Next(0, 3);
            }

            await Task.Delay(delay, cancellationToken);
            if (BeforePublish is { } before)
            {
                await before(realtimeEvent, cancellationToken);
            }

            journal.Add("publish", realtimeEvent, -1);
        }
        finally
        {
            journal.Leave();
        }
    }

    public Task SendToConnectionAsync(string connectionId, RealtimeEvent message, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task SendToGroupAsync(string group, RealtimeEvent message, CancellationToken cancellationToken) => throw new NotSupportedException();
}

/// <summary>A pipeline over the fakes, and order changes to feed it.</summary>
internal sealed class PipelineRig : IDisposable
{
    private static readonly DateTimeOffset Committed = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public PipelineRig(IReadOnlyList<StoreChange> changes, int maxConcurrency, int batchSize = 100)
    {
        Feed = new FakeChangeFeed(changes, Journal);
        History = new FakeHistory(Journal);
        Publisher = new FakePublisher(Journal, seed: changes.Count);
        Metrics = new RealtimeMetrics(_services.GetRequiredService<IMeterFactory>());
        Pipeline = new EventPipeline(
            Feed,
            History,
            Publisher,
            Options.Create(new PipelineOptions { MaxConcurrency = maxConcurrency, BatchSize = batchSize }),
            Metrics,
            TimeProvider.System,
            NullLogger<EventPipeline>.Instance);
    }

    public Journal Journal { get; } = new();

    public FakeChangeFeed Feed { get; }

    public FakeHistory History { get; }

    public FakePublisher Publisher { get; }

    public RealtimeMetrics Metrics { get; }

    public EventPipeline Pipeline { get; }

    /// <summary>
    /// <paramref name="restaurants"/> restaurants with <paramref name="changesEach"/> writes each (order created, then
    /// updated), interleaved at random as commits of many restaurants are.
    /// </summary>
    public static IReadOnlyList<StoreChange> OrderChanges(int restaurants, int changesEach, int seed)
    {
        var random = new Random(seed);
        var queues = Enumerable.Range(0, restaurants)
            .Select(_ => (Restaurant: Guid.NewGuid(), Order: Guid.NewGuid(), Next: 1))
            .ToList();
        var changes = new List<StoreChange>();
        while (queues.Count > 0)
        {
            var i = random.Next(queues.Count);
            var (restaurant, order, version) = queues[i];
            changes.Add(OrderChange(restaurant, order, version, changes.Count));
            queues[i] = (restaurant, order, version + 1);
            if (version == changesEach)
            {
                queues.RemoveAt(i);
            }
        }

        return changes;
    }

    /// <summary>One order write; version 1 maps to <c>order:created</c>, later versions to <c>order:updated</c> only.</summary>
    public static StoreChange OrderChange(Guid restaurant, Guid order, int version, int index)
    {
        var document = TestData.Order(id: order, restaurant: restaurant, version: version, statusVersion: 1);
        var element = JsonSerializer.SerializeToElement(document, RealtimeJsonContext.Default.Order);
        return new StoreChange($"change-{index}", DocumentKind.Order, restaurant, order.ToString(), element, Committed.AddMilliseconds(index));
    }

    public void Dispose()
    {
        Pipeline.Dispose();
        Metrics.Dispose();
        _services.Dispose();
    }
}
