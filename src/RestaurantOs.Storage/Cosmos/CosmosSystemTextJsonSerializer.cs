using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Azure.Cosmos;
using RestaurantOs.Realtime.Protocol;

namespace RestaurantOs.Storage.Cosmos;

/// <summary>
/// A <see cref="CosmosSerializer"/> over source-generated System.Text.Json metadata only (no reflection, no
/// Newtonsoft). It knows our contracts and the primitive values used as query parameters; anything else is a
/// programmer error and throws <see cref="NotSupportedException"/>.
/// </summary>
internal sealed class CosmosSystemTextJsonSerializer : CosmosSerializer
{
    private static readonly JsonSerializerOptions Options = new()
    {
        TypeInfoResolver = JsonTypeInfoResolver.Combine(CosmosJsonContext.Default, RealtimeJsonContext.Default),
    };

    public override T FromStream<T>(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (typeof(Stream).IsAssignableFrom(typeof(T)))
        {
            return (T)(object)stream;
        }

        using (stream)
        {
            return (T)JsonSerializer.Deserialize(stream, TypeInfo(typeof(T)))!;
        }
    }

    public override Stream ToStream<T>(T input)
    {
        var stream = new MemoryStream();
        var type = input?.GetType() ?? typeof(T);
        JsonSerializer.Serialize(stream, input, TypeInfo(type));
        stream.Position = 0;
        return stream;
    }

    private static JsonTypeInfo TypeInfo(Type type) =>
        Options.TypeInfoResolver!.GetTypeInfo(type, Options)
        ?? throw new NotSupportedException($"{type} is not in the source-generated JSON contexts used for Cosmos DB.");
}

[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class CosmosJsonContext : JsonSerializerContext;
