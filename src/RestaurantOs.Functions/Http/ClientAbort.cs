using Microsoft.AspNetCore.Http;

namespace RestaurantOs.Functions.Http;

/// <summary>
/// Whether a failed request failed because its client went away (or sent a truncated body): an ordinary event
/// for a server that takes calls from many sockets, logged at debug level, never a 500.
/// </summary>
public static class ClientAbort
{
    public static bool Is(HttpContext context, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(exception);
        if (context.RequestAborted.IsCancellationRequested)
        {
            return exception is OperationCanceledException or IOException or BadHttpRequestException;
        }

        // Kestrel reports a body cut short ("Unexpected end of request content") as a bad request, sometimes before
        // it signals RequestAborted: the client closed its side mid-request.
        return exception is BadHttpRequestException;
    }
}
