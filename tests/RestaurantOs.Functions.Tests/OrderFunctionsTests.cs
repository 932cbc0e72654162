using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Moq;
using RestaurantOs.Functions.Http;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Storage;
using RestaurantOs.Functions.Functions;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Services;

namespace RestaurantOs.Functions.Tests;

public sealed class OrderFunctionsTests : IAsyncLifetime
{
    private readonly FunctionsTestHost _host = new();
    private readonly Guid _restaurant = Guid.NewGuid();
    private OrderFunctions _functions = null!;

    public async ValueTask InitializeAsync()
    {
        await _host.InitializeAsync();
        _functions = _host.Create<OrderFunctions>();
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private const string ValidOrder = """{"items":[{"name":"Burger","quantity":2,"price":1600,"modifiers":["no onion"]}],"table_number":"T5","tax":320}""";

    private async Task<(int Status, JsonElement Body)> CreateAsync(string json, Role role = Role.Server, Guid? restaurant = null)
    {
        var request = _host.Request("POST", "/api/orders", _host.Token(restaurant ?? _restaurant, role), json);
        var (status, body, _) = await FunctionsTestHost.ExecuteAsync(request, await _functions.CreateOrder(request, CancellationToken.None));
        return (status, body.Length > 0 ? FunctionsTestHost.Json(body) : default);
    }

    private async Task<int> ActiveCountAsync()
    {
        var request = _host.Request("GET", "/api/orders", _host.Token(_restaurant, Role.Manager));
        var (_, body, _) = await FunctionsTestHost.ExecuteAsync(request, await _functions.ListOrders(request, CancellationToken.None));
        return FunctionsTestHost.Json(body).GetArrayLength();
    }

    [Fact]
    public async Task Create_returns_201_with_totals_computed_in_cents_and_version_1()
    {
        var (status, order) = await CreateAsync(ValidOrder);

        Assert.Equal(201, status);
        Assert.Equal("pending", order.GetProperty("status").GetString());
        Assert.Equal(3200, order.GetProperty("subtotal").GetInt64());
        Assert.Equal(3520, order.GetProperty("total").GetInt64());
        Assert.Equal(1, order.GetProperty("version").GetInt32());
        Assert.Equal(_restaurant, order.GetProperty("restaurant_id").GetGuid());
        Assert.Equal("T5", order.GetProperty("table_number").GetString());
        Assert.Equal(1, await ActiveCountAsync());
    }

    [Theory]
    [InlineData("""{"items":[]}""", "items")]
    [InlineData("""{"items":[{"name":"Burger","quantity":0,"price":1600}]}""", "items[0].quantity")]
    [InlineData("""{"items":[{"name":"Burger","quantity":1,"price":-5}]}""", "items[0].price")]
    [InlineData("""{"items":[{"name":"","quantity":1,"price":5}]}""", "items[0].name")]
    [InlineData("""{"items":[{"name":"Burger","quantity":1,"price":5}],"table_number":"T5~payment"}""", "table_number")]
    [InlineData("""{"items":[{"name":"Burger","quantity":1,"price":5}],"table_number":"T5 or 1 eq 1"}""", "table_number")]
    [InlineData("""{"items":[{"name":"Burger","quantity":1,"price":5}],"status":"ready"}""", "status")]
    [InlineData("""{"items":[{"name":"Burger","quantity":1,"price":5}],"seat_number":0}""", "seat_number")]
    public async Task Invalid_fields_get_400_problem_details_naming_the_field_and_nothing_is_stored(string json, string field)
    {
        var (status, problem) = await CreateAsync(json);

        Assert.Equal(400, status);
        Assert.Equal("VALIDATION_FAILED", problem.GetProperty("code").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors should name '{field}': {problem}");
        Assert.Equal(0, await ActiveCountAsync());
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[1,2,3]")]
    public async Task Malformed_json_gets_400_INVALID_JSON_and_nothing_is_stored(string json)
    {
        var (status, problem) = await CreateAsync(json);

        Assert.Equal(400, status);
        Assert.Equal("INVALID_JSON", problem.GetProperty("code").GetString());
        Assert.Equal(0, await ActiveCountAsync());
    }

    [Theory]
    [InlineData("""{"items":[{"name":"Burger","quantity":"two","price":5}]}""", "items[0].quantity")]
    [InlineData("""{"items":[{"name":"Burger","quantity":1,"price":5}],"unknown_field":1}""", "unknown_field")]
    [InlineData("""{"items":[{"name":"Burger","quantity":1,"price":5}],"type":"spaceship"}""", "type")]
    [InlineData("""{"items":[{"name":"Burger","quantity":1,"price":5}],"type":3}""", "type")]
    public async Task A_field_of_the_wrong_type_gets_400_naming_it_and_nothing_is_stored(string json, string field)
    {
        var (status, problem) = await CreateAsync(json);

        Assert.Equal(400, status);
        Assert.Equal("VALIDATION_FAILED", problem.GetProperty("code").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors should name '{field}': {problem}");
        Assert.DoesNotContain("System.", problem.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, await ActiveCountAsync());
    }

    [Fact]
    public async Task Non_json_content_type_gets_415()
    {
        var request = _host.Request("POST", "/api/orders", _host.Token(_restaurant, Role.Server), ValidOrder, "text/plain");
        var (status, _, _) = await FunctionsTestHost.ExecuteAsync(request, await _functions.CreateOrder(request, CancellationToken.None));
        Assert.Equal(415, status);
    }

    [Fact]
    public async Task Body_over_the_limit_gets_413()
    {
        var huge = $$"""{"items":[{"name":"Burger","quantity":1,"price":5}],"notes":"{{new string('x', 300_000)}}"}""";
        var (status, _) = await CreateAsync(huge);
        Assert.Equal(413, status);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-jwt")]
    public async Task Missing_or_invalid_token_gets_401(string? token)
    {
        var request = _host.Request("POST", "/api/orders", token, ValidOrder);
        var (status, body, headers) = await FunctionsTestHost.ExecuteAsync(request, await _functions.CreateOrder(request, CancellationToken.None));

        Assert.Equal(401, status);
        Assert.StartsWith("application/problem+json", headers.ContentType.ToString(), StringComparison.Ordinal);
        Assert.Equal("UNAUTHORIZED", FunctionsTestHost.Json(body).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Expired_token_gets_401()
    {
        var token = _host.Token(_restaurant, Role.Server, lifetime: TimeSpan.FromMinutes(5));
        _host.Time.Advance(TimeSpan.FromHours(1));
        var request = _host.Request("POST", "/api/orders", token, ValidOrder);
        var (status, _, _) = await FunctionsTestHost.ExecuteAsync(request, await _functions.CreateOrder(request, CancellationToken.None));
        Assert.Equal(401, status);
    }

    [Theory]
    [InlineData(Role.Kitchen)]
    [InlineData(Role.Expo)]
    [InlineData(Role.Customer)]
    public async Task Roles_that_may_not_create_orders_get_403(Role role)
    {
        var request = _host.Request("POST", "/api/orders", _host.Token(_restaurant, role, orderIds: [Guid.NewGuid()]), ValidOrder);
        var (status, _, _) = await FunctionsTestHost.ExecuteAsync(request, await _functions.CreateOrder(request, CancellationToken.None));
        Assert.Equal(403, status);
        Assert.Equal(0, await ActiveCountAsync());
    }

    [Fact]
    public async Task Naming_another_restaurant_in_the_body_is_a_tenant_violation()
    {
        var json = $$"""{"restaurant_id":"{{Guid.NewGuid()}}","items":[{"name":"Burger","quantity":1,"price":5}]}""";
        var (status, problem) = await CreateAsync(json);

        Assert.Equal(403, status);
        Assert.Equal("TENANT_VIOLATION", problem.GetProperty("code").GetString());
        Assert.Equal(0, await ActiveCountAsync());
    }

    [Fact]
    public async Task Another_restaurant_cannot_read_or_change_an_order()
    {
        var (_, order) = await CreateAsync(ValidOrder);
        var id = order.GetProperty("id").GetString()!;
        var foreign = _host.Token(Guid.NewGuid(), Role.Manager);

        var get = _host.Request("GET", $"/api/orders/{id}", foreign);
        Assert.Equal(404, (await FunctionsTestHost.ExecuteAsync(get, await _functions.GetOrder(get, id, CancellationToken.None))).Status);

        var change = _host.Request("POST", $"/api/orders/{id}/status", foreign, """{"status":"confirmed"}""");
        Assert.Equal(404, (await FunctionsTestHost.ExecuteAsync(change, await _functions.ChangeOrderStatus(change, id, CancellationToken.None))).Status);
    }

    [Fact]
    public async Task A_customer_sees_only_the_orders_in_its_token()
    {
        var (_, mine) = await CreateAsync(ValidOrder);
        var (_, other) = await CreateAsync(ValidOrder);
        var mineId = mine.GetProperty("id").GetGuid();
        var customer = _host.Token(_restaurant, Role.Customer, orderIds: [mineId]);

        var list = _host.Request("GET", "/api/orders", customer);
        var (_, body, _) = await FunctionsTestHost.ExecuteAsync(list, await _functions.ListOrders(list, CancellationToken.None));
        var ids = FunctionsTestHost.Json(body).EnumerateArray().Select(o => o.GetProperty("id").GetGuid()).ToList();
        Assert.Equal([mineId], ids);

        var otherId = other.GetProperty("id").GetString()!;
        var get = _host.Request("GET", $"/api/orders/{otherId}", customer);
        Assert.Equal(404, (await FunctionsTestHost.ExecuteAsync(get, await _functions.GetOrder(get, otherId, CancellationToken.None))).Status);
    }

    [Fact]
    public async Task Status_changes_follow_the_lifecycle_and_bump_the_version()
    {
        var (_, order) = await CreateAsync(ValidOrder);
        var id = order.GetProperty("id").GetString()!;
        var kitchen = _host.Token(_restaurant, Role.Kitchen);

        async Task<(int, JsonElement)> ChangeAsync(string json)
        {
            var request = _host.Request("POST", $"/api/orders/{id}/status", kitchen, json);
            var (status, body, _) = await FunctionsTestHost.ExecuteAsync(request, await _functions.ChangeOrderStatus(request, id, CancellationToken.None));
            return (status, FunctionsTestHost.Json(body));
        }

        var (ok, confirmed) = await ChangeAsync("""{"status":"confirmed","expected_version":1}""");
        Assert.Equal(200, ok);
        Assert.Equal(2, confirmed.GetProperty("version").GetInt32());
        Assert.Equal("pending", confirmed.GetProperty("previous_status").GetString());

        var (illegal, problem) = await ChangeAsync("""{"status":"completed"}""");
        Assert.Equal(409, illegal);
        Assert.Equal("ILLEGAL_TRANSITION", problem.GetProperty("code").GetString());

        var (stale, conflict) = await ChangeAsync("""{"status":"preparing","expected_version":1}""");
        Assert.Equal(409, stale);
        Assert.Equal("VERSION_CONFLICT", conflict.GetProperty("code").GetString());

        var (missing, _) = await ChangeAsync("""{"expected_version":2}""");
        Assert.Equal(400, missing);

        var get = _host.Request("GET", $"/api/orders/{id}", kitchen);
        var (_, current, _) = await FunctionsTestHost.ExecuteAsync(get, await _functions.GetOrder(get, id, CancellationToken.None));
        Assert.Equal("confirmed", FunctionsTestHost.Json(current).GetProperty("status").GetString());
        Assert.Equal(2, FunctionsTestHost.Json(current).GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task Patch_requires_the_current_version()
    {
        var (_, order) = await CreateAsync(ValidOrder);
        var id = order.GetProperty("id").GetString()!;
        var token = _host.Token(_restaurant, Role.Server);

        var stale = _host.Request("PATCH", $"/api/orders/{id}", token, """{"expected_version":7,"notes":"x"}""");
        Assert.Equal(409, (await FunctionsTestHost.ExecuteAsync(stale, await _functions.PatchOrder(stale, id, CancellationToken.None))).Status);

        var ok = _host.Request("PATCH", $"/api/orders/{id}", token, """{"expected_version":1,"notes":"window seat","tip":500}""");
        var (status, body, _) = await FunctionsTestHost.ExecuteAsync(ok, await _functions.PatchOrder(ok, id, CancellationToken.None));
        Assert.Equal(200, status);
        var patched = FunctionsTestHost.Json(body);
        Assert.Equal("window seat", patched.GetProperty("notes").GetString());
        Assert.Equal(3200 + 320 + 500, patched.GetProperty("total").GetInt64());
        Assert.Equal(2, patched.GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task A_payment_is_recorded_and_marks_the_order_paid()
    {
        var (_, order) = await CreateAsync(ValidOrder);
        var id = order.GetProperty("id").GetString()!;
        var cashier = _host.Token(_restaurant, Role.Cashier);

        var pay = _host.Request("POST", $"/api/orders/{id}/payments", cashier, """{"amount":3520,"payment_method":"card"}""");
        var (status, body, _) = await FunctionsTestHost.ExecuteAsync(pay, await _functions.AddPayment(pay, id, CancellationToken.None));
        Assert.Equal(201, status);
        Assert.Equal("paid", FunctionsTestHost.Json(body).GetProperty("payment_status").GetString());

        var get = _host.Request("GET", $"/api/orders/{id}", cashier);
        var (_, current, _) = await FunctionsTestHost.ExecuteAsync(get, await _functions.GetOrder(get, id, CancellationToken.None));
        Assert.Equal("paid", FunctionsTestHost.Json(current).GetProperty("payment_status").GetString());

        var kitchenPay = _host.Request("POST", $"/api/orders/{id}/payments", _host.Token(_restaurant, Role.Kitchen), """{"amount":1,"payment_method":"cash"}""");
        Assert.Equal(403, (await FunctionsTestHost.ExecuteAsync(kitchenPay, await _functions.AddPayment(kitchenPay, id, CancellationToken.None))).Status);

        var bad = _host.Request("POST", $"/api/orders/{id}/payments", cashier, """{"amount":0}""");
        Assert.Equal(400, (await FunctionsTestHost.ExecuteAsync(bad, await _functions.AddPayment(bad, id, CancellationToken.None))).Status);
    }

    [Fact]
    public async Task A_malformed_id_in_the_path_gets_400()
    {
        var request = _host.Request("GET", "/api/orders/nope", _host.Token(_restaurant, Role.Server));
        var (status, body, _) = await FunctionsTestHost.ExecuteAsync(request, await _functions.GetOrder(request, "nope", CancellationToken.None));
        Assert.Equal(400, status);
        Assert.Equal("INVALID_ID", FunctionsTestHost.Json(body).GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_throttled_store_answers_503_with_retry_after()
    {
        var store = new Mock<IOrderStore>();
        store.Setup(s => s.CreateAsync(It.IsAny<Order>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new StoreThrottledException("429 after retries", TimeSpan.FromSeconds(2.5)));
        var functions = new OrderFunctions(
            _host.Services.GetRequiredService<CallerAuthenticator>(),
            ActivatorUtilities.CreateInstance<OrderService>(_host.Services, store.Object));

        var request = _host.Request("POST", "/api/orders", _host.Token(_restaurant, Role.Server), ValidOrder);
        var (status, body, headers) = await FunctionsTestHost.ExecuteAsync(request, await functions.CreateOrder(request, CancellationToken.None));

        Assert.Equal(503, status);
        Assert.Equal("3", headers.RetryAfter.ToString());
        Assert.Equal("STORE_THROTTLED", FunctionsTestHost.Json(body).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Retrying_a_create_with_the_same_id_does_not_make_a_second_order()
    {
        var id = Guid.NewGuid();
        var json = $$"""{"id":"{{id}}","items":[{"name":"Burger","quantity":1,"price":5}]}""";
        Assert.Equal(201, (await CreateAsync(json)).Status);
        var (again, problem) = await CreateAsync(json);
        Assert.Equal(409, again);
        Assert.Equal("DUPLICATE", problem.GetProperty("code").GetString());
        Assert.Equal(1, await ActiveCountAsync());
    }
}
