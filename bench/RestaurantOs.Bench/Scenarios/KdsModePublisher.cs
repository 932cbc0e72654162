using System.Text.Json;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Kds;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Protocol;

namespace RestaurantOs.Bench.Scenarios;

/// <summary>Switches DevHost between KDS batching (the product) and "no batching" while the same connections stay open.</summary>
internal sealed class KdsMode
{
    private volatile bool _unbatched;
    private long _published;
    private long _kdsPublished;

    /// <summary>Broadcast events actually handed to the realtime service (each is one send call).</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>Of <see cref="Published"/>, the <c>kds:update</c> messages (batches, or single tickets when unbatched).</summary>
    public long KdsPublished => Interlocked.Read(ref _kdsPublished);

    public void Count(RealtimeEvent sent)
    {
        Interlocked.Increment(ref _published);
        if (sent.Type == EventTypes.KdsUpdate)
        {
            Interlocked.Increment(ref _kdsPublished);
        }
    }

    public bool Unbatched
    {
        get => _unbatched;
        set => _unbatched = value;
    }
}

/// <summary>
/// Wraps DevHost's <see cref="IEventPublisher"/>. Batching on: everything passes through. Batching off: what a KDS
/// feed costs without batching — every order change is sent as its own kds-style message (a one-ticket
/// <c>kds:update</c>, built by the product's own <see cref="KdsBatcher"/>) right after its order event, and the
/// timer's batches are dropped so nothing is counted twice.
/// </summary>
internal sealed class KdsModePublisher(IEventPublisher inner, KdsMode mode, TimeProvider time) : IEventPublisher
{
    public async Task PublishAsync(RealtimeEvent realtimeEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(realtimeEvent);
        if (!mode.Unbatched)
        {
            await inner.PublishAsync(realtimeEvent, cancellationToken).ConfigureAwait(false);
            mode.Count(realtimeEvent);
            return;
        }

        if (realtimeEvent.Type == EventTypes.KdsUpdate)
        {
            return;
        }

        await inner.PublishAsync(realtimeEvent, cancellationToken).ConfigureAwait(false);
        mode.Count(realtimeEvent);
        if (realtimeEvent.Type is EventTypes.OrderCreated or EventTypes.OrderUpdated
            && realtimeEvent.Data is { } data
            && data.TryGetProperty("order", out var element)
            && element.Deserialize(RealtimeJsonContext.Default.Order) is { } order)
        {
            foreach (var single in KdsBatcher.Build([order], time.GetUtcNow()))
            {
                await inner.PublishAsync(single, cancellationToken).ConfigureAwait(false);
                mode.Count(single);
            }
        }
    }

    public Task SendToConnectionAsync(string connectionId, RealtimeEvent message, CancellationToken cancellationToken) =>
        inner.SendToConnectionAsync(connectionId, message, cancellationToken);

    public Task SendToGroupAsync(string group, RealtimeEvent message, CancellationToken cancellationToken) =>
        inner.SendToGroupAsync(group, message, cancellationToken);
}
