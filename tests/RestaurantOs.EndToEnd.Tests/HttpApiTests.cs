using System.Text.Json;
using System.Text.Json.Nodes;
using RestaurantOs.EndToEnd.Tests.Infrastructure;

namespace RestaurantOs.EndToEnd.Tests;

/// <summary>
/// The HTTP API's error contract end to end: 400/401/403/409 as RFC 7807 problem details with a code, and a
/// refused request changes nothing — no stored change and no event on any socket.
/// </summary>
public sealed class HttpApiTests(DevHostFixture host) : IClassFixture<DevHostFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Requests_without_a_valid_token_get_401_problem_details()
    {
        foreach (var (method, path) in new[] { (HttpMethod.Get, "api/orders"), (HttpMethod.Post, "api/orders"), (HttpMethod.Get, "api/tables"), (HttpMethod.Get, "api/negotiate"), (HttpMethod.Get, "api/events?since=0") })
        {
            using var none = await host.SendAsync(method, path, token: null, method == HttpMethod.Post ? Bodies.Order() : null);
            await AssertProblemAsync(none, 401, "UNAUTHORIZED");
            using var garbage = await host.SendAsync(method, path, token: "garbage", method == HttpMethod.Post ? Bodies.Order() : null);
            await AssertProblemAsync(garbage, 401, "UNAUTHORIZED");
        }

        var expired = host.MintToken(Guid.NewGuid(), RestaurantOs.Realtime.Auth.Role.Manager, "e2e", DateTimeOffset.UtcNow.AddHours(-2), DateTimeOffset.UtcNow.AddHours(-1));
        using var late = await host.SendAsync(HttpMethod.Get, "api/orders", expired);
        await AssertProblemAsync(late, 401, "UNAUTHORIZED");
    }

    [Fact]
    public async Task Bad_input_gets_400_problem_details_and_changes_nothing()
    {
        var r = Guid.NewGuid();
        var manager = await host.TokenAsync(r, "manager");
        await using var watcher = await host.ConnectAsync(await host.TokenAsync(r, "owner"), "watcher");
        var existing = Guid.NewGuid();
        await host.CreateOrderAsync(manager, existing, "T1");
        await watcher.ReceiveUntilAsync(m => m.Type == "order:created", Wait, "the existing order");

        var bad = new (HttpMethod Method, string Path, JsonNode? Body, string? Raw, string Code)[]
        {
            (HttpMethod.Post, "api/orders", new JsonObject { ["items"] = new JsonArray() }, null, "VALIDATION_FAILED"),
            (HttpMethod.Post, "api/orders", Bodies.Order(price: -5), null, "VALIDATION_FAILED"),
            (HttpMethod.Post, "api/orders", Bodies.Order(table: "T 5; drop"), null, "VALIDATION_FAILED"),
            (HttpMethod.Post, "api/orders", null, "{\"items\": [", "INVALID_JSON"),
            (HttpMethod.Post, "api/orders", null, "{\"items\": 42}", "VALIDATION_FAILED"),
            (HttpMethod.Post, $"api/orders/{existing}/status", Bodies.Status("flying"), null, "VALIDATION_FAILED"),
            (HttpMethod.Post, $"api/orders/{existing}/status", new JsonObject(), null, "VALIDATION_FAILED"),
            (HttpMethod.Post, "api/orders/not-a-uuid/status", Bodies.Status("confirmed"), null, "INVALID_ID"),
            (HttpMethod.Patch, $"api/orders/{existing}", new JsonObject { ["notes"] = "no version" }, null, "VALIDATION_FAILED"),
            (HttpMethod.Post, $"api/orders/{existing}/payments", new JsonObject { ["amount"] = 0, ["payment_method"] = "card" }, null, "VALIDATION_FAILED"),
            (HttpMethod.Post, $"api/orders/{existing}/payments", new JsonObject { ["amount"] = 100 }, null, "VALIDATION_FAILED"),
            (HttpMethod.Put, $"api/tables/{Guid.NewGuid()}", Bodies.Table("", "occupied"), null, "VALIDATION_FAILED"),
            (HttpMethod.Put, $"api/tables/{Guid.NewGuid()}", new JsonObject { ["label"] = "T9", ["seats"] = 4 }, null, "VALIDATION_FAILED"),
            (HttpMethod.Post, "api/notifications", Bodies.Notification("customer", "no order id"), null, "VALIDATION_FAILED"),
            (HttpMethod.Post, "api/notifications", new JsonObject { ["kind"] = "kitchen" }, null, "VALIDATION_FAILED"),
            (HttpMethod.Get, "api/events?since=-1", null, null, "INVALID_SINCE"),
        };
        foreach (var (method, path, body, raw, code) in bad)
        {
            using var response = await host.SendAsync(method, path, manager, body, raw);
            await AssertProblemAsync(response, 400, code, $"{method} /{path} {raw ?? body?.ToJsonString()}");
        }

        // Nothing changed: the order is as created, no table or other order exists, and no event went out.
        var order = await host.CallAsync(HttpMethod.Get, $"api/orders/{existing}", manager, null, 200);
        Assert.Equal(1, order.GetProperty("version").GetInt32());
        Assert.Equal("pending", order.GetProperty("status").GetString());
        Assert.Single((await host.CallAsync(HttpMethod.Get, "api/orders", manager, null, 200)).EnumerateArray());
        Assert.Empty((await host.CallAsync(HttpMethod.Get, "api/tables", manager, null, 200)).EnumerateArray());
        await AssertNoEventBeforeMarkerAsync(watcher, manager, existing);
    }

    [Fact]
    public async Task Oversized_or_non_json_bodies_are_refused_and_change_nothing()
    {
        var r = Guid.NewGuid();
        var manager = await host.TokenAsync(r, "manager");
        var huge = "{\"items\":[{\"name\":\"" + new string('x', 300 * 1024) + "\",\"quantity\":1,\"price\":1}]}";
        using (var tooLarge = await host.SendAsync(HttpMethod.Post, "api/orders", manager, rawBody: huge))
        {
            await AssertProblemAsync(tooLarge, 413, "PAYLOAD_TOO_LARGE");
        }

        using (var request = new HttpRequestMessage(HttpMethod.Post, new Uri("api/orders", UriKind.Relative)))
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", manager);
            request.Content = new StringContent("items=1", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded");
            using var response = await host.Http.SendAsync(request, TestContext.Current.CancellationToken);
            await AssertProblemAsync(response, 415, "UNSUPPORTED_MEDIA_TYPE");
        }

        Assert.Empty((await host.CallAsync(HttpMethod.Get, "api/orders", manager, null, 200)).EnumerateArray());
    }

    [Fact]
    public async Task Roles_that_may_not_get_403_and_nothing_changes()
    {
        var r = Guid.NewGuid();
        var manager = await host.TokenAsync(r, "manager");
        await using var watcher = await host.ConnectAsync(await host.TokenAsync(r, "owner"), "watcher");
        var existing = Guid.NewGuid();
        await host.CreateOrderAsync(manager, existing, "T1");
        await watcher.ReceiveUntilAsync(m => m.Type == "order:created", Wait, "the existing order");

        var kitchen = await host.TokenAsync(r, "kitchen");
        var customer = await host.TokenAsync(r, "customer", "guest", existing);
        var cashier = await host.TokenAsync(r, "cashier");
        var expo = await host.TokenAsync(r, "expo");
        var forbidden = new (string Token, HttpMethod Method, string Path, JsonNode? Body, string Code)[]
        {
            (kitchen, HttpMethod.Post, "api/orders", Bodies.Order(), "FORBIDDEN"),
            (kitchen, HttpMethod.Post, $"api/orders/{existing}/payments", new JsonObject { ["amount"] = 100, ["payment_method"] = "cash" }, "FORBIDDEN"),
            (customer, HttpMethod.Post, $"api/orders/{existing}/status", Bodies.Status("confirmed"), "FORBIDDEN"),
            (customer, HttpMethod.Get, "api/tables", null, "FORBIDDEN"),
            (customer, HttpMethod.Post, "api/notifications", Bodies.Notification("kitchen", "hello"), "FORBIDDEN"),
            (cashier, HttpMethod.Put, $"api/tables/{Guid.NewGuid()}", Bodies.Table("T9", "occupied"), "FORBIDDEN"),
            (expo, HttpMethod.Patch, $"api/orders/{existing}", new JsonObject { ["expected_version"] = 1, ["notes"] = "x" }, "FORBIDDEN"),
            // A body naming another restaurant is refused whatever the role.
            (manager, HttpMethod.Post, "api/orders", WithRestaurant(Bodies.Order(), Guid.NewGuid()), "TENANT_VIOLATION"),
            (manager, HttpMethod.Post, $"api/orders/{existing}/status", WithRestaurant(Bodies.Status("confirmed"), Guid.NewGuid()), "TENANT_VIOLATION"),
        };
        foreach (var (token, method, path, body, code) in forbidden)
        {
            using var response = await host.SendAsync(method, path, token, body);
            await AssertProblemAsync(response, 403, code, $"{method} /{path}");
        }

        // A customer sees only the orders in its token; another restaurant's staff cannot see this one's.
        var other = Guid.NewGuid();
        await host.CreateOrderAsync(manager, other);
        var mine = await host.CallAsync(HttpMethod.Get, "api/orders", customer, null, 200);
        Assert.Equal([existing], mine.EnumerateArray().Select(o => o.GetProperty("id").GetGuid()));
        using (var notMine = await host.SendAsync(HttpMethod.Get, $"api/orders/{other}", customer))
        {
            await AssertProblemAsync(notMine, 404, "NOT_FOUND");
        }

        using (var foreign = await host.SendAsync(HttpMethod.Get, $"api/orders/{existing}", await host.TokenAsync(Guid.NewGuid(), "manager")))
        {
            await AssertProblemAsync(foreign, 404, "NOT_FOUND");
        }

        var order = await host.CallAsync(HttpMethod.Get, $"api/orders/{existing}", manager, null, 200);
        Assert.Equal(1, order.GetProperty("version").GetInt32());
        Assert.Equal(2, (await host.CallAsync(HttpMethod.Get, "api/orders", manager, null, 200)).GetArrayLength());
        await watcher.ReceiveUntilAsync(m => m.Type == "order:created" && m.Data.GetProperty("order").GetProperty("id").GetGuid() == other, Wait, "the second order");
        await AssertNoEventBeforeMarkerAsync(watcher, manager, existing);
    }

    [Fact]
    public async Task Illegal_transitions_and_stale_versions_get_409_and_nothing_changes()
    {
        var r = Guid.NewGuid();
        var manager = await host.TokenAsync(r, "manager");
        await using var watcher = await host.ConnectAsync(await host.TokenAsync(r, "owner"), "watcher");
        var id = Guid.NewGuid();
        await host.CreateOrderAsync(manager, id, "T1");
        await host.ChangeStatusAsync(manager, id, "confirmed", expectedVersion: 1);
        var tableId = Guid.NewGuid();
        await host.CallAsync(HttpMethod.Put, $"api/tables/{tableId}", manager, Bodies.Table("T1", "available"), 200);
        await watcher.ReceiveUntilAsync(m => m.Type == "table:updated", Wait, "the setup events");

        var conflicts = new (HttpMethod Method, string Path, JsonNode Body, string Code)[]
        {
            (HttpMethod.Post, $"api/orders/{id}/status", Bodies.Status("ready"), "ILLEGAL_TRANSITION"),
            (HttpMethod.Post, $"api/orders/{id}/status", Bodies.Status("confirmed"), "ILLEGAL_TRANSITION"),
            (HttpMethod.Post, $"api/orders/{id}/status", Bodies.Status("pending"), "ILLEGAL_TRANSITION"),
            (HttpMethod.Post, $"api/orders/{id}/status", Bodies.Status("preparing", expectedVersion: 1), "VERSION_CONFLICT"),
            (HttpMethod.Patch, $"api/orders/{id}", new JsonObject { ["expected_version"] = 1, ["notes"] = "stale" }, "VERSION_CONFLICT"),
            (HttpMethod.Put, $"api/tables/{tableId}", Bodies.Table("T1", "occupied"), "VERSION_CONFLICT"),
            (HttpMethod.Put, $"api/tables/{tableId}", Bodies.Table("T1", "occupied", expectedVersion: 7), "VERSION_CONFLICT"),
            (HttpMethod.Post, "api/orders", Bodies.Order(id), "DUPLICATE"),
        };
        foreach (var (method, path, body, code) in conflicts)
        {
            using var response = await host.SendAsync(method, path, manager, body);
            await AssertProblemAsync(response, 409, code, $"{method} /{path} {body.ToJsonString()}");
        }

        var order = await host.CallAsync(HttpMethod.Get, $"api/orders/{id}", manager, null, 200);
        Assert.Equal(2, order.GetProperty("version").GetInt32());
        Assert.Equal("confirmed", order.GetProperty("status").GetString());
        var table = Assert.Single((await host.CallAsync(HttpMethod.Get, "api/tables", manager, null, 200)).EnumerateArray());
        Assert.Equal(1, table.GetProperty("version").GetInt32());
        Assert.Equal("available", table.GetProperty("status").GetString());
        await AssertNoEventBeforeMarkerAsync(watcher, manager, id);
    }

    [Fact]
    public async Task Cancelled_orders_cannot_change_or_take_payments()
    {
        var r = Guid.NewGuid();
        var manager = await host.TokenAsync(r, "manager");
        var id = Guid.NewGuid();
        await host.CreateOrderAsync(manager, id);
        await host.ChangeStatusAsync(manager, id, "cancelled");
        using (var pay = await host.SendAsync(HttpMethod.Post, $"api/orders/{id}/payments", manager, new JsonObject { ["amount"] = 100, ["payment_method"] = "cash" }))
        {
            await AssertProblemAsync(pay, 409, "ORDER_CLOSED");
        }

        using (var patch = await host.SendAsync(HttpMethod.Patch, $"api/orders/{id}", manager, new JsonObject { ["expected_version"] = 2, ["notes"] = "late" }))
        {
            await AssertProblemAsync(patch, 409, "ORDER_CLOSED");
        }

        using var reopen = await host.SendAsync(HttpMethod.Post, $"api/orders/{id}/status", manager, Bodies.Status("pending"));
        await AssertProblemAsync(reopen, 409, "ILLEGAL_TRANSITION");
    }

    [Fact]
    public async Task Events_catch_up_over_http_returns_the_role_filtered_history_in_order()
    {
        var r = Guid.NewGuid();
        var manager = await host.TokenAsync(r, "manager");
        var id = Guid.NewGuid();
        await host.CreateOrderAsync(manager, id, "T4");
        await host.ChangeStatusAsync(manager, id, "confirmed");
        await host.PayAsync(manager, id, 500);

        // The pipeline is asynchronous: poll (bounded) until the last write (the order's payment status) is in history.
        var deadline = DateTime.UtcNow + Wait;
        JsonElement all;
        while (true)
        {
            all = await host.CallAsync(HttpMethod.Get, "api/events?since=0", manager, null, 200);
            if (all.GetProperty("data").GetProperty("events").EnumerateArray().Count(e => e.GetProperty("type").GetString() == "order:updated") >= 2 || DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        Assert.Equal("replay", all.GetProperty("type").GetString());
        var events = all.GetProperty("data").GetProperty("events").EnumerateArray().ToList();
        var types = events.Select(e => e.GetProperty("type").GetString()).ToList();
        Assert.Equal(["order:created", "order:updated", "order:status", "notification:kitchen", "payment:processed", "order:updated"], types);
        var seqs = events.Select(e => e.GetProperty("seq").GetInt64()).ToList();
        Assert.Equal(seqs.Order().Distinct().ToList(), seqs);
        Assert.All(events, e => Assert.Equal(r, e.GetProperty("restaurant_id").GetGuid()));

        var kitchen = await host.CallAsync(HttpMethod.Get, "api/events?since=0", await host.TokenAsync(r, "kitchen"), null, 200);
        var kitchenTypes = kitchen.GetProperty("data").GetProperty("events").EnumerateArray().Select(e => e.GetProperty("type").GetString()).ToList();
        Assert.Equal(["order:created", "order:updated", "order:status", "notification:kitchen", "order:updated"], kitchenTypes);

        var customer = await host.CallAsync(HttpMethod.Get, "api/events?since=0", await host.TokenAsync(r, "customer", "guest", Guid.NewGuid()), null, 200);
        Assert.Equal(0, customer.GetProperty("data").GetProperty("events").GetArrayLength());

        var after = await host.CallAsync(HttpMethod.Get, $"api/events?since={seqs[2]}", manager, null, 200);
        Assert.Equal(seqs.Skip(3), after.GetProperty("data").GetProperty("events").EnumerateArray().Select(e => e.GetProperty("seq").GetInt64()));

        var future = await host.CallAsync(HttpMethod.Get, $"api/events?since={seqs[^1] + 1000}", manager, null, 200);
        Assert.Equal("resync", future.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Health_answers()
    {
        var health = await host.CallAsync(HttpMethod.Get, "api/health", "unused", null, 200);
        Assert.Equal("healthy", health.GetProperty("status").GetString());
    }

    private static JsonObject WithRestaurant(JsonObject body, Guid restaurantId)
    {
        body["restaurant_id"] = restaurantId.ToString();
        return body;
    }

    /// <summary>
    /// Sends a valid change (the marker) and asserts it is the first event the watcher sees after the setup: had a
    /// refused request caused an event, it would have been sent before the marker.
    /// </summary>
    private async Task AssertNoEventBeforeMarkerAsync(WsClient watcher, string manager, Guid orderId)
    {
        var before = watcher.Received.Count;
        var current = await host.CallAsync(HttpMethod.Get, $"api/orders/{orderId}", manager, null, 200);
        await host.PatchNotesAsync(manager, orderId, current.GetProperty("version").GetInt32(), "marker");
        await watcher.ReceiveUntilAsync(m => m.Type == "order:updated" && m.Data.GetProperty("order").GetProperty("notes").GetString() == "marker", Wait, "the marker");
        var since = watcher.Received.Skip(before).Where(m => m.Type != "kds:update").ToList();
        Assert.True(since.Count == 1, "events after refused requests:\n" + string.Join("\n", since));
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, int status, string code, string? context = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"{context} → {(int)response.StatusCode}, expected {status}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(text);
        var root = json.RootElement;
        Assert.Equal(status, root.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("title").GetString()), text);
        Assert.True(root.TryGetProperty("code", out var actual), $"{context}: no code in {text}");
        Assert.True(actual.GetString() == code, $"{context}: code {actual.GetString()}, expected {code}: {text}");
        // The type is the code's own entry on the answering origin, never a third-party page.
        var type = new Uri(root.GetProperty("type").GetString()!);
        Assert.Equal(new Uri(response.RequestMessage!.RequestUri!, "/api/problems/" + code), type);
    }
}
