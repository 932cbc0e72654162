using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.WorkerHost.Rpc;

namespace RestaurantOs.WorkerHost.Tests;

/// <summary>
/// Every HTTP function and every timer invoked through the real worker, as the Functions host invokes them: the
/// answers (successes, and problem details from the worker's own pipeline) come from the worker process.
/// </summary>
public sealed class WorkerHttpTests(WorkerFixture worker) : IClassFixture<WorkerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Token(Guid restaurant, Role role) =>
        AppTokenIssuer.CreateHs256(WorkerFixture.SigningKey, WorkerFixture.Issuer, WorkerFixture.Audience, "worker-tests", restaurant, role, null,
            DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1));

    private async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> CallAsync(HttpMethod method, string path, string? token, string? json = null, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, contentType);
        }

        var response = await worker.Host.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.Headers.TryGetValues(FunctionsWorkerHost.InvocationStatusHeader, out var status), worker.Host.Output);
        Assert.Equal("Success", status.Single());
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone(), response);
    }

    private static void AssertProblem((HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response) answer, HttpStatusCode status, string code)
    {
        Assert.Equal(status, answer.Status);
        Assert.Equal("application/problem+json", answer.Response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(code, answer.Body.GetProperty("code").GetString());
        Assert.EndsWith("/api/problems/" + code, answer.Body.GetProperty("type").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Orders_payments_tables_notifications_and_history_answer_through_the_worker()
    {
        var restaurant = Guid.NewGuid();
        var manager = Token(restaurant, Role.Manager);
        var orderId = Guid.NewGuid();

        var created = await CallAsync(HttpMethod.Post, "/api/orders", manager, $$"""{"id":"{{orderId}}","items":[{"name":"Soup","quantity":2,"price":900}],"table_number":"T4"}""");
        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Equal(1800, created.Body.GetProperty("subtotal").GetInt64());

        Assert.Equal(HttpStatusCode.OK, (await CallAsync(HttpMethod.Get, "/api/orders", manager)).Status);
        Assert.Equal(orderId.ToString(), (await CallAsync(HttpMethod.Get, $"/api/orders/{orderId}", manager)).Body.GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(HttpMethod.Patch, $"/api/orders/{orderId}", manager, """{"expected_version":1,"notes":"no onions"}""")).Status);
        Assert.Equal("confirmed", (await CallAsync(HttpMethod.Post, $"/api/orders/{orderId}/status", manager, """{"status":"confirmed"}""")).Body.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Created, (await CallAsync(HttpMethod.Post, $"/api/orders/{orderId}/payments", manager, """{"amount":1800,"payment_method":"card"}""")).Status);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(HttpMethod.Put, $"/api/tables/{Guid.NewGuid()}", manager, """{"label":"T4","seats":4,"status":"occupied"}""")).Status);
        Assert.Equal(1, (await CallAsync(HttpMethod.Get, "/api/tables", manager)).Body.GetArrayLength());
        Assert.Equal(HttpStatusCode.Created, (await CallAsync(HttpMethod.Post, "/api/notifications", manager, """{"kind":"kitchen","message":"86 the salmon"}""")).Status);
        var history = await CallAsync(HttpMethod.Get, "/api/events?since=0", manager);
        Assert.Equal("replay", history.Body.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Refusals_are_problem_details_from_the_workers_own_pipeline()
    {
        var restaurant = Guid.NewGuid();
        var none = await CallAsync(HttpMethod.Get, "/api/orders", token: null);
        AssertProblem(none, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Equal("Bearer", none.Response.Headers.WwwAuthenticate.Single().Scheme);

        AssertProblem(await CallAsync(HttpMethod.Post, "/api/orders", Token(restaurant, Role.Manager), "{"), HttpStatusCode.BadRequest, "INVALID_JSON");
        AssertProblem(await CallAsync(HttpMethod.Post, "/api/orders", Token(restaurant, Role.Kitchen), """{"items":[{"name":"Soup","quantity":1,"price":1}]}"""), HttpStatusCode.Forbidden, "FORBIDDEN");
        AssertProblem(await CallAsync(HttpMethod.Get, $"/api/orders/{Guid.NewGuid()}", Token(restaurant, Role.Manager)), HttpStatusCode.NotFound, "NOT_FOUND");
        AssertProblem(await CallAsync(HttpMethod.Get, "/api/orders/not-a-uuid", Token(restaurant, Role.Manager)), HttpStatusCode.BadRequest, "INVALID_ID");
    }

    [Fact]
    public async Task Negotiate_health_and_the_documents_answer_through_the_worker()
    {
        var negotiate = await CallAsync(HttpMethod.Get, "/api/negotiate", Token(Guid.NewGuid(), Role.Kitchen));
        Assert.Equal(HttpStatusCode.OK, negotiate.Status);
        Assert.Contains("access_token=", negotiate.Body.GetProperty("url").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(HttpMethod.Post, "/api/negotiate", Token(Guid.NewGuid(), Role.Server))).Status);

        Assert.Equal("healthy", (await CallAsync(HttpMethod.Get, "/api/health", token: null)).Body.GetProperty("status").GetString());
        Assert.Equal("3.1.0", (await CallAsync(HttpMethod.Get, "/api/openapi.json", token: null)).Body.GetProperty("openapi").GetString());
        Assert.NotEqual(0, (await CallAsync(HttpMethod.Get, "/api/problems", token: null)).Body.GetArrayLength());
        Assert.Equal(401, (await CallAsync(HttpMethod.Get, "/api/problems/UNAUTHORIZED", token: null)).Body.GetProperty("status").GetInt32());
    }

    [Theory]
    [InlineData("ChangeFeed")]
    [InlineData("KdsBatch")]
    [InlineData("AuthGrace")]
    public async Task Each_timer_runs_with_the_timer_binding_data_the_host_sends(string name)
    {
        var response = await worker.Host.InvokeTimerAsync(name, Ct);

        Assert.True(response.Result.Status == StatusResult.Types.Status.Success, $"{name}: {response.Result.Exception?.Message}\n{worker.Host.Output}");
    }
}
