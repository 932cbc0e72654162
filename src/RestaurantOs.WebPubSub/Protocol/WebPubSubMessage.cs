using System.Net.Http.Headers;
using System.Text;

namespace RestaurantOs.WebPubSub.Protocol;

/// <summary>How a payload is typed on the wire; maps 1:1 to a content type and a subprotocol <c>dataType</c>.</summary>
public enum WebPubSubDataType
{
    /// <summary><c>application/octet-stream</c> / <c>binary</c> (base64 for JSON subprotocol clients).</summary>
    Binary = 0,

    /// <summary><c>text/plain</c> / <c>text</c>.</summary>
    Text = 1,

    /// <summary><c>application/json</c> / <c>json</c> (delivered as a raw JSON token to subprotocol clients).</summary>
    Json = 2,
}

/// <summary>Conversions between <see cref="WebPubSubDataType"/>, content types and <c>dataType</c> names.</summary>
public static class WebPubSubDataTypes
{
    /// <summary>The content type the service expects for <paramref name="dataType"/> (no charset parameter, as the SDKs send).</summary>
    public static string ToContentType(WebPubSubDataType dataType) => dataType switch
    {
        WebPubSubDataType.Text => WebPubSubConstants.ContentTypes.TextPlain,
        WebPubSubDataType.Json => WebPubSubConstants.ContentTypes.ApplicationJson,
        WebPubSubDataType.Binary => WebPubSubConstants.ContentTypes.OctetStream,
        _ => throw new ArgumentOutOfRangeException(nameof(dataType), dataType, "Unknown data type."),
    };

    /// <summary>The subprotocol <c>dataType</c> name: <c>text</c>, <c>json</c> or <c>binary</c>.</summary>
    public static string ToName(WebPubSubDataType dataType) => dataType switch
    {
        WebPubSubDataType.Text => WebPubSubConstants.DataTypes.Text,
        WebPubSubDataType.Json => WebPubSubConstants.DataTypes.Json,
        WebPubSubDataType.Binary => WebPubSubConstants.DataTypes.Binary,
        _ => throw new ArgumentOutOfRangeException(nameof(dataType), dataType, "Unknown data type."),
    };

    /// <summary>
    /// Maps a Content-Type header value (parameters such as charset ignored, case-insensitive) to a data type.
    /// A missing content type means binary, as the service treats it. Returns false for any other media type.
    /// </summary>
    public static bool TryFromContentType(string? contentType, out WebPubSubDataType dataType)
    {
        dataType = WebPubSubDataType.Binary;
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return true;
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed) || parsed.MediaType is null)
        {
            return false;
        }

        if (string.Equals(parsed.MediaType, WebPubSubConstants.ContentTypes.TextPlain, StringComparison.OrdinalIgnoreCase))
        {
            dataType = WebPubSubDataType.Text;
            return true;
        }

        if (string.Equals(parsed.MediaType, WebPubSubConstants.ContentTypes.ApplicationJson, StringComparison.OrdinalIgnoreCase))
        {
            dataType = WebPubSubDataType.Json;
            return true;
        }

        return string.Equals(parsed.MediaType, WebPubSubConstants.ContentTypes.OctetStream, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Maps a <c>dataType</c> name (<c>text</c>, <c>json</c>, <c>binary</c>; ordinal) to a data type.</summary>
    public static bool TryFromName(string? name, out WebPubSubDataType dataType)
    {
        switch (name)
        {
            case WebPubSubConstants.DataTypes.Text:
                dataType = WebPubSubDataType.Text;
                return true;
            case WebPubSubConstants.DataTypes.Json:
                dataType = WebPubSubDataType.Json;
                return true;
            case WebPubSubConstants.DataTypes.Binary:
                dataType = WebPubSubDataType.Binary;
                return true;
            default:
                dataType = WebPubSubDataType.Binary;
                return false;
        }
    }
}

/// <summary>
/// A message body with its data type, as sent with REST <c>:send</c> or returned from a user event.
/// Text is UTF-8; JSON is UTF-8 JSON text (not validated here: the service rejects invalid JSON with 400).
/// </summary>
public readonly record struct WebPubSubMessage(ReadOnlyMemory<byte> Data, WebPubSubDataType DataType)
{
    /// <summary>A <c>text/plain</c> message.</summary>
    public static WebPubSubMessage Text(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new(Encoding.UTF8.GetBytes(text), WebPubSubDataType.Text);
    }

    /// <summary>An <c>application/json</c> message from JSON text.</summary>
    public static WebPubSubMessage Json(string json)
    {
        ArgumentException.ThrowIfNullOrEmpty(json);
        return new(Encoding.UTF8.GetBytes(json), WebPubSubDataType.Json);
    }

    /// <summary>An <c>application/json</c> message from UTF-8 JSON bytes (e.g. from <c>JsonSerializer.SerializeToUtf8Bytes</c>).</summary>
    public static WebPubSubMessage Json(ReadOnlyMemory<byte> utf8Json) => new(utf8Json, WebPubSubDataType.Json);

    /// <summary>An <c>application/octet-stream</c> message.</summary>
    public static WebPubSubMessage Binary(ReadOnlyMemory<byte> data) => new(data, WebPubSubDataType.Binary);

    /// <summary>The content type for <see cref="DataType"/>.</summary>
    public string ContentType => WebPubSubDataTypes.ToContentType(DataType);
}
