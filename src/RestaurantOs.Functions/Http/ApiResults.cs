using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using RestaurantOs.Realtime.Services;

namespace RestaurantOs.Functions.Http;

/// <summary>
/// Responses written with source-generated JSON. They implement <see cref="IActionResult"/> (what the Functions
/// ASP.NET Core integration executes) but need nothing of MVC beyond the <see cref="HttpContext"/>, so DevHost can
/// execute the same results.
/// </summary>
internal static class ApiResults
{
    public static IActionResult Json<T>(T value, JsonTypeInfo<T> typeInfo, int statusCode = StatusCodes.Status200OK) =>
        new JsonResult<T>(value, typeInfo, statusCode);

    /// <summary>Bytes that are already JSON (an embedded document), written as they are.</summary>
    public static IActionResult JsonBytes(ReadOnlyMemory<byte> utf8Json) => new JsonBytesResult(utf8Json);

    public static IActionResult NoContent() => new StatusResult(StatusCodes.Status204NoContent);

    /// <summary>The function wrote the response itself (the Web PubSub codec does); leave it as it is.</summary>
    public static IActionResult Written() => WrittenResult.Instance;

    /// <summary>An RFC 7807 problem; its <c>type</c> is the code's entry in <see cref="ProblemCatalog"/> on this origin.</summary>
    public static IActionResult Problem(int status, string title, string detail, string code, IReadOnlyDictionary<string, string[]>? errors = null) =>
        new ProblemResult(status, title, detail, code, errors, WwwAuthenticate: null);

    /// <summary>
    /// 401 with <c>WWW-Authenticate: Bearer</c> (RFC 6750): without <c>error</c> when no token was sent, with
    /// <c>error="invalid_token"</c> when the token was refused.
    /// </summary>
    public static IActionResult Unauthorized(string detail, bool tokenSent) =>
        new ProblemResult(StatusCodes.Status401Unauthorized, "Unauthorized", detail, "UNAUTHORIZED", null,
            tokenSent ? "Bearer realm=\"restaurant-os\", error=\"invalid_token\"" : "Bearer realm=\"restaurant-os\"");

    public static IActionResult BadRequest(string detail, string code = "INVALID_REQUEST", IReadOnlyDictionary<string, string[]>? errors = null) =>
        Problem(StatusCodes.Status400BadRequest, "Bad request", detail, code, errors);

    public static IActionResult From(ServiceError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.Kind switch
        {
            ServiceErrorKind.Validation => Problem(StatusCodes.Status400BadRequest, "Validation failed", error.Detail, error.Code, error.Errors),
            ServiceErrorKind.Forbidden => Problem(StatusCodes.Status403Forbidden, "Forbidden", error.Detail, error.Code),
            ServiceErrorKind.NotFound => Problem(StatusCodes.Status404NotFound, "Not found", error.Detail, error.Code),
            ServiceErrorKind.Conflict => Problem(StatusCodes.Status409Conflict, "Conflict", error.Detail, error.Code),
            _ => throw new ArgumentOutOfRangeException(nameof(error), error.Kind, "Unknown service error kind."),
        };
    }

    public static IActionResult From<T>(ServiceResult<T> result, JsonTypeInfo<T> typeInfo, int statusCode = StatusCodes.Status200OK)
        where T : class =>
        result.Error is { } error ? From(error) : Json(result.Value!, typeInfo, statusCode);

    private sealed class JsonResult<T>(T value, JsonTypeInfo<T> typeInfo, int statusCode) : IActionResult
    {
        public async Task ExecuteResultAsync(ActionContext context)
        {
            var response = context.HttpContext.Response;
            response.StatusCode = statusCode;
            response.ContentType = "application/json; charset=utf-8";
            await JsonSerializer.SerializeAsync(response.Body, value, typeInfo, context.HttpContext.RequestAborted).ConfigureAwait(false);
        }
    }

    private sealed record ProblemResult(int Status, string Title, string Detail, string Code, IReadOnlyDictionary<string, string[]>? Errors, string? WwwAuthenticate) : IActionResult
    {
        public async Task ExecuteResultAsync(ActionContext context)
        {
            var response = context.HttpContext.Response;
            response.StatusCode = Status;
            response.ContentType = "application/problem+json; charset=utf-8";
            if (WwwAuthenticate is not null)
            {
                response.Headers.WWWAuthenticate = WwwAuthenticate;
            }

            var body = new ProblemDetailsBody
            {
                Type = ProblemCatalog.TypeUri(context.HttpContext.Request, Code),
                Title = Title,
                Status = Status,
                Detail = Detail,
                Code = Code,
                Errors = Errors,
            };
            await JsonSerializer.SerializeAsync(response.Body, body, FunctionsJsonContext.Default.ProblemDetailsBody, context.HttpContext.RequestAborted).ConfigureAwait(false);
        }
    }

    private sealed class JsonBytesResult(ReadOnlyMemory<byte> utf8Json) : IActionResult
    {
        public async Task ExecuteResultAsync(ActionContext context)
        {
            var response = context.HttpContext.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/json; charset=utf-8";
            response.ContentLength = utf8Json.Length;
            await response.Body.WriteAsync(utf8Json, context.HttpContext.RequestAborted).ConfigureAwait(false);
        }
    }

    private sealed class WrittenResult : IActionResult
    {
        public static readonly WrittenResult Instance = new();

        public Task ExecuteResultAsync(ActionContext context) => Task.CompletedTask;
    }

    private sealed class StatusResult(int statusCode) : IActionResult
    {
        public Task ExecuteResultAsync(ActionContext context)
        {
            context.HttpContext.Response.StatusCode = statusCode;
            return Task.CompletedTask;
        }
    }
}

/// <summary>RFC 7807 problem details, plus a machine-readable <c>code</c> and field <c>errors</c>.</summary>
internal sealed record ProblemDetailsBody
{
    public required string Type { get; init; }
    public required string Title { get; init; }
    public required int Status { get; init; }
    public required string Detail { get; init; }
    public required string Code { get; init; }
    public IReadOnlyDictionary<string, string[]>? Errors { get; init; }
}
