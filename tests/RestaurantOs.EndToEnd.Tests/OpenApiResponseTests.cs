using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using RestaurantOs.EndToEnd.Tests.Infrastructure;

namespace RestaurantOs.EndToEnd.Tests;

/// <summary>
/// Real answers of DevHost's HTTP API, successes and errors of every operation, validated against the schema that
/// docs/openapi.json gives for that path, method, status and content type. A status or content type the document
/// does not list for the operation fails as surely as a body that breaks the schema.
/// </summary>
public sealed class OpenApiResponseTests(DevHostFixture host) : IClassFixture<DevHostFixture>
{
    private static readonly Lazy<JsonElement> Spec = new(() => JsonDocument.Parse(File.ReadAllText(RepoFiles.Docs("openapi.json"))).RootElement.Clone());

    /// <summary>The (path template, method) pairs this test has seen a documented 2xx for.</summary>
    private readonly HashSet<string> _succeeded = new(StringComparer.Ordinal);
    private int _schemaCount;

    private async Task<JsonElement> CheckAsync(HttpResponseMessage response, string template, string method)
    {
        var text = await response.Content.ReadAsStringAsync();
        var status = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var where = $"{method.ToUpperInvariant()} {template} → {status}";
        Assert.True(Spec.Value.GetProperty("paths").TryGetProperty(template, out var path), $"{where}: path not in docs/openapi.json");
        Assert.True(path.TryGetProperty(method, out var operation), $"{where}: method not documented");
        Assert.True(operation.GetProperty("responses").TryGetProperty(status, out var documented), $"{where}: status not documented: {text}");
        if (documented.TryGetProperty("$ref", out var reference))
        {
            documented = Spec.Value.GetProperty("components").GetProperty("responses").GetProperty(reference.GetString()!.Split('/')[^1]);
        }

        var mediaType = response.Content.Headers.ContentType?.MediaType;
        Assert.True(documented.TryGetProperty("content", out var content), $"{where}: documented without a body, answered {mediaType}: {text}");
        Assert.True(content.TryGetProperty(mediaType!, out var media), $"{where}: content type {mediaType} not documented");

        var body = JsonDocument.Parse(text).RootElement.Clone();
        var results = SchemaFor(media.GetProperty("schema")).Evaluate(body, new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });
        Assert.True(results.IsValid, $"{where}: the body breaks the documented schema:\n{Describe(results)}\n{text}");
        if (status[0] == '2')
        {
            _succeeded.Add($"{method} {template}");
        }

        return body;
    }

    /// <summary>The documented schema as a standalone 2020-12 schema: the components become its <c>$defs</c>.</summary>
    private JsonSchema SchemaFor(JsonElement schema)
    {
        var root = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$defs"] = JsonNode.Parse(Spec.Value.GetProperty("components").GetProperty("schemas").GetRawText()),
        };
        foreach (var property in JsonNode.Parse(schema.GetRawText())!.AsObject())
        {
            root[property.Key] = property.Value?.DeepClone();
        }

        var text = root.ToJsonString().Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal);
        var id = Interlocked.Increment(ref _schemaCount);
        return JsonSchema.FromText(text, baseUri: new Uri($"https://restaurant-os.test/openapi/{Guid.NewGuid():N}/{id}"));
    }

    private static string Describe(EvaluationResults results) =>
        string.Join('\n', new[] { results }.Concat(results.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"  {d.InstanceLocation} ({d.EvaluationPath}): {e.Key}: {e.Value}")));

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token, JsonNode? body = null, string? rawBody = null) =>
        host.SendAsync(method, path, token, body, rawBody);

    [Fact]
    public async Task Every_operation_answers_as_documented_on_success_and_on_error()
    {
        var restaurant = Guid.NewGuid();
        var manager = await host.TokenAsync(restaurant, "manager");
        var kitchen = await host.TokenAsync(restaurant, "kitchen");
        var orderId = Guid.NewGuid();

        // Orders: create, list, read, patch, status, payment.
        using (var r = await SendAsync(HttpMethod.Post, "api/orders", manager, Bodies.Order(orderId, "T1")))
        {
            await CheckAsync(r, "/api/orders", "post");
        }

        using (var r = await SendAsync(HttpMethod.Get, "api/orders", manager))
        {
            Assert.Equal(1, (await CheckAsync(r, "/api/orders", "get")).GetArrayLength());
        }

        using (var r = await SendAsync(HttpMethod.Get, $"api/orders/{orderId}", manager))
        {
            await CheckAsync(r, "/api/orders/{id}", "get");
        }

        using (var r = await SendAsync(HttpMethod.Patch, $"api/orders/{orderId}", manager, new JsonObject { ["expected_version"] = 1, ["notes"] = "no onions", ["customer_name"] = "Ada", ["seat_number"] = 2 }))
        {
            await CheckAsync(r, "/api/orders/{id}", "patch");
        }

        using (var r = await SendAsync(HttpMethod.Post, $"api/orders/{orderId}/status", kitchen, Bodies.Status("confirmed")))
        {
            await CheckAsync(r, "/api/orders/{id}/status", "post");
        }

        using (var r = await SendAsync(HttpMethod.Post, $"api/orders/{orderId}/payments", manager, new JsonObject { ["amount"] = 500, ["payment_method"] = "card" }))
        {
            await CheckAsync(r, "/api/orders/{id}/payments", "post");
        }

        // Floor: tables and notifications.
        var tableId = Guid.NewGuid();
        using (var r = await SendAsync(HttpMethod.Put, $"api/tables/{tableId}", manager, Bodies.Table("T1", "occupied", orderId)))
        {
            await CheckAsync(r, "/api/tables/{id}", "put");
        }

        using (var r = await SendAsync(HttpMethod.Get, "api/tables", manager))
        {
            await CheckAsync(r, "/api/tables", "get");
        }

        using (var r = await SendAsync(HttpMethod.Post, "api/notifications", manager, Bodies.Notification("kitchen", "86 the salmon", orderId, "T1")))
        {
            await CheckAsync(r, "/api/notifications", "post");
        }

        // History: a page, and a resync for a seq that was never assigned.
        using (var r = await SendAsync(HttpMethod.Get, "api/events?since=0&limit=2", manager))
        {
            var page = await CheckAsync(r, "/api/events", "get");
            Assert.True(page.GetProperty("data").GetProperty("has_more").GetBoolean());
        }

        using (var r = await SendAsync(HttpMethod.Get, "api/events?since=999999", manager))
        {
            Assert.Equal("resync", (await CheckAsync(r, "/api/events", "get")).GetProperty("type").GetString());
        }

        // Presence, with a KDS station connected so the list has an entry to check.
        await using (var kds = await host.ConnectAsync(await host.StationTokenAsync(restaurant, "kitchen", "grill-kds-1"), "kds"))
        {
            await kds.SendAsync("""{"type":"ping","applied_seq":0}""");
            await kds.ReceiveTypeAsync("pong");
            using var p = await SendAsync(HttpMethod.Get, "api/presence", manager);
            var list = await CheckAsync(p, "/api/presence", "get");
            Assert.Equal("grill-kds-1", list.GetProperty("stations")[0].GetProperty("station").GetString());
        }

        // Realtime and operations.
        using (var r = await SendAsync(HttpMethod.Get, "api/negotiate", manager))
        {
            await CheckAsync(r, "/api/negotiate", "get");
        }

        using (var r = await SendAsync(HttpMethod.Post, "api/negotiate", kitchen))
        {
            await CheckAsync(r, "/api/negotiate", "post");
        }

        foreach (var (path, template) in new[] { ("api/health", "/api/health"), ("api/problems", "/api/problems"), ("api/problems/ORDER_CLOSED", "/api/problems/{code}"), ("api/openapi.json", "/api/openapi.json") })
        {
            using var r = await SendAsync(HttpMethod.Get, path, token: null);
            await CheckAsync(r, template, "get");
        }

        // Errors, each as its operation documents it.
        var errors = new (HttpMethod Method, string Path, string Template, string? Token, JsonNode? Body, string? Raw, HttpStatusCode Status)[]
        {
            (HttpMethod.Post, "api/orders", "/api/orders", manager, null, "{", HttpStatusCode.BadRequest),
            (HttpMethod.Post, "api/orders", "/api/orders", manager, new JsonObject { ["items"] = new JsonArray() }, null, HttpStatusCode.BadRequest),
            (HttpMethod.Post, "api/orders", "/api/orders", kitchen, Bodies.Order(), null, HttpStatusCode.Forbidden),
            (HttpMethod.Post, "api/orders", "/api/orders", manager, Bodies.Order(orderId), null, HttpStatusCode.Conflict),
            (HttpMethod.Post, "api/orders", "/api/orders", manager, null, new string('x', 300_000), HttpStatusCode.RequestEntityTooLarge),
            (HttpMethod.Get, "api/orders", "/api/orders", null, null, null, HttpStatusCode.Unauthorized),
            (HttpMethod.Get, "api/orders/not-a-uuid", "/api/orders/{id}", manager, null, null, HttpStatusCode.BadRequest),
            (HttpMethod.Get, $"api/orders/{Guid.NewGuid()}", "/api/orders/{id}", manager, null, null, HttpStatusCode.NotFound),
            (HttpMethod.Patch, $"api/orders/{orderId}", "/api/orders/{id}", manager, new JsonObject { ["expected_version"] = 1, ["notes"] = "stale" }, null, HttpStatusCode.Conflict),
            (HttpMethod.Post, $"api/orders/{orderId}/status", "/api/orders/{id}/status", kitchen, Bodies.Status("new"), null, HttpStatusCode.Conflict),
            (HttpMethod.Post, $"api/orders/{orderId}/payments", "/api/orders/{id}/payments", kitchen, new JsonObject { ["amount"] = 1, ["payment_method"] = "card" }, null, HttpStatusCode.Forbidden),
            (HttpMethod.Put, $"api/tables/{tableId}", "/api/tables/{id}", manager, Bodies.Table("T1", "sideways"), null, HttpStatusCode.BadRequest),
            (HttpMethod.Get, "api/tables", "/api/tables", kitchen, null, null, HttpStatusCode.Forbidden),
            (HttpMethod.Get, "api/presence", "/api/presence", kitchen, null, null, HttpStatusCode.Forbidden),
            (HttpMethod.Post, "api/notifications", "/api/notifications", kitchen, Bodies.Notification("refund", "no"), null, HttpStatusCode.Forbidden),
            (HttpMethod.Get, "api/events?since=-1", "/api/events", manager, null, null, HttpStatusCode.BadRequest),
            (HttpMethod.Get, "api/negotiate", "/api/negotiate", "garbage", null, null, HttpStatusCode.Unauthorized),
            (HttpMethod.Get, "api/problems/NO_SUCH_CODE", "/api/problems/{code}", null, null, null, HttpStatusCode.NotFound),
        };
        foreach (var e in errors)
        {
            using var r = await SendAsync(e.Method, e.Path, e.Token, e.Body, e.Raw);
            Assert.True(r.StatusCode == e.Status, $"{e.Method} {e.Path}: {(int)r.StatusCode}, expected {(int)e.Status}: {await r.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
            await CheckAsync(r, e.Template, e.Method.Method.ToLowerInvariant());
        }

        using (var r = await host.Http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "api/orders") { Content = new StringContent("{}", Encoding.UTF8, "text/plain"), Headers = { { "Authorization", "Bearer " + manager } } }, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, r.StatusCode);
            await CheckAsync(r, "/api/orders", "post");
        }

        // Every documented operation that answers JSON was seen succeeding (the upstream endpoint is Web PubSub's,
        // exercised with signed CloudEvents by the upstream tests).
        var expected = Spec.Value.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(o => $"{o.Name} {p.Name}"))
            .Where(o => !o.EndsWith(" /api/webpubsub", StringComparison.Ordinal));
        Assert.Empty(expected.Except(_succeeded));
    }

    [Fact]
    public async Task The_app_serves_the_same_document_as_docs()
    {
        using var response = await host.Http.GetAsync(new Uri(host.BaseUri, "api/openapi.json"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(File.ReadAllText(RepoFiles.Docs("openapi.json")), await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }
}
