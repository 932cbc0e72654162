using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Services;

namespace RestaurantOs.Functions.Http;

/// <summary>Authenticates an HTTP caller from its <c>Authorization: Bearer</c> app JWT.</summary>
public sealed class CallerAuthenticator(IAppTokenValidator validator, RealtimeMetrics metrics)
{
    public async Task<(ConnectionIdentity? Caller, IActionResult? Problem)> AuthenticateAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        string? header = request.Headers.Authorization;
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            return (null, ApiResults.Unauthorized("Send the app token as 'Authorization: Bearer <token>'."));
        }

        var outcome = await validator.ValidateAsync(header[7..].Trim(), cancellationToken).ConfigureAwait(false);
        if (!outcome.Succeeded)
        {
            metrics.AuthFailed("UNAUTHORIZED");
            return (null, ApiResults.Unauthorized(outcome.ErrorMessage ?? "The token is not valid."));
        }

        return (outcome.Identity, null);
    }
}

internal static class RouteIds
{
    /// <summary>Parses a route id; a malformed id is a 400 rather than a confusing 404.</summary>
    public static bool TryParse(string? value, out Guid id, out IActionResult? problem)
    {
        if (Guid.TryParse(value, out id))
        {
            problem = null;
            return true;
        }

        problem = ApiResults.BadRequest("The id in the path must be a UUID.", "INVALID_ID");
        return false;
    }
}
