using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using RestaurantOs.EndToEnd.Tests.Infrastructure;
using RestaurantOs.Realtime.Ports;

namespace RestaurantOs.EndToEnd.Tests;

/// <summary>
/// Walks every write endpoint of the HTTP API through DevHost's real Kestrel and SQLite with a table of bad bodies
/// (wrong JSON types, numbers and numeric strings for enums, out-of-range and huge numbers, nulls, arrays for
/// objects, deep nesting, invalid UTF-8, empty bodies, wrong content types) and asserts for each: a 4xx, RFC 7807
/// problem details with a <c>code</c>, field errors naming the field where one field is at fault, no .NET type
/// name in the answer, and afterwards nothing stored (read back through the API and the stores).
/// </summary>
public sealed class BadInputTests(DevHostFixture host) : IClassFixture<DevHostFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private enum Kind
    {
        Enum,
        Int,
        Money,
        Text,
        TableNumber,
        Uuid,
        Coordinate,
        Items,
        Item,
        Modifiers,
    }

    /// <summary>A field of a request body: where it is, what it holds, and whether null is refused.</summary>
    private sealed record Field(string Path, Kind Kind, bool NullRefused = false, int? Min = null, int? Max = null, int MaxLength = 0, string? ValidEnum = null);

    private sealed record Endpoint(string Name, HttpMethod Method, string Path, Func<JsonObject> Valid, Field[] Fields, int SuccessStatus);

    /// <summary>A bad value (raw JSON) for a field, and why it is bad.</summary>
    private sealed record Bad(string Json, string Why);

    [Fact]
    public async Task Every_write_endpoint_answers_every_bad_body_with_a_4xx_problem_and_stores_nothing()
    {
        var r = Guid.NewGuid();
        var manager = await host.TokenAsync(r, "manager");
        var existing = Guid.NewGuid();
        await host.CreateOrderAsync(manager, existing, "T1");
        var table = Guid.NewGuid();
        var endpoints = Endpoints(existing, table);

        var failures = new List<string>();
        var cases = 0;
        foreach (var endpoint in endpoints)
        {
            foreach (var (raw, contentType, why) in WholeBodyCases())
            {
                cases++;
                await CheckAsync(endpoint, raw, contentType, field: null, why, manager, failures);
            }

            foreach (var field in endpoint.Fields)
            {
                foreach (var bad in BadValues(field))
                {
                    cases++;
                    var body = Encoding.UTF8.GetBytes(WithValue(endpoint.Valid(), field.Path, bad.Json));
                    await CheckAsync(endpoint, body, "application/json", field.Path, $"{field.Path} = {bad.Json} ({bad.Why})", manager, failures);
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} problems in the answers to {cases} bad requests:\n" + string.Join("\n", failures.Take(60)));
        Assert.True(cases > 300, $"only {cases} cases ran");

        // Nothing stored: the order is as created, no other order, no table, no payment, and the only events in the
        // history are the setup's and the marker's (the change feed is ordered, so once the marker is there,
        // anything a refused request had written would be there too).
        var order = await host.CallAsync(HttpMethod.Get, $"api/orders/{existing}", manager, null, 200);
        Assert.Equal(1, order.GetProperty("version").GetInt32());
        Assert.False(order.TryGetProperty("payment_status", out var paid) && paid.ValueKind != JsonValueKind.Null, $"the order was marked paid: {order}");
        Assert.Single((await host.CallAsync(HttpMethod.Get, "api/orders", manager, null, 200)).EnumerateArray());
        Assert.Empty((await host.CallAsync(HttpMethod.Get, "api/tables", manager, null, 200)).EnumerateArray());
        Assert.Empty(await host.Services.GetRequiredService<IPaymentStore>().ListForOrderAsync(r, existing, TestContext.Current.CancellationToken));
        await host.CallAsync(HttpMethod.Post, "api/notifications", manager, Bodies.Notification("kitchen", "marker"), 201);
        var types = await EventTypesAfterMarkerAsync(manager);
        Assert.Equal(["order:created", "notification:kitchen"], types);

        // The valid bodies the cases were made from are accepted (each on a fresh order and table), so each
        // refusal above was the bad value's doing.
        for (var i = 0; i < endpoints.Length; i++)
        {
            var fresh = Guid.NewGuid();
            await host.CreateOrderAsync(manager, fresh);
            var endpoint = Endpoints(fresh, Guid.NewGuid())[i];
            await host.CallAsync(endpoint.Method, endpoint.Path, manager, endpoint.Valid(), endpoint.SuccessStatus);
        }
    }

    [Fact]
    public async Task Enum_errors_name_the_field_and_the_allowed_values()
    {
        var r = Guid.NewGuid();
        var manager = await host.TokenAsync(r, "manager");
        var order = Guid.NewGuid();
        await host.CreateOrderAsync(manager, order);
        var cases = new (HttpMethod Method, string Path, string Body, string Field, string[] Allowed)[]
        {
            (HttpMethod.Post, "api/notifications", """{"kind":7,"message":"m"}""", "kind", ["kitchen", "customer", "refund"]),
            (HttpMethod.Put, $"api/tables/{Guid.NewGuid()}", """{"label":"T1","seats":2,"status":99}""", "status", ["available", "occupied", "reserved", "unavailable", "cleaning", "paid"]),
            (HttpMethod.Post, $"api/orders/{order}/payments", """{"amount":100,"payment_method":"card","payment_status":99}""", "payment_status", ["pending", "paid", "refunded", "failed"]),
            (HttpMethod.Post, $"api/orders/{order}/payments", """{"amount":100,"payment_method":9}""", "payment_method", ["cash", "card", "house_account", "gift_card", "other"]),
            (HttpMethod.Post, "api/orders", """{"type":99,"items":[{"name":"a","quantity":1,"price":1}]}""", "type", ["dine-in", "takeout", "delivery", "online", "drive-thru", "kiosk", "voice"]),
            (HttpMethod.Post, "api/orders", """{"type":-1,"items":[{"name":"a","quantity":1,"price":1}]}""", "type", ["dine-in", "drive-thru"]),
            (HttpMethod.Post, $"api/orders/{order}/status", """{"status":"4"}""", "status", ["new", "pending", "confirmed", "preparing", "ready", "served", "picked-up", "completed", "cancelled"]),
            (HttpMethod.Post, $"api/orders/{order}/status", """{"status":"Confirmed"}""", "status", ["confirmed"]),
        };
        foreach (var (method, path, body, field, allowed) in cases)
        {
            using var response = await host.SendAsync(method, path, manager, rawBody: body);
            var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.True((int)response.StatusCode == 400, $"{method} {path} {body} → {(int)response.StatusCode}: {text}");
            using var json = JsonDocument.Parse(text);
            Assert.Equal("VALIDATION_FAILED", json.RootElement.GetProperty("code").GetString());
            var messages = json.RootElement.GetProperty("errors").GetProperty(field).EnumerateArray().Select(m => m.GetString()!).ToList();
            var message = Assert.Single(messages);
            Assert.All(allowed, name => Assert.Contains(name, message, StringComparison.Ordinal));
            Assert.DoesNotContain("System.", text, StringComparison.Ordinal);
            Assert.DoesNotContain("RestaurantOs", text, StringComparison.Ordinal);
        }

        var current = await host.CallAsync(HttpMethod.Get, $"api/orders/{order}", manager, null, 200);
        Assert.Equal("pending", current.GetProperty("status").GetString());
        Assert.Equal(1, current.GetProperty("version").GetInt32());
        Assert.Single((await host.CallAsync(HttpMethod.Get, "api/orders", manager, null, 200)).EnumerateArray());
        Assert.Empty((await host.CallAsync(HttpMethod.Get, "api/tables", manager, null, 200)).EnumerateArray());
    }

    private async Task CheckAsync(Endpoint endpoint, byte[] body, string? contentType, string? field, string why, string token, List<string> failures)
    {
        using var request = new HttpRequestMessage(endpoint.Method, new Uri(endpoint.Path, UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Content = new ByteArrayContent(body);
        if (contentType is not null)
        {
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        using var cts = new CancellationTokenSource(Wait);
        using var response = await host.Http.SendAsync(request, cts.Token);
        var text = await response.Content.ReadAsStringAsync(cts.Token);
        var status = (int)response.StatusCode;
        var where = $"{endpoint.Name}: {why}";
        if (status is < 400 or >= 500)
        {
            failures.Add($"{where} → {status} {Short(text)}");
            return;
        }

        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            failures.Add($"{where} → {status} with content type {response.Content.Headers.ContentType}");
            return;
        }

        try
        {
            using var json = JsonDocument.Parse(text);
            var root = json.RootElement;
            if (root.GetProperty("status").GetInt32() != status || root.GetProperty("code").GetString() is not { Length: > 0 })
            {
                failures.Add($"{where} → problem without status/code: {Short(text)}");
            }

            if (text.Contains("System.", StringComparison.Ordinal) || text.Contains("RestaurantOs.", StringComparison.Ordinal))
            {
                failures.Add($"{where} → names a .NET type: {Short(text)}");
            }

            // A refusal for one bad field names that field (or a part of it), unless the caller was refused first.
            if (field is not null && status == 400
                && !(root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object
                     && errors.EnumerateObject().Any(e => e.Name.StartsWith(field, StringComparison.Ordinal))))
            {
                failures.Add($"{where} → 400 without an error for '{field}': {Short(text)}");
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            failures.Add($"{where} → unreadable problem ({ex.Message}): {Short(text)}");
        }
    }

    private async Task<List<string>> EventTypesAfterMarkerAsync(string token)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (true)
        {
            var reply = await host.CallAsync(HttpMethod.Get, "api/events?since=0", token, null, 200);
            var events = reply.GetProperty("data").GetProperty("events").EnumerateArray().ToList();
            var types = events.Select(e => e.GetProperty("type").GetString()!).Where(t => t != "kds:update").ToList();
            if (types.Count > 0 && types[^1] == "notification:kitchen" || DateTime.UtcNow > deadline)
            {
                return types;
            }

            await Task.Delay(50, TestContext.Current.CancellationToken); // bounded poll for the change feed
        }
    }

    private static Endpoint[] Endpoints(Guid existing, Guid table) =>
    [
        new("create order", HttpMethod.Post, "api/orders", () => new JsonObject
        {
            ["type"] = "dine-in",
            ["status"] = "pending",
            ["order_number"] = "A1",
            ["items"] = new JsonArray(new JsonObject
            {
                ["name"] = "Burger", ["quantity"] = 2, ["price"] = 1250,
                ["modifiers"] = new JsonArray("no onion"), ["special_instructions"] = "well done",
            }),
            ["tax"] = 100, ["tip"] = 0, ["table_number"] = "T5", ["seat_number"] = 2,
            ["customer_name"] = "Ana", ["notes"] = "window",
        },
        [
            new("type", Kind.Enum, ValidEnum: "dine-in"),
            new("status", Kind.Enum, ValidEnum: "pending"),
            new("order_number", Kind.Text, MaxLength: 32),
            new("items", Kind.Items, NullRefused: true),
            new("items[0]", Kind.Item, NullRefused: true),
            new("items[0].name", Kind.Text, NullRefused: true, MaxLength: 120),
            new("items[0].quantity", Kind.Int, NullRefused: true, Min: 1, Max: 999),
            new("items[0].price", Kind.Money, NullRefused: true),
            new("items[0].modifiers", Kind.Modifiers),
            new("items[0].special_instructions", Kind.Text, MaxLength: 500),
            new("tax", Kind.Money, NullRefused: true),
            new("tip", Kind.Money, NullRefused: true),
            new("table_number", Kind.TableNumber),
            new("seat_number", Kind.Int, Min: 1, Max: 100),
            new("customer_name", Kind.Text, MaxLength: 120),
            new("notes", Kind.Text, MaxLength: 500),
            new("id", Kind.Uuid),
            new("restaurant_id", Kind.Uuid),
        ], 201),
        new("patch order", HttpMethod.Patch, $"api/orders/{existing}", () => new JsonObject
        {
            ["expected_version"] = 1, ["notes"] = "n", ["tax"] = 10, ["tip"] = 5, ["seat_number"] = 3,
            ["table_number"] = "T2", ["customer_name"] = "Bo",
            ["items"] = new JsonArray(new JsonObject { ["name"] = "Soup", ["quantity"] = 1, ["price"] = 500 }),
        },
        [
            new("expected_version", Kind.Int, NullRefused: true, Min: 1),
            new("notes", Kind.Text, MaxLength: 500),
            new("tax", Kind.Money),
            new("tip", Kind.Money),
            new("seat_number", Kind.Int, Min: 1, Max: 100),
            new("table_number", Kind.TableNumber),
            new("customer_name", Kind.Text, MaxLength: 120),
            new("items[0].quantity", Kind.Int, NullRefused: true, Min: 1, Max: 999),
            new("items[0].name", Kind.Text, NullRefused: true, MaxLength: 120),
            new("restaurant_id", Kind.Uuid),
        ], 200),
        new("change status", HttpMethod.Post, $"api/orders/{existing}/status", () => new JsonObject { ["status"] = "confirmed", ["expected_version"] = 1 },
        [
            new("status", Kind.Enum, NullRefused: true, ValidEnum: "confirmed"),
            new("expected_version", Kind.Int, Min: 1),
            new("restaurant_id", Kind.Uuid),
        ], 200),
        new("add payment", HttpMethod.Post, $"api/orders/{existing}/payments", () => new JsonObject
        {
            ["amount"] = 1000, ["payment_method"] = "card", ["payment_status"] = "paid",
        },
        [
            new("amount", Kind.Money, NullRefused: true, Min: 1),
            new("payment_method", Kind.Enum, NullRefused: true, ValidEnum: "card"),
            new("payment_status", Kind.Enum, ValidEnum: "paid"),
            new("id", Kind.Uuid),
            new("restaurant_id", Kind.Uuid),
        ], 201),
        new("put table", HttpMethod.Put, $"api/tables/{table}", () => Bodies.Table("T7", "available"),
        [
            new("label", Kind.TableNumber, NullRefused: true),
            new("seats", Kind.Int, NullRefused: true, Min: 0, Max: 100),
            new("status", Kind.Enum, NullRefused: true, ValidEnum: "available"),
            new("x", Kind.Coordinate, NullRefused: true),
            new("y", Kind.Coordinate, NullRefused: true),
            new("width", Kind.Coordinate, NullRefused: true),
            new("height", Kind.Coordinate, NullRefused: true),
            new("rotation", Kind.Coordinate, NullRefused: true),
            new("current_order_id", Kind.Uuid),
            new("expected_version", Kind.Int, Min: 1),
            new("restaurant_id", Kind.Uuid),
        ], 200),
        new("send notification", HttpMethod.Post, "api/notifications", () => Bodies.Notification("refund", "Refund table 5", Guid.NewGuid(), "T5"),
        [
            new("kind", Kind.Enum, NullRefused: true, ValidEnum: "refund"),
            new("message", Kind.Text, NullRefused: true, MaxLength: 500),
            new("order_id", Kind.Uuid, NullRefused: true),
            new("table_number", Kind.TableNumber),
            new("restaurant_id", Kind.Uuid),
        ], 201),
    ];

    /// <summary>Bodies that are wrong as a whole, for every endpoint.</summary>
    private static IEnumerable<(byte[] Body, string? ContentType, string Why)> WholeBodyCases()
    {
        static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
        yield return ([], "application/json", "empty body");
        yield return (Utf8("null"), "application/json", "null body");
        yield return (Utf8("[]"), "application/json", "array body");
        yield return (Utf8("[{}]"), "application/json", "array of an object");
        yield return (Utf8("42"), "application/json", "number body");
        yield return (Utf8("\"text\""), "application/json", "string body");
        yield return (Utf8("true"), "application/json", "boolean body");
        yield return (Utf8("{"), "application/json", "truncated JSON");
        yield return (Utf8("{} {}"), "application/json", "two values");
        yield return (Utf8("{\"notes\":\"a\",}"), "application/json", "trailing comma");
        yield return (Utf8("{/* c */}"), "application/json", "comment");
        yield return (Utf8("{\"bogus\":1}"), "application/json", "unknown field");
        yield return (Utf8(new string('[', 200) + new string(']', 200)), "application/json", "deep array");
        yield return (Utf8(string.Concat(Enumerable.Repeat("{\"a\":", 100)) + "1" + new string('}', 100)), "application/json", "deep object");
        yield return (Utf8("{\"notes\":" + new string('[', 100) + new string(']', 100) + "}"), "application/json", "deep field");
        yield return ([.. Utf8("{\"notes\":\""), 0xFF, 0xFE, .. Utf8("\"}")], "application/json", "invalid UTF-8 in a string");
        yield return ([.. Utf8("{\"bogus\":\""), 0xC3, 0x28, .. Utf8("\"}")], "application/json", "invalid UTF-8 in an unknown field");
        yield return ([.. Utf8("{\"notes\":\"a\"}"), 0xED, 0xA0, 0x80], "application/json", "encoded surrogate after the object");
        yield return (Utf8("{\"notes\":\"\\ud800\"}"), "application/json", "escaped lone surrogate");
        yield return ([0xEF, 0xBB, 0xBF, 0xFF], "application/json", "BOM then garbage");
        yield return (Utf8("{\"notes\":\"a\"}"), "text/plain", "text/plain content type");
        yield return (Utf8("<order/>"), "application/xml", "XML content type");
        yield return (Utf8("notes=a"), "application/x-www-form-urlencoded", "form content type");
    }

    private static IEnumerable<Bad> BadValues(Field field)
    {
        if (field.NullRefused)
        {
            yield return new("null", "null where a value is required");
        }

        IEnumerable<Bad> values = field.Kind switch
        {
            Kind.Enum =>
            [
                new("0", "number"), new("1", "number"), new("7", "number"), new("99", "number"), new("-1", "negative number"),
                new("1.5", "decimal"), new("\"4\"", "numeric string"), new("\"0\"", "numeric string"), new("\"-1\"", "numeric string"),
                new($"\"{field.ValidEnum!.ToUpperInvariant()}\"", "other case"),
                new($"\"{char.ToUpperInvariant(field.ValidEnum[0])}{field.ValidEnum[1..]}\"", "capitalised"),
                new($"\" {field.ValidEnum}\"", "padded"), new($"\"{field.ValidEnum},{field.ValidEnum}\"", "list"),
                new("\"\"", "empty string"), new("\"flying\"", "unknown name"), new("true", "boolean"), new("[]", "array"), new("{}", "object"),
            ],
            Kind.Int =>
            [
                new(((field.Min ?? 1) - 1).ToString(System.Globalization.CultureInfo.InvariantCulture), "below the range"),
                .. field.Max is int max ? [new Bad((max + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), "above the range")] : Array.Empty<Bad>(),
                new("2147483648", "over int"), new("-2147483649", "under int"), new("99999999999999999999999999", "huge"),
                new("1e400", "huge exponent"), new("1.5", "decimal"), new("\"1\"", "numeric string"), new("true", "boolean"), new("[]", "array"), new("{}", "object"),
            ],
            Kind.Money =>
            [
                new(((field.Min ?? 0) - 1).ToString(System.Globalization.CultureInfo.InvariantCulture), "below the range"),
                new("100000001", "above the range"), new("9223372036854775807", "long max"), new("9223372036854775808", "over long"),
                new("-9223372036854775809", "under long"), new("1e400", "huge exponent"), new("12.5", "decimal"), new("\"100\"", "numeric string"),
                new("[]", "array"), new("{}", "object"),
            ],
            Kind.Text =>
            [
                new("42", "number"), new("true", "boolean"), new("[]", "array"), new("{}", "object"),
                new($"\"{new string('x', field.MaxLength + 1)}\"", "too long"),
                new("\"a\\u0000b\"", "NUL"), new("\"a\\u0007b\"", "bell"), new("\"a\\u001bb\"", "escape"), new("\"a\\u0085b\"", "C1 control"),
                new("\"abc\\u202Efed\"", "RTL override"), new("\"a\\u2066b\\u2069\"", "isolate"), new("\"a\\ud800b\"", "lone surrogate"),
            ],
            Kind.TableNumber =>
            [
                new("42", "number"), new("[]", "array"), new("{}", "object"), new("\"T 5\"", "space"), new("\"T5\\n\"", "newline"),
                new("\"\"", "empty"), new($"\"{new string('T', 33)}\"", "too long"), new("\"T\\u202E5\"", "RTL override"), new("\"Т5\"", "Cyrillic look-alike"),
            ],
            Kind.Uuid => [new("\"not-a-uuid\"", "not a UUID"), new("42", "number"), new("\"\"", "empty"), new("[]", "array"), new("{}", "object"), new("true", "boolean")],
            Kind.Coordinate =>
            [
                new("100001", "above the range"), new("-100001", "below the range"), new("1e400", "infinite"), new("-1e400", "minus infinite"),
                new("\"1\"", "numeric string"), new("[]", "array"), new("{}", "object"), new("true", "boolean"),
            ],
            Kind.Items =>
            [
                new("[]", "no items"), new("{}", "object for array"), new("42", "number"), new("\"x\"", "string"),
                new("[" + string.Join(',', Enumerable.Repeat("{\"name\":\"a\",\"quantity\":1,\"price\":1}", 201)) + "]", "201 items"),
            ],
            Kind.Item => [new("[]", "array for object"), new("42", "number"), new("\"x\"", "string"), new("{}", "empty item")],
            Kind.Modifiers =>
            [
                new("\"x\"", "string for array"), new("{}", "object"), new("[42]", "number entry"), new("[null]", "null entry"), new("[\"\"]", "empty entry"),
                new("[\"a\\u0000\"]", "control character"), new("[" + string.Join(',', Enumerable.Repeat("\"m\"", 21)) + "]", "21 modifiers"),
            ],
            _ => throw new ArgumentOutOfRangeException(nameof(field)),
        };
        foreach (var value in values)
        {
            yield return value;
        }
    }

    /// <summary>The body with the value at <paramref name="path"/> (e.g. <c>items[0].quantity</c>) replaced by raw JSON.</summary>
    private static string WithValue(JsonObject body, string path, string rawJson)
    {
        const string Placeholder = "__BAD_VALUE__";
        JsonNode node = body;
        var segments = path.Split('.');
        for (var i = 0; i < segments.Length; i++)
        {
            var name = segments[i].Split('[')[0];
            var index = segments[i].Contains('[', StringComparison.Ordinal) ? int.Parse(segments[i].Split('[', ']')[1], System.Globalization.CultureInfo.InvariantCulture) : (int?)null;
            var last = i == segments.Length - 1;
            if (last && index is null)
            {
                node[name] = Placeholder;
            }
            else if (last)
            {
                node[name]![index!.Value] = Placeholder;
            }
            else
            {
                node = index is int at ? node[name]![at]! : node[name]!;
            }
        }

        return body.ToJsonString().Replace($"\"{Placeholder}\"", rawJson, StringComparison.Ordinal);
    }

    private static string Short(string text) => text.Length > 300 ? text[..300] + "…" : text;
}
