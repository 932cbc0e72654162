using System.Diagnostics.Metrics;

namespace RestaurantOs.Emulator.Hosting;

/// <summary>Instruments of the <c>RestaurantOs.Emulator</c> meter.</summary>
internal sealed class EmulatorMetrics
{
    public const string MeterName = "RestaurantOs.Emulator";

    private readonly UpDownCounter<long> _connections;
    private readonly Counter<long> _messagesIn;
    private readonly Counter<long> _messagesOut;
    private readonly Counter<long> _upstreamCalls;
    private readonly Counter<long> _queueOverflows;

    public EmulatorMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        _connections = meter.CreateUpDownCounter<long>("emulator.connections", "{connection}", "Open client connections.");
        _messagesIn = meter.CreateCounter<long>("emulator.messages.in", "{message}", "Messages received from clients.");
        _messagesOut = meter.CreateCounter<long>("emulator.messages.out", "{message}", "Messages queued to clients.");
        _upstreamCalls = meter.CreateCounter<long>("emulator.upstream.calls", "{call}", "Calls to upstream event handlers by event and status.");
        _queueOverflows = meter.CreateCounter<long>("emulator.queue.overflows", "{connection}", "Connections closed because their send queue was full.");
    }

    public void ConnectionOpened(string hub) => _connections.Add(1, new KeyValuePair<string, object?>("hub", hub));

    public void ConnectionClosed(string hub) => _connections.Add(-1, new KeyValuePair<string, object?>("hub", hub));

    public void MessageIn(string hub) => _messagesIn.Add(1, new KeyValuePair<string, object?>("hub", hub));

    public void MessagesOut(string hub, long count)
    {
        if (count > 0)
        {
            _messagesOut.Add(count, new KeyValuePair<string, object?>("hub", hub));
        }
    }

    public void UpstreamCall(string eventName, int status) =>
        _upstreamCalls.Add(1, new KeyValuePair<string, object?>("event", eventName), new KeyValuePair<string, object?>("status", status));

    public void QueueOverflow(string hub) => _queueOverflows.Add(1, new KeyValuePair<string, object?>("hub", hub));
}
