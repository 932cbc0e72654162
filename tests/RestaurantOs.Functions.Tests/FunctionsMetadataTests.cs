using System.Reflection;
using System.Text.Json;

namespace RestaurantOs.Functions.Tests;

/// <summary>The Functions SDK's build output declares every function with the trigger, route and methods Azure will use.</summary>
public sealed class FunctionsMetadataTests
{
    public static TheoryData<string, string, string?, string> Expected => new()
    {
        { "Negotiate", "httpTrigger", "negotiate", "get,post" },
        { "WebPubSubEvents", "httpTrigger", "webpubsub", "options,post" },
        { "CreateOrder", "httpTrigger", "orders", "post" },
        { "ListOrders", "httpTrigger", "orders", "get" },
        { "GetOrder", "httpTrigger", "orders/{id}", "get" },
        { "PatchOrder", "httpTrigger", "orders/{id}", "patch" },
        { "ChangeOrderStatus", "httpTrigger", "orders/{id}/status", "post" },
        { "AddPayment", "httpTrigger", "orders/{id}/payments", "post" },
        { "PutTable", "httpTrigger", "tables/{id}", "put" },
        { "ListTables", "httpTrigger", "tables", "get" },
        { "SendNotification", "httpTrigger", "notifications", "post" },
        { "CatchUp", "httpTrigger", "events", "get" },
        { "Health", "httpTrigger", "health", "get" },
        { "ProblemTypes", "httpTrigger", "problems", "get" },
        { "ProblemType", "httpTrigger", "problems/{code}", "get" },
        { "ListPresence", "httpTrigger", "presence", "get" },
        { "OpenApiDocument", "httpTrigger", "openapi.json", "get" },
        { "ChangeFeed", "timerTrigger", null, "%ChangeFeedSchedule%" },
        { "KdsBatch", "timerTrigger", null, "%KdsSchedule%" },
        { "AuthGrace", "timerTrigger", null, "%AuthGraceSchedule%" },
        { "Presence", "timerTrigger", null, "%PresenceSchedule%" },
    };

    [Theory]
    [MemberData(nameof(Expected))]
    public void Functions_metadata_declares_the_function(string name, string trigger, string? route, string methodsOrSchedule)
    {
        var function = Metadata().EnumerateArray().SingleOrDefault(f => f.GetProperty("name").GetString() == name);
        Assert.True(function.ValueKind == JsonValueKind.Object, $"functions.metadata has no function '{name}'.");
        var binding = function.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("direction").GetString() == "In");

        Assert.Equal(trigger, binding.GetProperty("type").GetString());
        if (trigger == "httpTrigger")
        {
            Assert.Equal(route, binding.GetProperty("route").GetString());
            var methods = binding.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!.ToLowerInvariant()).Order();
            Assert.Equal(methodsOrSchedule.Split(',').Order(), methods);
        }
        else
        {
            Assert.Equal(methodsOrSchedule, binding.GetProperty("schedule").GetString());
        }
    }

    [Fact]
    public void Functions_metadata_has_no_function_the_tests_do_not_know()
    {
        var known = Expected.Select(row => row.Data.Item1).ToHashSet(StringComparer.Ordinal);
        var declared = Metadata().EnumerateArray().Select(f => f.GetProperty("name").GetString()!).ToList();
        Assert.Equal(known.Order(), declared.Order());
    }

    private static JsonElement Metadata()
    {
        // The test project references the Functions project, so its build (and functions.metadata) is up to date.
        var configuration = typeof(FunctionsMetadataTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
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
