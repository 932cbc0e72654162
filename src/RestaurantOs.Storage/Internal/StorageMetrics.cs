using System.Diagnostics.Metrics;

namespace RestaurantOs.Storage.Internal;

/// <summary>Meter <c>RestaurantOs.Storage</c>: operations by store, op and outcome; conflicts; throttles.</summary>
internal sealed class StorageMetrics
{
    public const string MeterName = "RestaurantOs.Storage";

    private readonly Counter<long> operations;
    private readonly Counter<long> conflicts;
    private readonly Counter<long> throttled;

    public StorageMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        operations = meter.CreateCounter<long>("restaurantos.storage.operations", "{operation}", "Store operations by store, op and outcome.");
        conflicts = meter.CreateCounter<long>("restaurantos.storage.conflicts", "{conflict}", "Optimistic-concurrency and duplicate-id conflicts.");
        throttled = meter.CreateCounter<long>("restaurantos.storage.throttled", "{request}", "Requests the database rejected with 429 after SDK retries.");
    }

    public void Operation(string store, string op, string outcome) =>
        operations.Add(1, new("store", store), new("op", op), new("outcome", outcome));

    public void Conflict(string store, string op) =>
        conflicts.Add(1, new KeyValuePair<string, object?>("store", store), new KeyValuePair<string, object?>("op", op));

    public void Throttled(string store, string op) =>
        throttled.Add(1, new KeyValuePair<string, object?>("store", store), new KeyValuePair<string, object?>("op", op));
}

internal static class Outcomes
{
    public const string Ok = "ok";
    public const string Conflict = "conflict";
    public const string NotFound = "not_found";
    public const string Duplicate = "duplicate";
    public const string Throttled = "throttled";
    public const string Error = "error";
}
