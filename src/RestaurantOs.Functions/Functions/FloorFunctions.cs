using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using RestaurantOs.Functions.Http;
using RestaurantOs.Realtime.Services;

namespace RestaurantOs.Functions.Functions;

/// <summary>Tables of the floor plan and explicit notifications.</summary>
public sealed class FloorFunctions(CallerAuthenticator authenticator, TableService tables, NotificationService notifications)
{
    [Function(nameof(ListTables))]
    public async Task<IActionResult> ListTables(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "tables")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var (caller, problem) = await authenticator.AuthenticateAsync(request, cancellationToken);
        if (caller is null)
        {
            return problem!;
        }

        return ApiResults.From(await tables.ListAsync(caller, cancellationToken), FunctionsJsonContext.Default.IReadOnlyListTable);
    }

    [Function(nameof(PutTable))]
    public async Task<IActionResult> PutTable(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "tables/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        var (caller, problem) = await authenticator.AuthenticateAsync(request, cancellationToken);
        if (caller is null)
        {
            return problem!;
        }

        if (!RouteIds.TryParse(id, out var tableId, out var badId))
        {
            return badId!;
        }

        var (body, invalid) = await JsonBody.ReadAsync(request, FunctionsJsonContext.Default.PutTableRequest, cancellationToken);
        if (body is null)
        {
            return invalid!;
        }

        return ApiResults.From(await tables.PutAsync(caller, tableId, body, cancellationToken), FunctionsJsonContext.Default.Table);
    }

    [Function(nameof(SendNotification))]
    public async Task<IActionResult> SendNotification(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "notifications")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var (caller, problem) = await authenticator.AuthenticateAsync(request, cancellationToken);
        if (caller is null)
        {
            return problem!;
        }

        var (body, invalid) = await JsonBody.ReadAsync(request, FunctionsJsonContext.Default.NotificationRequest, cancellationToken);
        if (body is null)
        {
            return invalid!;
        }

        return ApiResults.From(await notifications.SendAsync(caller, body, cancellationToken), FunctionsJsonContext.Default.Notification, StatusCodes.Status201Created);
    }
}
