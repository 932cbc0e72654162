using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using RestaurantOs.Functions.Http;

namespace RestaurantOs.Functions.Functions;

/// <summary>
/// <c>GET /api/openapi.json</c>: the OpenAPI 3.1 description of this HTTP API (docs/openapi.json, embedded at build
/// time, so what is served is what is documented). Public, like the problem types it refers to.
/// </summary>
public sealed class OpenApiFunction
{
    private static readonly Lazy<byte[]> Document = new(() =>
    {
        using var stream = typeof(OpenApiFunction).Assembly.GetManifestResourceStream("openapi.json")
            ?? throw new InvalidOperationException("The build did not embed docs/openapi.json.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    [Function(nameof(OpenApiDocument))]
    public IActionResult OpenApiDocument(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi.json")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ApiResults.JsonBytes(Document.Value);
    }
}
