using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using RestaurantOs.Realtime.Contracts;

namespace RestaurantOs.Functions.Http;

/// <summary>
/// Reads a bounded JSON request body; any failure becomes a 4xx problem and nothing else happens. This is the one
/// place every HTTP body passes, so the rules hold for every endpoint:
/// <list type="bullet">
/// <item>415 unless the content type is <c>application/json</c> (a missing content type is read as JSON);
/// 413 over <see cref="MaxBytes"/>;</item>
/// <item><c>INVALID_JSON</c> (400) for an empty body, bytes that are not UTF-8, JSON that does not parse, nesting
/// deeper than <see cref="MaxDepth"/>, or a body that is not an object;</item>
/// <item><c>VALIDATION_FAILED</c> (400) with <c>errors</c> naming the field for a value of the wrong JSON type, a
/// number outside its type, an unknown field, or an enum value that is not one of its documented names.</item>
/// </list>
/// Messages speak of JSON, never of .NET types.
/// </summary>
internal static class JsonBody
{
    public const int MaxBytes = 256 * 1024;

    /// <summary>Request bodies need 4 levels (order → items → item → modifiers); anything far deeper is refused early.</summary>
    public const int MaxDepth = 16;

    private static readonly JsonReaderOptions SyntaxOptions = new()
    {
        MaxDepth = MaxDepth,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    public static async Task<(T? Value, IActionResult? Problem)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(typeInfo);
        if (request.ContentType is { } contentType && !IsJson(contentType))
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

        return Parse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), typeInfo);
    }

    /// <summary>Parses a whole body; exactly one of the results is set. Never throws for any input.</summary>
    internal static (T? Value, IActionResult? Problem) Parse<T>(ReadOnlySpan<byte> body, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        if (body.IsEmpty)
        {
            return (null, InvalidJson("The request needs a JSON body."));
        }

        // Strings the binder never reads are not decoded, so invalid UTF-8 there would pass unseen: check all bytes.
        if (!Utf8.IsValid(body))
        {
            return (null, InvalidJson("The body is not valid UTF-8."));
        }

        if (SyntaxError(body) is { } syntax)
        {
            return (null, InvalidJson(syntax));
        }

        if (body.TrimStart(" \t\r\n"u8) is not [(byte)'{', ..])
        {
            return (null, InvalidJson("The body must be a JSON object."));
        }

        try
        {
            var value = JsonSerializer.Deserialize(body, typeInfo);
            return value is null ? (null, InvalidJson("The body must be a JSON object.")) : (value, null);
        }
        catch (JsonException ex)
        {
            var (field, message) = Describe(ex, typeInfo);
            return (null, ApiResults.BadRequest("One or more fields are invalid.", "VALIDATION_FAILED",
                new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [message] }));
        }
        catch (InvalidOperationException)
        {
            // System.Text.Json throws this for a string it cannot transcode (an escaped unpaired surrogate, "\ud800").
            return (null, InvalidJson("The body holds a string that is not valid Unicode text."));
        }
    }

    private static bool IsJson(string contentType)
    {
        var mediaType = contentType.Split(';', 2)[0].Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Null when <paramref name="body"/> is one well-formed JSON value within <see cref="MaxDepth"/>.</summary>
    private static string? SyntaxError(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, SyntaxOptions);
        try
        {
            while (reader.Read())
            {
            }

            return null;
        }
        catch (JsonException ex)
        {
            return $"The body is not valid JSON (line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1}); it must be one JSON object nested at most {MaxDepth} levels.";
        }
    }

    /// <summary>The field (snake_case path, as the services name fields: <c>items[0].quantity</c>) and what it must be.</summary>
    private static (string Field, string Message) Describe(JsonException ex, JsonTypeInfo root)
    {
        var path = ex.Path is { Length: > 1 } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : string.Empty;
        if (ex is WireValueException)
        {
            return (path, ex.Message);
        }

        if (Resolve(root, path) is not { } expected)
        {
            var unknown = UnknownMember(ex.Message) ?? path;
            return (unknown.Length == 0 ? "body" : unknown, "is not a field of this request.");
        }

        return (path, Expected(expected));
    }

    /// <summary>
    /// The type a path such as <c>items[0].quantity</c> leads to through the request's metadata (the element type
    /// after an index); null when it leads to no field.
    /// </summary>
    private static Type? Resolve(JsonTypeInfo root, string path)
    {
        JsonTypeInfo? type = root;
        Type? current = null;
        foreach (var segment in path.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = segment.Split('[', 2)[0];
            var property = type?.Properties.FirstOrDefault(x => string.Equals(x.Name, name, StringComparison.Ordinal));
            if (property is null)
            {
                return null;
            }

            current = property.PropertyType;
            root.Options.TryGetTypeInfo(current, out type);
            if (segment.Contains('[', StringComparison.Ordinal) && type?.ElementType is { } element)
            {
                current = element;
                root.Options.TryGetTypeInfo(element, out type);
            }
        }

        return current;
    }

    private static string Expected(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
        {
            return "must be a string.";
        }

        if (type == typeof(int) || type == typeof(long))
        {
            return "must be a whole number within the documented range.";
        }

        if (type == typeof(double))
        {
            return "must be a number.";
        }

        if (type == typeof(Guid))
        {
            return "must be a UUID string.";
        }

        if (type == typeof(bool))
        {
            return "must be true or false.";
        }

        return type.IsAssignableTo(typeof(System.Collections.IEnumerable)) ? "must be an array." : "must be an object.";
    }

    /// <summary>The name in "The JSON property 'x' could not be mapped …" (unknown members are refused).</summary>
    private static string? UnknownMember(string message)
    {
        const string Marker = "property '";
        var start = message.IndexOf(Marker, StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        start += Marker.Length;
        var end = message.IndexOf('\'', start);
        return end > start ? message[start..end] : null;
    }

    private static IActionResult InvalidJson(string detail) => ApiResults.BadRequest(detail, "INVALID_JSON");

    private static IActionResult TooLarge() =>
        ApiResults.Problem(StatusCodes.Status413PayloadTooLarge, "Payload too large", $"The body must be at most {MaxBytes} bytes.", "PAYLOAD_TOO_LARGE");
}
