using System.Globalization;
using Microsoft.Extensions.Options;
using RestaurantOs.Realtime.Auth;

namespace RestaurantOs.DevHost.Dev;

/// <summary>
/// Development-only endpoints, all mapped here and only by DevHost: <c>/dev/token</c> mints a token the system accepts
/// for any restaurant and role, <c>/dev/restaurants</c> lists the demo restaurants, <c>/dev/metrics</c>,
/// <c>/dev/traces</c> and <c>/metrics/prometheus</c> expose internals. None needs authentication, by design: DevHost is a local tool. The
/// Functions app maps none of them (it cannot mint tokens; a test checks its route table), so they never reach Azure.
/// Keep DevHost on a loopback address: anyone who can reach these endpoints can act as any user.
/// </summary>
internal static class DevEndpoints
{
    public static IEndpointRouteBuilder MapDevEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var dev = endpoints.MapGroup("/dev");
        dev.MapGet("/token", IssueToken);
        dev.MapGet("/restaurants", () => Results.Json(DemoRestaurants.All, DevJsonContext.Default.IReadOnlyListDevRestaurant));
        dev.MapGet("/metrics", (DevMetricsCollector metrics) => Results.Json(metrics.Snapshot(), DevJsonContext.Default.DevMetricsSnapshot));
        // Recent traces (newest first; ?trace_id= for one, ?limit= up to 200): what Application Insights shows in Azure.
        dev.MapGet("/traces", (DevTraceRecorder traces, string? trace_id, int? limit) =>
            Results.Json(traces.Recent(trace_id, Math.Clamp(limit ?? 50, 1, 200)), DevJsonContext.Default.DevTraces));
        endpoints.MapPrometheusScrapingEndpoint("/metrics/prometheus");
        return endpoints;
    }

    private static IResult IssueToken(HttpRequest request, IOptions<AppJwtOptions> options, TimeProvider time)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!Guid.TryParse(request.Query["restaurant_id"], out var restaurantId))
        {
            errors["restaurant_id"] = ["is required and must be a UUID."];
        }

        var roleText = request.Query["role"].ToString();
        if (!Enum.TryParse<Role>(roleText, ignoreCase: true, out var role) || !Enum.IsDefined(role) || int.TryParse(roleText, out _))
        {
            errors["role"] = ["must be one of: " + string.Join(", ", Enum.GetNames<Role>().Select(n => n.ToLowerInvariant())) + "."];
        }

        var orderIds = new List<Guid>();
        foreach (var part in request.Query["order_ids"].ToString().Split([',', ' '], StringSplitOptions.RemoveEmptyEntries))
        {
            if (Guid.TryParse(part, out var id))
            {
                orderIds.Add(id);
            }
            else
            {
                errors["order_ids"] = ["must be UUIDs separated by commas."];
            }
        }

        if (role == Role.Customer && orderIds.Count == 0 && !errors.ContainsKey("role"))
        {
            errors["order_ids"] = ["a customer token needs at least one order id."];
        }

        var subject = request.Query["sub"].ToString();
        if (subject.Length > 128)
        {
            errors["sub"] = ["must be at most 128 characters."];
        }

        var station = NameOrNull(request, "station", errors);
        var device = NameOrNull(request, "device", errors);
        if (errors.Count > 0)
        {
            return Results.ValidationProblem(
                errors,
                "The token request is invalid.",
                type: RestaurantOs.Functions.Http.ProblemCatalog.TypeUri(request, "VALIDATION_FAILED"),
                extensions: new Dictionary<string, object?> { ["code"] = "VALIDATION_FAILED" });
        }

        var lifetimeMinutes = int.TryParse(request.Query["minutes"], NumberStyles.None, CultureInfo.InvariantCulture, out var m) && m is > 0 and <= 24 * 60 ? m : 8 * 60;
        var jwt = options.Value;
        var now = time.GetUtcNow();
        var token = AppTokenIssuer.CreateHs256(
            jwt.SigningKey ?? throw new InvalidOperationException("DevHost needs Auth:SigningKey to mint development tokens."),
            jwt.Issuer!,
            jwt.Audience!,
            subject.Length > 0 ? subject : $"dev-{role.ToString().ToLowerInvariant()}",
            restaurantId,
            role,
            orderIds,
            now.AddSeconds(-5),
            now.AddMinutes(lifetimeMinutes),
            station,
            device);
        return Results.Json(new DevToken(token), DevJsonContext.Default.DevToken);
    }

    /// <summary>An optional station or device name from the query, validated as the token validator will.</summary>
    private static string? NameOrNull(HttpRequest request, string key, Dictionary<string, string[]> errors)
    {
        if (!request.Query.TryGetValue(key, out var values) || values.Count == 0 || values[0] is not { Length: > 0 } value)
        {
            return null;
        }

        if (!RestaurantOs.Realtime.Presence.StationNames.IsValid(value))
        {
            errors[key] = [$"must be 1-{RestaurantOs.Realtime.Presence.StationNames.MaxLength} of letters, digits, '.', '_' or '-', starting with a letter or digit."];
            return null;
        }

        return value;
    }
}
