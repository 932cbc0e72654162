using Microsoft.AspNetCore.Http;

namespace RestaurantOs.Functions.Http;

/// <summary>One problem <c>code</c> of the HTTP API: the status it comes with and what it means for the caller.</summary>
internal sealed record ProblemKind(string Code, int Status, string Title, string Description);

/// <summary>
/// Every problem <c>code</c> the HTTP API answers with. A problem's <c>type</c> is the absolute URI of its entry here,
/// served by the app itself at <c>GET /api/problems/{code}</c> (and the whole list at <c>GET /api/problems</c>), so
/// the link in an error always leads to this app's own description of it, in whatever deployment answered.
/// docs/api.md lists the same codes; a test keeps the two equal.
/// </summary>
internal static class ProblemCatalog
{
    /// <summary>The route of the catalogue under the Functions route prefix.</summary>
    public const string Route = "problems";

    public static IReadOnlyList<ProblemKind> All { get; } =
    [
        new("INVALID_JSON", StatusCodes.Status400BadRequest, "Invalid JSON",
            "The body is empty, not UTF-8, not JSON, nested deeper than 16, or not an object. Nothing was changed."),
        new("VALIDATION_FAILED", StatusCodes.Status400BadRequest, "Validation failed",
            "One or more fields are invalid; errors maps each field (snake_case, items[0].quantity) to its messages. Nothing was changed."),
        new("INVALID_ID", StatusCodes.Status400BadRequest, "Bad request", "The id in the path is not a UUID."),
        new("INVALID_SINCE", StatusCodes.Status400BadRequest, "Bad request", "since of GET /api/events is not a whole number of 0 or more, or is given twice."),
        new("INVALID_LIMIT", StatusCodes.Status400BadRequest, "Bad request", "limit of GET /api/events is not a whole number from 1 to 1,000, or is given twice."),
        new("INCOMPLETE_REQUEST", StatusCodes.Status400BadRequest, "Bad request", "The request ended before its body was complete. Nothing was changed."),
        new("UNAUTHORIZED", StatusCodes.Status401Unauthorized, "Unauthorized",
            "No app token, or one that is not valid (signature, issuer, audience, lifetime, claims). Send Authorization: Bearer <app JWT>; WWW-Authenticate says which."),
        new("FORBIDDEN", StatusCodes.Status403Forbidden, "Forbidden", "The token's role may not do this (see the role table in docs/api.md)."),
        new("TENANT_VIOLATION", StatusCodes.Status403Forbidden, "Forbidden", "The body names a restaurant other than the token's."),
        new("NOT_FOUND", StatusCodes.Status404NotFound, "Not found", "No such order, table or route, or one the caller may not see."),
        new("VERSION_CONFLICT", StatusCodes.Status409Conflict, "Conflict", "expected_version is not the stored version: read the order again and retry."),
        new("ILLEGAL_TRANSITION", StatusCodes.Status409Conflict, "Conflict", "The order's status cannot change from its current status to the requested one."),
        new("ORDER_CLOSED", StatusCodes.Status409Conflict, "Conflict", "The order is completed or cancelled and takes no more changes or payments."),
        new("DUPLICATE", StatusCodes.Status409Conflict, "Conflict", "A document with this id exists already (an order or payment id sent twice)."),
        new("PAYLOAD_TOO_LARGE", StatusCodes.Status413PayloadTooLarge, "Payload too large", "The body is over 256 KiB."),
        new("UNSUPPORTED_MEDIA_TYPE", StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "The body is not sent as application/json."),
        new("INTERNAL_ERROR", StatusCodes.Status500InternalServerError, "Server error",
            "The server failed (500; safe to retry), or the token's signing keys could not be fetched (503)."),
        new("STORE_THROTTLED", StatusCodes.Status503ServiceUnavailable, "Service unavailable",
            "The store is busy; nothing was changed. Retry after the time in Retry-After."),
    ];

    private static readonly Dictionary<string, ProblemKind> ByCode = All.ToDictionary(k => k.Code, StringComparer.Ordinal);

    public static ProblemKind? Find(string code) => ByCode.GetValueOrDefault(code);

    /// <summary>The <c>type</c> URI of a problem with this code, on the origin that answered the request.</summary>
    public static string TypeUri(HttpRequest request, string code)
    {
        ArgumentNullException.ThrowIfNull(request);
        return $"{request.Scheme}://{request.Host}{request.PathBase}/api/{Route}/{Uri.EscapeDataString(code)}";
    }
}
