using System.Reflection;
using System.Text.Json;
using Microsoft.Azure.Functions.Worker;
using RestaurantOs.Functions.Functions;

namespace RestaurantOs.Functions.Tests;

/// <summary>
/// docs/openapi.json (as embedded in the app and served at <c>GET /api/openapi.json</c>) describes exactly the HTTP
/// functions the app has: every route and method of every <c>[HttpTrigger]</c>, and nothing else.
/// </summary>
public sealed class OpenApiCoverageTests
{
    private static readonly string[] OperationKeys = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

    private static JsonElement Document()
    {
        using var stream = typeof(OpenApiFunction).Assembly.GetManifestResourceStream("openapi.json");
        Assert.NotNull(stream);
        return JsonDocument.Parse(stream).RootElement.Clone();
    }

    /// <summary>Every (METHOD, /api/route) the function classes declare.</summary>
    private static SortedSet<string> FunctionRoutes()
    {
        var routes = new SortedSet<string>(StringComparer.Ordinal);
        var methods = typeof(OpenApiFunction).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Where(m => m.GetCustomAttribute<FunctionAttribute>() is not null);
        foreach (var method in methods)
        {
            var trigger = method.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).SingleOrDefault(a => a is not null);
            if (trigger is null)
            {
                continue;
            }

            Assert.False(string.IsNullOrEmpty(trigger.Route), $"{method.Name} has no route");
            foreach (var verb in trigger.Methods ?? [])
            {
                routes.Add($"{verb.ToUpperInvariant()} /api/{trigger.Route}");
            }
        }

        return routes;
    }

    [Fact]
    public void The_document_names_every_http_function_route_and_method_and_no_other()
    {
        var document = Document();
        var documented = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject().Where(o => OperationKeys.Contains(o.Name)))
            {
                documented.Add($"{operation.Name.ToUpperInvariant()} {path.Name}");
            }
        }

        var functions = FunctionRoutes();
        Assert.True(functions.Count >= 16, $"found only {functions.Count} routes by reflection");
        var undocumented = functions.Except(documented).ToList();
        var phantom = documented.Except(functions).ToList();
        Assert.True(undocumented.Count == 0 && phantom.Count == 0,
            $"functions missing from docs/openapi.json: [{string.Join(", ", undocumented)}]; documented but no function: [{string.Join(", ", phantom)}]");
    }

    [Fact]
    public void Every_operation_has_an_id_responses_and_a_security_decision_and_every_reference_resolves()
    {
        var document = Document();
        Assert.Equal("3.1.0", document.GetProperty("openapi").GetString());
        var schemas = document.GetProperty("components").GetProperty("schemas");
        var responses = document.GetProperty("components").GetProperty("responses");
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject().Where(o => OperationKeys.Contains(o.Name)))
            {
                var where = $"{operation.Name.ToUpperInvariant()} {path.Name}";
                Assert.True(ids.Add(operation.Value.GetProperty("operationId").GetString()!), $"{where}: duplicate operationId");
                Assert.True(operation.Value.GetProperty("responses").EnumerateObject().Any(), $"{where}: no responses");
                var isPublic = operation.Value.TryGetProperty("security", out var security);
                var hasRoles = operation.Value.TryGetProperty("x-roles", out _);
                // A bearer-protected operation says which roles may call it; a public one says it is public.
                Assert.True(hasRoles || isPublic, $"{where}: neither x-roles nor its own security");
                if (isPublic && security.GetArrayLength() == 0)
                {
                    Assert.False(hasRoles, $"{where}: public but lists roles");
                }
            }
        }

        foreach (var reference in References(document))
        {
            var parts = reference.Split('/');
            var table = parts[2] == "schemas" ? schemas : responses;
            Assert.True(parts.Length == 4 && parts[0] == "#" && table.TryGetProperty(parts[3], out _), $"unresolved $ref {reference}");
        }
    }

    private static IEnumerable<string> References(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().SelectMany(p =>
            p.Name == "$ref" ? [p.Value.GetString()!] : References(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().SelectMany(References),
        _ => [],
    };
}
