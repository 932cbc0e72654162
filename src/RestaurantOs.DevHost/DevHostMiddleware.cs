using RestaurantOs.Functions.Http;

namespace RestaurantOs.DevHost;

/// <summary>DevHost's own request rules around the emulator and the functions.</summary>
internal static partial class DevHostMiddleware
{
    /// <summary>
    /// Once the host has begun to stop, a WebSocket upgrade gets 503 (with <c>Retry-After</c>) instead of a connection
    /// that would be closed a moment later. The emulator signals the stop before it closes the open connections with
    /// 1001 and waits for their <c>disconnected</c> events, so a screen reconnecting during that drain is refused.
    /// </summary>
    public static IApplicationBuilder UseRefuseUpgradesWhileStopping(this IApplicationBuilder app)
    {
        var stopping = app.ApplicationServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        return app.Use((context, next) =>
        {
            if (stopping.IsCancellationRequested && context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                context.Response.Headers.RetryAfter = "1";
                return Task.CompletedTask;
            }

            return next(context);
        });
    }

    /// <summary>
    /// A request that nothing answered (no function route, page, emulator or dev endpoint) gets a 404 problem with
    /// code <c>NOT_FOUND</c>, like every other error of the API, instead of an empty 404. Answers that chose 404
    /// themselves (an unknown order) pass through unchanged: only requests that matched no endpoint are rewritten.
    /// </summary>
    public static IApplicationBuilder UseProblemForUnknownRoutes(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            await next(context).ConfigureAwait(false);
            if (context.Response.StatusCode == StatusCodes.Status404NotFound && !context.Response.HasStarted && context.GetEndpoint() is null
                && !context.WebSockets.IsWebSocketRequest)
            {
                var problem = ApiResults.Problem(StatusCodes.Status404NotFound, "Not found",
                    $"Nothing is served at {context.Request.Method} {context.Request.Path}. The API is under /api (GET /api/problems lists its errors); the pages are at /.",
                    "NOT_FOUND");
                await problem.ExecuteResultAsync(new Microsoft.AspNetCore.Mvc.ActionContext(context, new RouteData(), new Microsoft.AspNetCore.Mvc.Abstractions.ActionDescriptor())).ConfigureAwait(false);
            }
        });

    /// <summary>
    /// A request whose client went away (the emulator dropping an upstream call when its socket closed, a browser
    /// leaving) is logged at debug level, not as an unhandled error by the exception handler after it.
    /// </summary>
    public static IApplicationBuilder UseClientAbortsAsDebug(this IApplicationBuilder app)
    {
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DevHostMiddleware).FullName!);
        return app.Use(async (context, next) =>
        {
            try
            {
                await next(context).ConfigureAwait(false);
            }
            catch (Exception ex) when (ClientAbort.Is(context, ex))
            {
                Log.ClientAborted(logger, context.Request.Method, context.Request.Path, ex.GetType().Name);
                if (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
                {
                    context.Response.StatusCode = StatusCodes.Status400BadRequest;
                }
            }
        });
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "{Method} {Path}: the client went away ({ExceptionType}).")]
        public static partial void ClientAborted(ILogger logger, string method, string path, string exceptionType);
    }
}
