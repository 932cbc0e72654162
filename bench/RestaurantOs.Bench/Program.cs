using RestaurantOs.Bench.HotPaths;
using RestaurantOs.Bench.Infrastructure;
using RestaurantOs.Bench.Scenarios;
using RestaurantOs.Bench.Servers;

// dotnet run -c Release --project bench/RestaurantOs.Bench -- <scenario> [--option value ...]
// Scenarios: latency, azure-latency, cost, fanout, connections, hotpaths. "serve <kind>" is the child-process server mode.
if (args.Length == 0)
{
    Console.Error.WriteLine("Usage: RestaurantOs.Bench <latency|azure-latency|cost|fanout|connections|hotpaths> [--option value ...]");
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

var scenario = args[0];
var rest = args.Skip(1).ToArray();
return scenario switch
{
    "serve" when rest.Length == 1 => await BenchServers.RunAsync(rest[0]),
    "hotpaths" => HotPathRunner.Run(rest),
    "fanout" => await FanoutScenario.RunAsync(new BenchArgs(rest), cancel.Token),
    "connections" => await ConnectionsScenario.RunAsync(new BenchArgs(rest), cancel.Token),
    "latency" => await LatencyScenario.RunAsync(new BenchArgs(rest), cost: false, cancel.Token),
    "cost" => await LatencyScenario.RunAsync(new BenchArgs(rest), cost: true, cancel.Token),
    "azure-latency" => await AzureLatencyScenario.RunAsync(new BenchArgs(rest), cancel.Token),
    _ => Usage(scenario),
};

static int Usage(string scenario)
{
    Console.Error.WriteLine($"Unknown scenario '{scenario}'. Use latency, azure-latency, cost, fanout, connections or hotpaths.");
    return 2;
}
