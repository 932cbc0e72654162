using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using RestaurantOs.Functions.Http;

namespace RestaurantOs.Functions.Functions;

/// <summary>
/// The problem types of the HTTP API: the <c>type</c> URI of every problem this app answers with leads here. Public
/// documentation, so no token is needed.
/// </summary>
public sealed class ProblemFunctions
{
    /// <summary><c>GET /api/problems</c>: every problem code with its status, title and meaning.</summary>
    [Function(nameof(ProblemTypes))]
    public IActionResult ProblemTypes(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ProblemCatalog.Route)] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ApiResults.Json(ProblemCatalog.All, FunctionsJsonContext.Default.IReadOnlyListProblemKind);
    }

    /// <summary><c>GET /api/problems/{code}</c>: one problem code; an unknown code is a 404 problem.</summary>
    [Function(nameof(ProblemType))]
    public IActionResult ProblemType(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ProblemCatalog.Route + "/{code}")] HttpRequest request,
        string code)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ProblemCatalog.Find(code) is { } kind
            ? ApiResults.Json(kind, FunctionsJsonContext.Default.ProblemKind)
            : ApiResults.Problem(StatusCodes.Status404NotFound, "Not found", "There is no problem type with this code; GET /api/problems lists them all.", "NOT_FOUND");
    }
}
