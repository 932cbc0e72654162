using System.Diagnostics.Metrics;

namespace RestaurantOs.WebPubSub;

/// <summary>Names for wiring this library's telemetry (e.g. OpenTelemetry <c>AddMeter(WebPubSubTelemetry.MeterName)</c>).</summary>
public static class WebPubSubTelemetry
{
    /// <summary>The <see cref="Meter"/> name of every instrument in this library.</summary>
    public const string MeterName = "RestaurantOs.WebPubSub";
}

/// <summary>
/// Instruments: <c>webpubsub.rest.requests</c> (operation, status), <c>webpubsub.rest.retries</c> (operation, reason),
/// <c>webpubsub.rest.duration</c> (operation, seconds, whole call including retries), <c>webpubsub.upstream.requests</c>
/// (event_type, outcome).
/// </summary>
internal sealed class WebPubSubMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _restRequests;
    private readonly Counter<long> _restRetries;
    private readonly Histogram<double> _restDuration;
    private readonly Counter<long> _upstreamRequests;

    public WebPubSubMetrics(IMeterFactory? meterFactory = null)
    {
        // A factory-created meter belongs to the factory (disposed with the container); only a private one is ours.
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(WebPubSubTelemetry.MeterName) ?? new Meter(WebPubSubTelemetry.MeterName);
        _restRequests = _meter.CreateCounter<long>("webpubsub.rest.requests", "{request}", "Web PubSub REST attempts by operation and HTTP status ('error' when no response).");
        _restRetries = _meter.CreateCounter<long>("webpubsub.rest.retries", "{retry}", "Web PubSub REST retries by operation and reason.");
        _restDuration = _meter.CreateHistogram<double>("webpubsub.rest.duration", "s", "Duration of Web PubSub REST calls including retries.");
        _upstreamRequests = _meter.CreateCounter<long>("webpubsub.upstream.requests", "{request}", "Upstream (event handler) requests by event type and outcome.");
    }

    public void RestAttempt(string operation, string status) =>
        _restRequests.Add(1, new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("status", status));

    public void RestRetry(string operation, string reason) =>
        _restRetries.Add(1, new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("reason", reason));

    public void RestDuration(string operation, TimeSpan elapsed) =>
        _restDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("operation", operation));

    public void Upstream(string eventType, string outcome) =>
        _upstreamRequests.Add(1, new KeyValuePair<string, object?>("event_type", eventType), new KeyValuePair<string, object?>("outcome", outcome));

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
