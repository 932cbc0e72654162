using System.Text.Json;
using Microsoft.AspNetCore.Http;
using RestaurantOs.Emulator.Protocol;
using RestaurantOs.WebPubSub.Protocol;

namespace RestaurantOs.Emulator.Rest;

/// <summary>Writes the service's <c>ErrorDetail</c> JSON with the <c>x-ms-error-code</c> header.</summary>
internal static class RestErrors
{
    public static async Task WriteAsync(HttpContext context, int statusCode, string code, string message, string? target)
    {
        context.Response.StatusCode = statusCode;
        context.Response.Headers[WebPubSubConstants.Headers.ErrorCode] = code;
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }

        context.Response.ContentType = "application/json; charset=utf-8";
        var body = JsonSerializer.SerializeToUtf8Bytes(new ErrorDetail(code, message, target), EmulatorJsonContext.Default.ErrorDetail);
        await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }
}
