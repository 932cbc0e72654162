using System.Text.Json;
using RestaurantOs.DevHost.FunctionHost;
using RestaurantOs.Functions.Functions;

namespace RestaurantOs.WorkerHost.Tests;

/// <summary>
/// The real worker starts as the Functions host starts it, indexes its own functions, and loads them; what it indexes
/// is exactly what DevHost maps by reflection and what the build's functions.metadata declares to Azure.
/// </summary>
public sealed class WorkerStartupTests(WorkerFixture worker) : IClassFixture<WorkerFixture>
{
    /// <summary>One comparable line per function: name, trigger, and the trigger's route/methods/auth or schedule.</summary>
    private static string Describe(string name, JsonElement trigger) => trigger.GetProperty("type").GetString() switch
    {
        "httpTrigger" => $"{name} http {trigger.GetProperty("route").GetString()} [{string.Join(',', trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!.ToLowerInvariant()).Order())}] {trigger.GetProperty("authLevel").GetString()}",
        "timerTrigger" => $"{name} timer {trigger.GetProperty("schedule").GetString()}",
        var other => $"{name} {other}",
    };

    [Fact]
    public void The_worker_indexes_exactly_what_the_build_declares_and_DevHost_maps()
    {
        var indexed = worker.Host.Functions.Select(f => Describe(f.Name, f.Trigger)).Order(StringComparer.Ordinal).ToList();

        using var metadata = JsonDocument.Parse(File.ReadAllText(Path.Combine(Path.GetDirectoryName(WorkerFixture.WorkerAssembly)!, "functions.metadata")));
        var declared = metadata.RootElement.EnumerateArray()
            .Select(f => Describe(f.GetProperty("name").GetString()!, f.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal))))
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(declared, indexed);

        // DevHost maps the same classes by reflection: same names, routes, methods and schedules (it has no auth levels).
        var (http, timers) = FunctionCatalog.Discover(typeof(OrderFunctions).Assembly);
        var mapped = http.Select(f => $"{f.Name} http {f.Route} [{string.Join(',', f.Methods.Select(m => m.ToLowerInvariant()).Order())}]")
            .Concat(timers.Select(t => $"{t.Name} timer {t.Schedule}"))
            .Order(StringComparer.Ordinal).ToList();
        var indexedWithoutAuth = worker.Host.Functions
            .Select(f => Describe(f.Name, f.Trigger))
            .Select(d => d.Contains(" http ", StringComparison.Ordinal) ? d[..d.LastIndexOf(' ')] : d)
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(mapped, indexedWithoutAuth);
    }

    [Fact]
    public void Every_function_loads_and_the_worker_serves_http_through_its_aspnetcore_integration()
    {
        Assert.True(worker.Host.Functions.Count >= 19, worker.Host.Output);
        Assert.Equal("127.0.0.1", worker.Host.HttpUri.Host == "localhost" ? "127.0.0.1" : worker.Host.HttpUri.Host);
        Assert.Contains(worker.Host.Functions, f => f.Name == "WebPubSubEvents" && f.Trigger.GetProperty("authLevel").GetString() == "Function");
        TestContext.Current.TestOutputHelper?.WriteLine($"worker process started, indexed and loaded in {worker.Host.StartTime.TotalSeconds:0.00} s");
    }
}
