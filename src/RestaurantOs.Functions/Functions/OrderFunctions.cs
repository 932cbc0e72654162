using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using RestaurantOs.Functions.Http;
using RestaurantOs.Realtime.Services;

namespace RestaurantOs.Functions.Functions;

/// <summary>Orders over HTTP. Each function authenticates, parses, calls <see cref="OrderService"/> and shapes the reply.</summary>
public sealed class OrderFunctions(CallerAuthenticator authenticator, OrderService orders)
{
    private readonly CallerAuthenticator _authenticator = authenticator;
    private readonly OrderService _orders = orders;

    [Function(nameof(CreateOrder))]
    public async Task<IActionResult> CreateOrder(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "orders")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var (caller, problem) = await _authenticator.AuthenticateAsync(request, cancellationToken);
        if (caller is null)
        {
            return problem!;
        }

        var (body, invalid) = await JsonBody.ReadAsync(request, FunctionsJsonContext.Default.CreateOrderRequest, cancellationToken);
        if (body is null)
        {
            return invalid!;
        }

        var result = await _orders.CreateAsync(caller, body, cancellationToken);
        return ApiResults.From(result, FunctionsJsonContext.Default.Order, StatusCodes.Status201Created);
    }

    [Function(nameof(ListOrders))]
    public async Task<IActionResult> ListOrders(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "orders")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var (caller, problem) = await _authenticator.AuthenticateAsync(request, cancellationToken);
        if (caller is null)
        {
            return problem!;
        }

        var active = await _orders.ListActiveAsync(caller, cancellationToken);
        return ApiResults.Json(active, FunctionsJsonContext.Default.IReadOnlyListOrder);
    }

    [Function(nameof(GetOrder))]
    public async Task<IActionResult> GetOrder(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "orders/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        var (caller, problem) = await _authenticator.AuthenticateAsync(request, cancellationToken);
        if (caller is null)
        {
            return problem!;
        }

        if (!RouteIds.TryParse(id, out var orderId, out var badId))
        {
            return badId!;
        }

        return ApiResults.From(await _orders.GetAsync(caller, orderId, cancellationToken), FunctionsJsonContext.Default.Order);
    }

    [Function(nameof(PatchOrder))]
    public async Task<IActionResult> PatchOrder(
        [HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "orders/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        var (caller, problem) = await _authenticator.AuthenticateAsync(request, cancellationToken);
        if (caller is null)
        {
            return problem!;
        }

        if (!RouteIds.TryParse(id, out var orderId, out var badId))
        {
            return badId!;
        }

        var (body, invalid) = await JsonBody.ReadAsync(request, FunctionsJsonContext.Default.PatchOrderRequest, cancellationToken);
        if (body is null)
        {
            return invalid!;
        }

        return ApiResults.From(await _orders.PatchAsync(caller, orderId, body, cancellationToken), FunctionsJsonContext.Default.Order);
    }

    [Function(nameof(ChangeOrderStatus))]
    public async Task<IActionResult> ChangeOrderStatus(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "orders/{id}/status")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        var (caller, problem) = await _authenticator.AuthenticateAsync(request, cancellationToken);
        if (caller is null)
        {
            return problem!;
        }

        if (!RouteIds.TryParse(id, out var orderId, out var badId))
        {
            return badId!;
        }

        var (body, invalid) = await JsonBody.ReadAsync(request, FunctionsJsonContext.Default.StatusChangeRequest, cancellationToken);
        if (body is null)
        {
            return invalid!;
        }

        return ApiResults.From(await _orders.ChangeStatusAsync(caller, orderId, body, cancellationToken), FunctionsJsonContext.Default.Order);
    }

    [Function(nameof(AddPayment))]
    public async Task<IActionResult> AddPayment(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "orders/{id}/payments")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        var (caller, problem) = await _authenticator.AuthenticateAsync(request, cancellationToken);
        if (caller is null)
        {
            return problem!;
        }

        if (!RouteIds.TryParse(id, out var orderId, out var badId))
        {
            return badId!;
        }

        var (body, invalid) = await JsonBody.ReadAsync(request, FunctionsJsonContext.Default.PaymentRequest, cancellationToken);
        if (body is null)
        {
            return invalid!;
        }

        return ApiResults.From(await _orders.AddPaymentAsync(caller, orderId, body, cancellationToken), FunctionsJsonContext.Default.Payment, StatusCodes.Status201Created);
    }
}
