using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Services;
using RestaurantOs.Storage;

namespace RestaurantOs.Functions.Http;

/// <summary>
/// The common front of every HTTP function: authenticate the caller from its <c>Authorization: Bearer</c> app JWT,
/// parse the route id and read the JSON body, answering 400/401/413/415 problem details before the handler runs.
/// </summary>
public sealed class CallerAuthenticator(IAppTokenValidator validator, RealtimeMetrics metrics)
{
    public async Task<(ConnectionIdentity? Caller, IActionResult? Problem)> AuthenticateAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        string? header = request.Headers.Authorization;
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            return (null, ApiResults.Unauthorized("Send the app token as 'Authorization: Bearer <token>'.", tokenSent: false));
        }

        var outcome = await validator.ValidateAsync(header[7..].Trim(), cancellationToken).ConfigureAwait(false);
        if (!outcome.Succeeded)
        {
            metrics.AuthFailed(outcome.ErrorCode);
            return outcome.ErrorCode == Realtime.Protocol.ErrorCodes.InternalError
                ? (null, ApiResults.Problem(StatusCodes.Status503ServiceUnavailable, "Service unavailable", outcome.ErrorMessage, outcome.ErrorCode))
                : (null, ApiResults.Unauthorized(outcome.ErrorMessage, tokenSent: true));
        }

        return (outcome.Identity, null);
    }

    /// <summary>
    /// Runs <paramref name="handle"/> for an authenticated caller. A store that is still throttled after its own
    /// retries (Cosmos DB 429) becomes 503 with <c>Retry-After</c>: the write did not happen and may be retried.
    /// </summary>
    public async Task<IActionResult> HandleAsync(HttpRequest request, Func<ConnectionIdentity, Task<IActionResult>> handle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(handle);
        var (caller, problem) = await AuthenticateAsync(request, cancellationToken).ConfigureAwait(false);
        if (caller is null)
        {
            return problem!;
        }

        try
        {
            return await handle(caller).ConfigureAwait(false);
        }
        catch (StoreThrottledException ex)
        {
            metrics.Error("STORE_THROTTLED");
            var seconds = (int)Math.Ceiling((ex.RetryAfter ?? TimeSpan.FromSeconds(1)).TotalSeconds);
            request.HttpContext.Response.Headers.RetryAfter = Math.Max(1, seconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return ApiResults.Problem(StatusCodes.Status503ServiceUnavailable, "Service unavailable",
                "The store is busy; nothing was changed. Retry after the time in Retry-After.", "STORE_THROTTLED");
        }
    }

    /// <summary>Runs <paramref name="handle"/> for an authenticated caller with a valid id in the route.</summary>
    public Task<IActionResult> HandleAsync(HttpRequest request, string? id, Func<ConnectionIdentity, Guid, Task<IActionResult>> handle, CancellationToken cancellationToken) =>
        HandleAsync(request, caller => Guid.TryParse(id, out var parsed)
            ? handle(caller, parsed)
            : Task.FromResult(ApiResults.BadRequest("The id in the path must be a UUID.", "INVALID_ID")), cancellationToken);

    /// <summary>Runs <paramref name="handle"/> for an authenticated caller with a valid JSON body.</summary>
    public Task<IActionResult> HandleAsync<TBody>(HttpRequest request, JsonTypeInfo<TBody> bodyType, Func<ConnectionIdentity, TBody, Task<IActionResult>> handle, CancellationToken cancellationToken)
        where TBody : class =>
        HandleAsync(request, async caller =>
        {
            var (body, invalid) = await JsonBody.ReadAsync(request, bodyType, cancellationToken).ConfigureAwait(false);
            return body is null ? invalid! : await handle(caller, body).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>Runs <paramref name="handle"/> for an authenticated caller with a valid route id and JSON body.</summary>
    public Task<IActionResult> HandleAsync<TBody>(HttpRequest request, string? id, JsonTypeInfo<TBody> bodyType, Func<ConnectionIdentity, Guid, TBody, Task<IActionResult>> handle, CancellationToken cancellationToken)
        where TBody : class =>
        HandleAsync(request, id, async (caller, parsed) =>
        {
            var (body, invalid) = await JsonBody.ReadAsync(request, bodyType, cancellationToken).ConfigureAwait(false);
            return body is null ? invalid! : await handle(caller, parsed, body).ConfigureAwait(false);
        }, cancellationToken);
}
