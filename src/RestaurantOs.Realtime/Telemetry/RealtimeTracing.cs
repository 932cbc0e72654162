using System.Diagnostics;

namespace RestaurantOs.Realtime.Telemetry;

/// <summary>
/// The project's traces: one <see cref="ActivitySource"/> for its own spans (store calls, the event pipeline, the
/// publish to Web PubSub), and the W3C trace parent a write leaves on its store change, so the publish that the
/// change causes later, maybe on another instance, continues the write's trace.
/// </summary>
public static class RealtimeTracing
{
    /// <summary>The source name to listen to (OpenTelemetry <c>AddSource</c>).</summary>
    public const string SourceName = "RestaurantOs.Realtime";

    public static ActivitySource Source { get; } = new(SourceName);

    /// <summary>The W3C <c>traceparent</c> of the current activity, to store with a write; null outside a trace.</summary>
    public static string? CurrentTraceParent() =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C, Id: { } id } ? id : null;

    /// <summary>The context a stored <c>traceparent</c> names; <c>default</c> when there is none or it is not valid.</summary>
    public static ActivityContext ContextFrom(string? traceParent) =>
        traceParent is not null && ActivityContext.TryParse(traceParent, traceState: null, out var context) ? context : default;
}
