using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using RestaurantOs.Functions.Http;
using RestaurantOs.Realtime.Presence;

namespace RestaurantOs.Functions.Functions;

/// <summary>Which screens of the caller's restaurant are live, behind or gone.</summary>
public sealed class PresenceFunctions(CallerAuthenticator api, PresenceService presence)
{
    [Function(nameof(ListPresence))]
    public Task<IActionResult> ListPresence(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "presence")] HttpRequest request,
        CancellationToken cancellationToken) =>
        api.HandleAsync(request, async caller =>
            ApiResults.From(await presence.ListAsync(caller, cancellationToken), FunctionsJsonContext.Default.PresenceList), cancellationToken);
}
