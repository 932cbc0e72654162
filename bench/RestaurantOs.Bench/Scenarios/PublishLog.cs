using System.Collections.Concurrent;
using System.Diagnostics;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Ports;

namespace RestaurantOs.Bench.Scenarios;

/// <summary>When each broadcast event (not <c>kds:update</c>) finished its publish call: the "published" rate.</summary>
internal sealed class PublishLog
{
    private readonly ConcurrentQueue<long> _published = new();

    public long Count => _published.Count;

    public void Add(long timestamp) => _published.Enqueue(timestamp);

    /// <summary>When each event published at or after <paramref name="start"/> was published, in order.</summary>
    public IReadOnlyList<long> Since(long start) => _published.Where(t => t >= start).Order().ToList();

    /// <summary>Events published in each window of <paramref name="window"/> from <paramref name="start"/> until <paramref name="end"/>.</summary>
    public long[] PerWindow(long start, long end, TimeSpan window)
    {
        var ticks = (long)(window.TotalSeconds * Stopwatch.Frequency);
        var counts = new long[(int)Math.Max(1, (end - start + ticks - 1) / ticks)];
        foreach (var t in _published)
        {
            if (t >= start && t < end)
            {
                counts[(t - start) / ticks]++;
            }
        }

        return counts;
    }
}

/// <summary>Wraps DevHost's <see cref="IEventPublisher"/> and logs when each broadcast event has been handed to Web PubSub.</summary>
internal sealed class LoggingPublisher(IEventPublisher inner, PublishLog log) : IEventPublisher
{
    public async Task PublishAsync(RealtimeEvent realtimeEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(realtimeEvent);
        await inner.PublishAsync(realtimeEvent, cancellationToken).ConfigureAwait(false);
        if (realtimeEvent.Type != EventTypes.KdsUpdate)
        {
            log.Add(Stopwatch.GetTimestamp());
        }
    }

    public Task SendToConnectionAsync(string connectionId, RealtimeEvent message, CancellationToken cancellationToken) =>
        inner.SendToConnectionAsync(connectionId, message, cancellationToken);

    public Task SendToGroupAsync(string group, RealtimeEvent message, CancellationToken cancellationToken) =>
        inner.SendToGroupAsync(group, message, cancellationToken);
}
