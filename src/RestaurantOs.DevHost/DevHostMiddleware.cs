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
