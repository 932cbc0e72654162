using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Logging;
using RestaurantOs.Functions.Http;

namespace RestaurantOs.Functions.Hosting;

/// <summary>
/// Turns an unhandled exception in an HTTP function into a 500 problem-details response (no stack trace leaves the
/// app) instead of a try/catch in every function. Non-HTTP functions rethrow, so the host records the failure. A client
/// that goes away mid-request is logged at debug level and gets no 500 (see <see cref="ClientAbort"/>).
/// </summary>
internal sealed partial class ExceptionHandlingMiddleware(ILogger<ExceptionHandlingMiddleware> logger) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (Exception ex) when (context.GetHttpContext() is { } http && ClientAbort.Is(http, ex))
        {
            // The caller went away (or cut its body short): nothing to answer, nothing wrong with the app.
            Log.ClientAborted(logger, context.FunctionDefinition.Name, context.InvocationId, ex.GetType().Name);
            if (!http.Response.HasStarted && !http.RequestAborted.IsCancellationRequested)
            {
                await ApiResults.BadRequest("The request ended before its body was complete.", "INCOMPLETE_REQUEST")
                    .ExecuteResultAsync(new Microsoft.AspNetCore.Mvc.ActionContext(http, new Microsoft.AspNetCore.Routing.RouteData(), new Microsoft.AspNetCore.Mvc.Abstractions.ActionDescriptor()));
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException && context.GetHttpContext() is { Response.HasStarted: false } http)
        {
            Log.Unhandled(logger, context.FunctionDefinition.Name, context.InvocationId, ex);
            var result = ApiResults.Problem(StatusCodes.Status500InternalServerError, "Server error",
                $"The server failed to handle the request (invocation {context.InvocationId}). It is safe to retry.", "INTERNAL_ERROR");
            await result.ExecuteResultAsync(new Microsoft.AspNetCore.Mvc.ActionContext(http, new Microsoft.AspNetCore.Routing.RouteData(), new Microsoft.AspNetCore.Mvc.Abstractions.ActionDescriptor()));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "Function {FunctionName} failed (invocation {InvocationId}).")]
        public static partial void Unhandled(ILogger logger, string functionName, string invocationId, Exception exception);

        [LoggerMessage(2, LogLevel.Debug, "Function {FunctionName} (invocation {InvocationId}): the client went away ({ExceptionType}).")]
        public static partial void ClientAborted(ILogger logger, string functionName, string invocationId, string exceptionType);
    }
}
