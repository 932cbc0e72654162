using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json.Serialization;
using RestaurantOs.Realtime.Services;

namespace RestaurantOs.DevHost.Dev;

/// <summary>
/// Listens to the <c>RestaurantOs.Realtime</c> meter in-process and keeps the figures the metrics page shows.
/// Development only: in Azure the same instruments are exported through OpenTelemetry to Application Insights.
/// </summary>
internal sealed class DevMetricsCollector : IDisposable
{
    private const int WindowSeconds = 10;
    private readonly MeterListener _listener = new();
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, long> _connections = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _errors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _events = new(StringComparer.Ordinal);
    private readonly long[] _messagesPerSecond = new long[WindowSeconds];
    private readonly long[] _secondOfSlot = new long[WindowSeconds];
    private readonly List<double> _processing = [];
    private readonly Lock _lock = new();
    private readonly DateTimeOffset _started;
    private long _authFailures;
    private long _reconnections;

    public DevMetricsCollector(TimeProvider time)
    {
        _time = time;
        _started = time.GetUtcNow();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == RealtimeMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>(OnLong);
        _listener.SetMeasurementEventCallback<double>(OnDouble);
        _listener.Start();
    }

    public DevMetricsSnapshot Snapshot()
    {
        var now = _time.GetUtcNow();
        var second = now.ToUnixTimeSeconds();
        double[] processing;
        long recent = 0;
        lock (_lock)
        {
            for (var i = 0; i < WindowSeconds; i++)
            {
                if (second - _secondOfSlot[i] is > 0 and <= WindowSeconds)
                {
                    recent += _messagesPerSecond[i];
                }
            }

            processing = [.. _processing];
        }

        Array.Sort(processing);
        var minutes = Math.Max(1.0 / 60, (now - _started).TotalMinutes);
        var reconnections = Interlocked.Read(ref _reconnections);
        return new DevMetricsSnapshot(
            now,
            _connections.Where(kv => kv.Value > 0).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
            recent / (double)WindowSeconds,
            Interlocked.Read(ref _authFailures),
            reconnections,
            reconnections / minutes,
            new ProcessingPercentiles(Percentile(processing, 0.5), Percentile(processing, 0.9), Percentile(processing, 0.99)),
            new Dictionary<string, long>(_errors, StringComparer.Ordinal),
            new Dictionary<string, long>(_events, StringComparer.Ordinal));
    }

    public void Dispose() => _listener.Dispose();

    private void OnLong(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        switch (instrument.Name)
        {
            case "realtime.connections.active":
                _connections.AddOrUpdate(Tag(tags, "restaurant_id"), value, (_, current) => current + value);
                break;
            case "realtime.messages.received":
            case "realtime.events.published":
                CountSecond(value);
                if (instrument.Name == "realtime.events.published")
                {
                    _events.AddOrUpdate(Tag(tags, "type"), value, (_, current) => current + value);
                }

                break;
            case "realtime.auth.failures":
                Interlocked.Add(ref _authFailures, value);
                break;
            case "realtime.reconnections":
                Interlocked.Add(ref _reconnections, value);
                break;
            case "realtime.errors":
                _errors.AddOrUpdate(Tag(tags, "code"), value, (_, current) => current + value);
                break;
        }
    }

    private void OnDouble(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        if (instrument.Name == "realtime.message.processing")
        {
            lock (_lock)
            {
                // Keep the latest 2,000 samples: enough for stable percentiles on a development page.
                if (_processing.Count == 2000)
                {
                    _processing.RemoveAt(0);
                }

                _processing.Add(value);
            }
        }
    }

    private void CountSecond(long value)
    {
        var second = _time.GetUtcNow().ToUnixTimeSeconds();
        var slot = (int)(second % WindowSeconds);
        lock (_lock)
        {
            if (_secondOfSlot[slot] != second)
            {
                _secondOfSlot[slot] = second;
                _messagesPerSecond[slot] = 0;
            }

            _messagesPerSecond[slot] += value;
        }
    }

    private static string Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == name)
            {
                return tag.Value?.ToString() ?? "unknown";
            }
        }

        return "unknown";
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : Math.Round(sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)], 3);
}

internal sealed record ProcessingPercentiles(double P50, double P90, double P99);

internal sealed record DevMetricsSnapshot(
    DateTimeOffset GeneratedAt,
    IReadOnlyDictionary<string, long> ActiveConnections,
    double MessagesPerSecond,
    long AuthFailures,
    long Reconnections,
    double ReconnectionRatePerMinute,
    ProcessingPercentiles ProcessingMs,
    IReadOnlyDictionary<string, long> ErrorsByType,
    IReadOnlyDictionary<string, long> EventsByType);

internal sealed record DevToken(string Token);

internal sealed record DevRestaurant(Guid Id, string Name);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(DevMetricsSnapshot))]
[JsonSerializable(typeof(DevToken))]
[JsonSerializable(typeof(IReadOnlyList<DevRestaurant>))]
[JsonSerializable(typeof(DevTraces))]
internal sealed partial class DevJsonContext : JsonSerializerContext;
