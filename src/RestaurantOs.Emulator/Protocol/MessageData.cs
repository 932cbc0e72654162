using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using RestaurantOs.WebPubSub.Protocol;

namespace RestaurantOs.Emulator.Protocol;

/// <summary>The data type of a message, as the JSON subprotocol's <c>dataType</c> names it.</summary>
internal enum DataType
{
    Text,
    Json,
    Binary,
}

internal static class DataTypes
{
    public static string Name(DataType type) => type switch
    {
        DataType.Text => WebPubSubConstants.DataTypes.Text,
        DataType.Json => WebPubSubConstants.DataTypes.Json,
        DataType.Binary => WebPubSubConstants.DataTypes.Binary,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown data type."),
    };

    public static string ContentType(DataType type) => type switch
    {
        DataType.Text => WebPubSubConstants.ContentTypes.TextPlain,
        DataType.Json => WebPubSubConstants.ContentTypes.ApplicationJson,
        DataType.Binary => WebPubSubConstants.ContentTypes.OctetStream,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown data type."),
    };

    public static bool TryParseName(string? name, out DataType type)
    {
        switch (name)
        {
            case null or WebPubSubConstants.DataTypes.Json:
                type = DataType.Json;
                return true;
            case WebPubSubConstants.DataTypes.Text:
                type = DataType.Text;
                return true;
            case WebPubSubConstants.DataTypes.Binary:
                type = DataType.Binary;
                return true;
            default:
                type = default;
                return false;
        }
    }

    /// <summary>Outcome of reading a body by its Content-Type.</summary>
    internal enum BodyError
    {
        None,
        UnsupportedMediaType,
        InvalidJson,
        InvalidCharset,
    }

    /// <summary>
    /// Maps a Content-Type to a data type and normalises the body to UTF-8 for text and JSON
    /// (a charset other than UTF-8 is transcoded). A missing Content-Type is binary, as in the service.
    /// </summary>
    public static BodyError TryReadBody(string? contentType, byte[] body, out DataType type, out byte[] data)
    {
        data = body;
        type = DataType.Binary;
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return BodyError.None;
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out var media) || media.MediaType is null)
        {
            return BodyError.UnsupportedMediaType;
        }

        if (media.MediaType.Equals(WebPubSubConstants.ContentTypes.OctetStream, StringComparison.OrdinalIgnoreCase))
        {
            return BodyError.None;
        }

        if (media.MediaType.Equals(WebPubSubConstants.ContentTypes.TextPlain, StringComparison.OrdinalIgnoreCase))
        {
            type = DataType.Text;
        }
        else if (media.MediaType.Equals(WebPubSubConstants.ContentTypes.ApplicationJson, StringComparison.OrdinalIgnoreCase))
        {
            type = DataType.Json;
        }
        else
        {
            return BodyError.UnsupportedMediaType;
        }

        var charset = media.CharSet?.Trim('"');
        if (!string.IsNullOrEmpty(charset) && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                data = Encoding.UTF8.GetBytes(Encoding.GetEncoding(charset).GetString(body));
            }
            catch (ArgumentException)
            {
                return BodyError.InvalidCharset;
            }
        }

        if (type == DataType.Json && !IsValidJson(data))
        {
            return BodyError.InvalidJson;
        }

        return BodyError.None;
    }

    public static bool IsValidJson(ReadOnlySpan<byte> utf8)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8);
            while (reader.Read())
            {
            }

            return reader.BytesConsumed > 0;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
