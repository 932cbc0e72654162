using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using RestaurantOs.Functions.Http;
using RestaurantOs.Realtime.Services;

namespace RestaurantOs.Functions.Functions;

/// <summary>Tables of the floor plan and explicit notifications.</summary>
public sealed class FloorFunctions(CallerAuthenticator api, TableService tables, NotificationService notifications)
{
    private static FunctionsJsonContext Json => FunctionsJsonContext.Default;

    [Function(nameof(ListTables))]
    public Task<IActionResult> ListTables(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "tables")] HttpRequest request,
        CancellationToken cancellationToken) =>
        api.HandleAsync(request, async caller =>
            ApiResults.From(await tables.ListAsync(caller, cancellationToken), Json.IReadOnlyListTable), cancellationToken);

    [Function(nameof(PutTable))]
    public Task<IActionResult> PutTable(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "tables/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken) =>
        api.HandleAsync(request, id, Json.PutTableRequest, async (caller, tableId, body) =>
            ApiResults.From(await tables.PutAsync(caller, tableId, body, cancellationToken), Json.Table), cancellationToken);

    [Function(nameof(SendNotification))]
    public Task<IActionResult> SendNotification(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "notifications")] HttpRequest request,
        CancellationToken cancellationToken) =>
        api.HandleAsync(request, Json.NotificationRequest, async (caller, body) =>
            ApiResults.From(await notifications.SendAsync(caller, body, cancellationToken), Json.Notification, StatusCodes.Status201Created), cancellationToken);
}
