using System.Reflection;
using System.Text.Json;
using Microsoft.Azure.Functions.Worker;
using RestaurantOs.Functions.Functions;

namespace RestaurantOs.Functions.Tests;

/// <summary>
/// DevHost's development endpoints (<c>/dev/token</c> mints any token for any restaurant; <c>/dev/metrics</c> and
/// <c>/metrics/prometheus</c> expose internals without auth) must never exist in the Functions app. Azure maps only
/// what functions.metadata declares, so the build output and the trigger attributes are the whole route table.
/// </summary>
public sealed class DevelopmentEndpointsAbsentTests
{
    private static readonly string[] DevelopmentPrefixes = ["dev", "metrics"];

    [Fact]
    public void Functions_metadata_declares_no_development_route()
    {
        var routes = Metadata().EnumerateArray()
            .SelectMany(f => f.GetProperty("bindings").EnumerateArray())
            .Where(b => b.GetProperty("type").GetString() == "httpTrigger")
            .Select(b => b.GetProperty("route").GetString() ?? string.Empty)
            .ToList();

        Assert.NotEmpty(routes);
        Assert.Contains("webpubsub", routes);
        Assert.DoesNotContain(routes, IsDevelopmentRoute);
    }

    [Fact]
    public void No_http_trigger_in_the_functions_assembly_has_a_development_route()
    {
        var triggers = typeof(OrderFunctions).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .SelectMany(m => m.GetParameters())
            .Select(p => p.GetCustomAttribute<HttpTriggerAttribute>())
            .OfType<HttpTriggerAttribute>()
            .ToList();

        Assert.True(triggers.Count >= 10, $"only {triggers.Count} HTTP triggers found; the scan is broken");
        Assert.DoesNotContain(triggers, t => IsDevelopmentRoute(t.Route ?? string.Empty));
    }

    [Fact]
    public void The_functions_app_references_neither_devhost_nor_the_prometheus_exporter()
    {
        var references = typeof(OrderFunctions).Assembly.GetReferencedAssemblies().Select(a => a.Name ?? string.Empty).ToList();

        Assert.Contains("RestaurantOs.Realtime", references);
        Assert.DoesNotContain(references, name => name.StartsWith("RestaurantOs.DevHost", StringComparison.Ordinal));
        Assert.DoesNotContain(references, name => name.Contains("Prometheus", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(typeof(OrderFunctions).Assembly.GetTypes(), t => t.Name.StartsWith("DevEndpoints", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("dev/token")]
    [InlineData("dev/metrics")]
    [InlineData("metrics/prometheus")]
    [InlineData("/dev/token")]
    [InlineData("Dev/Token")]
    public void The_route_check_recognises_each_development_route(string route) => Assert.True(IsDevelopmentRoute(route));

    private static bool IsDevelopmentRoute(string route)
    {
        var first = route.TrimStart('/').Split('/')[0];
        return DevelopmentPrefixes.Contains(first, StringComparer.OrdinalIgnoreCase);
    }

    private static JsonElement Metadata()
    {
        var configuration = typeof(DevelopmentEndpointsAbsentTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "RestaurantOs.Functions.sln")))
        {
            directory = directory.Parent;
        }

        Assert.NotNull(directory);
        var path = Path.Combine(directory.FullName, "src", "RestaurantOs.Functions", "bin", configuration, "net10.0", "functions.metadata");
        Assert.True(File.Exists(path), $"functions.metadata not found at {path}; build src/RestaurantOs.Functions first.");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone();
    }
}
