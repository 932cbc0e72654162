using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using RestaurantOs.Functions.Http;
using RestaurantOs.WebPubSub.Client;

namespace RestaurantOs.Functions.Functions;

/// <summary>
/// <c>GET /api/negotiate</c>: trades a valid app JWT for a Web PubSub client URL. The URL carries the service
/// token (<c>access_token</c>) and the app token (<c>token</c>), which the connect handler validates again, so the
/// connection is authenticated from its first frame.
/// </summary>
public sealed class NegotiateFunction(CallerAuthenticator authenticator, IWebPubSubServiceClient client)
{
    /// <summary>How long the service token in the URL is valid; the connection itself lives on after it expires.</summary>
    public static readonly TimeSpan ServiceTokenLifetime = TimeSpan.FromMinutes(10);

    [Function(nameof(Negotiate))]
    public Task<IActionResult> Negotiate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", Route = "negotiate")] HttpRequest request,
        CancellationToken cancellationToken) =>
        authenticator.HandleAsync(request, async caller =>
        {
            var access = await client.GetClientAccessAsync(caller.UserId, [], [], ServiceTokenLifetime, cancellationToken);
            var appToken = request.Headers.Authorization.ToString()[7..].Trim();
            var url = $"{access.Url}&token={Uri.EscapeDataString(appToken)}";
            return ApiResults.Json(access with { Url = url }, FunctionsJsonContext.Default.NegotiateResponse);
        }, cancellationToken);
}
