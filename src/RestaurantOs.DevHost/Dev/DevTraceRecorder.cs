using System.Diagnostics;
using RestaurantOs.Functions.Composition;

namespace RestaurantOs.DevHost.Dev;

/// <summary>One finished span, as <c>/dev/traces</c> shows it.</summary>
internal sealed record DevSpan(
    string TraceId,
    string SpanId,
    string? ParentSpanId,
    string Name,
    string Source,
    string Kind,
    DateTimeOffset Start,
    double DurationMs,
    string Status,
    IReadOnlyDictionary<string, string?> Tags,
    IReadOnlyList<string> LinkedTraceIds);

/// <summary>The spans of one trace, oldest first.</summary>
internal sealed record DevTrace(string TraceId, IReadOnlyList<DevSpan> Spans);

internal sealed record DevTraces(IReadOnlyList<DevTrace> Traces);

/// <summary>
/// DevHost's local view of the traces the Functions app sends to Application Insights in Azure: the same sources
/// (ours, Cosmos DB's, HttpClient's) plus ASP.NET Core's request spans, kept in memory (the last
/// <see cref="Capacity"/> spans) and served at <c>/dev/traces</c>. A write's trace shows the HTTP request, the store
/// calls, and the publish to Web PubSub with its REST call, even though the publish runs later in the pipeline.
/// With <c>Dev:Traces</c> set to false (the benchmarks do) nothing listens, so no span is even created.
/// </summary>
internal sealed class DevTraceRecorder : IDisposable
{
    public const int Capacity = 4096;

    private readonly ActivityListener? _listener;
    private readonly Queue<DevSpan> _spans = new();
    private readonly Lock _gate = new();

    public DevTraceRecorder(IConfiguration configuration)
    {
        if (!configuration.GetValue("Dev:Traces", defaultValue: true))
        {
            return;
        }

        var sources = new HashSet<string>(RestaurantOsTelemetry.TraceSources, StringComparer.Ordinal) { "Microsoft.AspNetCore" };
        _listener = new ActivityListener
        {
            ShouldListenTo = source => sources.Contains(source.Name),
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = Record,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    private void Record(Activity activity)
    {
        var span = new DevSpan(
            activity.TraceId.ToHexString(),
            activity.SpanId.ToHexString(),
            activity.ParentSpanId == default ? null : activity.ParentSpanId.ToHexString(),
            activity.DisplayName,
            activity.Source.Name,
            activity.Kind.ToString(),
            activity.StartTimeUtc,
            activity.Duration.TotalMilliseconds,
            activity.Status.ToString(),
            activity.TagObjects.ToDictionary(t => t.Key, t => t.Value?.ToString(), StringComparer.Ordinal),
            [.. activity.Links.Select(l => l.Context.TraceId.ToHexString())]);
        lock (_gate)
        {
            _spans.Enqueue(span);
            while (_spans.Count > Capacity)
            {
                _spans.Dequeue();
            }
        }
    }

    /// <summary>The most recent traces (newest first), or the one with <paramref name="traceId"/>.</summary>
    public DevTraces Recent(string? traceId, int limit)
    {
        List<DevSpan> spans;
        lock (_gate)
        {
            spans = [.. _spans];
        }

        var traces = spans
            .Where(s => traceId is null || s.TraceId == traceId)
            .GroupBy(s => s.TraceId)
            .Select(g => new DevTrace(g.Key, [.. g.OrderBy(s => s.Start)]))
            .OrderByDescending(t => t.Spans[^1].Start)
            .Take(limit)
            .ToList();
        return new DevTraces(traces);
    }

    public void Dispose() => _listener?.Dispose();
}
