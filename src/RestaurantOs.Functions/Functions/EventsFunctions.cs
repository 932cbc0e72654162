using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using RestaurantOs.Functions.Http;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Routing;
using RestaurantOs.Realtime.Services;

namespace RestaurantOs.Functions.Functions;

/// <summary>Catch-up over HTTP and the health probe.</summary>
public sealed class EventsFunctions(CallerAuthenticator authenticator, HistoryCatchUp catchUp, IEventHistory history, TimeProvider time)
{
    /// <summary>
    /// <c>GET /api/events?since=N</c>: the same <c>replay</c>/<c>resync</c> answer a WebSocket <c>resume</c> gets,
    /// filtered by the caller's role (all events the role may see; no subscription narrowing over HTTP).
    /// </summary>
    [Function(nameof(CatchUp))]
    public Task<IActionResult> CatchUp(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "events")] HttpRequest request,
        CancellationToken cancellationToken) =>
        authenticator.HandleAsync(request, async caller =>
        {
            string? sinceText = request.Query["since"];
            long since = 0;
            if (sinceText is not null && (!long.TryParse(sinceText, NumberStyles.None, CultureInfo.InvariantCulture, out since) || since < 0))
            {
                return ApiResults.BadRequest("'since' must be a whole number of 0 or more: the last seq you applied.", "INVALID_SINCE");
            }

            var reply = await catchUp.ResumeAsync(caller, new SubscriptionSet([]), since, time.GetUtcNow(), cancellationToken);
            return ApiResults.Json(reply, FunctionsJsonContext.Default.RealtimeEvent);
        }, cancellationToken);

    [Function(nameof(Health))]
    public async Task<IActionResult> Health(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            // A cheap read proves the store answers; the nil restaurant never has events.
            await history.ReadAfterAsync(Guid.Empty, 0, 1, cancellationToken);
            return ApiResults.Json(new HealthReport("healthy", "ok", time.GetUtcNow()), FunctionsJsonContext.Default.HealthReport);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return ApiResults.Json(new HealthReport("unhealthy", ex.GetType().Name, time.GetUtcNow()), FunctionsJsonContext.Default.HealthReport, StatusCodes.Status503ServiceUnavailable);
        }
    }
}
