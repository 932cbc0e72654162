using System.Diagnostics.Metrics;

namespace RestaurantOs.Realtime.Services;

/// <summary>
/// The seed's Monitoring list as System.Diagnostics.Metrics instruments (meter <c>RestaurantOs.Realtime</c>):
/// active connections per restaurant, message throughput, authentication failures, reconnections (resumes),
/// processing time, errors by code or event type, and the event pipeline's lanes, page durations and publish lag.
/// Exported through OpenTelemetry where the host configures it.
/// </summary>
public sealed class RealtimeMetrics : IDisposable
{
    public const string MeterName = "RestaurantOs.Realtime";

    private readonly Meter _meter;
    private readonly UpDownCounter<long> _connections;
    private readonly Counter<long> _messagesIn;
    private readonly Counter<long> _eventsPublished;
    private readonly Counter<long> _authFailures;
    private readonly Counter<long> _reconnections;
    private readonly Counter<long> _errors;
    private readonly Histogram<double> _processing;
    private readonly Histogram<double> _eventLag;
    private readonly UpDownCounter<long> _lanesActive;
    private readonly Histogram<double> _batchDuration;
    private readonly Histogram<long> _batchLanes;
    private readonly Counter<long> _laneFailures;
    private readonly Counter<long> _stationAlerts;

    public RealtimeMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(MeterName);
        _connections = _meter.CreateUpDownCounter<long>("realtime.connections.active", description: "Open connections, tagged by restaurant.");
        _messagesIn = _meter.CreateCounter<long>("realtime.messages.received", description: "Client messages handled, tagged by type.");
        _eventsPublished = _meter.CreateCounter<long>("realtime.events.published", description: "Events sent to the realtime service, tagged by type.");
        _authFailures = _meter.CreateCounter<long>("realtime.auth.failures", description: "Rejected tokens and auth timeouts, tagged by code.");
        _reconnections = _meter.CreateCounter<long>("realtime.reconnections", description: "Resume requests (a client reconnected and caught up).");
        _errors = _meter.CreateCounter<long>("realtime.errors", description: "Error replies and failures, tagged by code.");
        _processing = _meter.CreateHistogram<double>("realtime.message.processing", unit: "ms", description: "Time to handle one client message.");
        _eventLag = _meter.CreateHistogram<double>("realtime.event.lag", unit: "ms", description: "From a committed write to its event being sent.");
        _lanesActive = _meter.CreateUpDownCounter<long>("realtime.pipeline.lanes.active", description: "Restaurant lanes of the event pipeline in flight.");
        _batchDuration = _meter.CreateHistogram<double>("realtime.pipeline.batch.duration", unit: "ms", description: "From reading a feed page to all its lanes finished, tagged by outcome.");
        _batchLanes = _meter.CreateHistogram<long>("realtime.pipeline.batch.lanes", description: "Restaurants (lanes) in one feed page.");
        _laneFailures = _meter.CreateCounter<long>("realtime.pipeline.lane.failures", description: "Lanes that failed; their page is repeated.");
        _stationAlerts = _meter.CreateCounter<long>("realtime.presence.alerts", description: "station:alert messages sent, tagged by alert (gone, behind) and state (raised, cleared).");
    }

    public void ConnectionOpened(Guid? restaurantId) => _connections.Add(1, Tag("restaurant_id", restaurantId));

    public void ConnectionClosed(Guid? restaurantId) => _connections.Add(-1, Tag("restaurant_id", restaurantId));

    public void MessageReceived(string type, double elapsedMs)
    {
        _messagesIn.Add(1, new KeyValuePair<string, object?>("type", type));
        _processing.Record(elapsedMs, new KeyValuePair<string, object?>("type", type));
    }

    public void EventPublished(string type, double lagMs)
    {
        _eventsPublished.Add(1, new KeyValuePair<string, object?>("type", type));
        _eventLag.Record(lagMs, new KeyValuePair<string, object?>("type", type));
    }

    public void LaneStarted() => _lanesActive.Add(1);

    public void LaneFinished(bool succeeded)
    {
        _lanesActive.Add(-1);
        if (!succeeded)
        {
            _laneFailures.Add(1);
        }
    }

    public void BatchCompleted(int lanes, double elapsedMs, bool succeeded)
    {
        _batchLanes.Record(lanes);
        _batchDuration.Record(elapsedMs, new KeyValuePair<string, object?>("outcome", succeeded ? "ok" : "failed"));
    }

    public void AuthFailed(string code) => _authFailures.Add(1, new KeyValuePair<string, object?>("code", code));

    public void Reconnected() => _reconnections.Add(1);

    public void Error(string code) => _errors.Add(1, new KeyValuePair<string, object?>("code", code));

    public void StationAlert(string alert, string state) =>
        _stationAlerts.Add(1, new KeyValuePair<string, object?>("alert", alert), new KeyValuePair<string, object?>("state", state));

    public void Dispose() => _meter.Dispose();

    private static KeyValuePair<string, object?> Tag(string name, Guid? id) => new(name, id?.ToString("N") ?? "pending");
}
