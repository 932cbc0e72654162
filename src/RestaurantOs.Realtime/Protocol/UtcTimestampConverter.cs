using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RestaurantOs.Realtime.Protocol;

/// <summary>
/// Writes every <see cref="DateTimeOffset"/> as UTC ISO 8601 with a <c>Z</c> suffix and only the fraction digits
/// needed (<c>2025-11-06T10:00:00Z</c>), as the seed's examples do; reads any ISO 8601 offset. The instant is
/// preserved either way.
/// </summary>
public sealed class UtcTimestampConverter : JsonConverter<DateTimeOffset>
{
    private const string Format = "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'";

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.GetDateTimeOffset().ToUniversalTime();

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture));
    }
}
