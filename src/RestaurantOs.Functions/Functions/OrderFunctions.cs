using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using RestaurantOs.Functions.Http;
using RestaurantOs.Realtime.Services;

namespace RestaurantOs.Functions.Functions;

/// <summary>Orders over HTTP: authenticate, parse, call <see cref="OrderService"/>, shape the reply.</summary>
public sealed class OrderFunctions(CallerAuthenticator api, OrderService orders)
{
    private static FunctionsJsonContext Json => FunctionsJsonContext.Default;

    [Function(nameof(CreateOrder))]
    public Task<IActionResult> CreateOrder(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "orders")] HttpRequest request,
        CancellationToken cancellationToken) =>
        api.HandleAsync(request, Json.CreateOrderRequest, async (caller, body) =>
            ApiResults.From(await orders.CreateAsync(caller, body, cancellationToken), Json.Order, StatusCodes.Status201Created), cancellationToken);

    [Function(nameof(ListOrders))]
    public Task<IActionResult> ListOrders(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "orders")] HttpRequest request,
        CancellationToken cancellationToken) =>
        api.HandleAsync(request, async caller =>
            ApiResults.Json(await orders.ListActiveAsync(caller, cancellationToken), Json.IReadOnlyListOrder), cancellationToken);

    [Function(nameof(GetOrder))]
    public Task<IActionResult> GetOrder(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "orders/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken) =>
        api.HandleAsync(request, id, async (caller, orderId) =>
            ApiResults.From(await orders.GetAsync(caller, orderId, cancellationToken), Json.Order), cancellationToken);

    [Function(nameof(PatchOrder))]
    public Task<IActionResult> PatchOrder(
        [HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "orders/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken) =>
        api.HandleAsync(request, id, Json.PatchOrderRequest, async (caller, orderId, body) =>
            ApiResults.From(await orders.PatchAsync(caller, orderId, body, cancellationToken), Json.Order), cancellationToken);

    [Function(nameof(ChangeOrderStatus))]
    public Task<IActionResult> ChangeOrderStatus(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "orders/{id}/status")] HttpRequest request,
        string id,
        CancellationToken cancellationToken) =>
        api.HandleAsync(request, id, Json.StatusChangeRequest, async (caller, orderId, body) =>
            ApiResults.From(await orders.ChangeStatusAsync(caller, orderId, body, cancellationToken), Json.Order), cancellationToken);

    [Function(nameof(AddPayment))]
    public Task<IActionResult> AddPayment(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "orders/{id}/payments")] HttpRequest request,
        string id,
        CancellationToken cancellationToken) =>
        api.HandleAsync(request, id, Json.PaymentRequest, async (caller, orderId, body) =>
            ApiResults.From(await orders.AddPaymentAsync(caller, orderId, body, cancellationToken), Json.Payment, StatusCodes.Status201Created), cancellationToken);
}
