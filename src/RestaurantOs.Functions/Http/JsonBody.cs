using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace RestaurantOs.Functions.Http;

/// <summary>Reads a bounded JSON request body; any failure becomes a 400/413/415 problem and nothing else happens.</summary>
internal static class JsonBody
{
    public const int MaxBytes = 256 * 1024;

    public static async Task<(T? Value, IActionResult? Problem)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentType is { } contentType && !contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, ApiResults.Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Send the body as application/json.", "UNSUPPORTED_MEDIA_TYPE"));
        }

        if (request.ContentLength > MaxBytes)
        {
            return (null, TooLarge());
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxBytes)
            {
                return (null, TooLarge());
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            return (null, ApiResults.BadRequest("The request needs a JSON body.", "INVALID_JSON"));
        }

        try
        {
            var value = JsonSerializer.Deserialize(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), typeInfo);
            return value is null
                ? (null, ApiResults.BadRequest("The body must be a JSON object.", "INVALID_JSON"))
                : (value, null);
        }
        catch (JsonException ex)
        {
            var where = ex.Path is { Length: > 1 } path ? $" at {path}" : string.Empty;
            return (null, ApiResults.BadRequest($"The body is not valid for this operation{where}: {FirstSentence(ex.Message)}", "INVALID_JSON"));
        }
    }

    private static IActionResult TooLarge() =>
        ApiResults.Problem(StatusCodes.Status413PayloadTooLarge, "Payload too large", $"The body must be at most {MaxBytes} bytes.", "PAYLOAD_TOO_LARGE");

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? message[..(end + 1)] : message;
    }
}
