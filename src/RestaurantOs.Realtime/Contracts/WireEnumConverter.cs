using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RestaurantOs.Realtime.Contracts;

/// <summary>
/// The one JSON converter of the contract enums. Writing emits the <see cref="JsonStringEnumMemberNameAttribute"/>
/// name, exactly as <see cref="JsonStringEnumConverter{TEnum}"/> did, so the event wire format is unchanged.
/// Reading is strict where the built-in converter is lenient: only those exact names are accepted (case-sensitive).
/// Numbers (<c>7</c>, <c>-1</c>), numeric strings (<c>"4"</c>), other spellings (<c>"Ready"</c>, <c>"dine_in"</c>)
/// and comma lists are refused with a <see cref="WireValueException"/> that lists the allowed names, so no
/// undefined value can ever reach a store or an event.
/// </summary>
public sealed class WireEnumConverter<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields)] TEnum> : JsonConverter<TEnum>
    where TEnum : struct, Enum
{
    public override TEnum Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && WireNames.TryParse<TEnum>(reader.GetString(), out var value)
            ? value
            : throw new WireValueException(WireNames.AllowedMessage<TEnum>());

    public override void Write(Utf8JsonWriter writer, TEnum value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(WireNames.Name(value));
    }

    public override TEnum ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        WireNames.TryParse<TEnum>(reader.GetString(), out var value) ? value : throw new WireValueException(WireNames.AllowedMessage<TEnum>());

    public override void WriteAsPropertyName(Utf8JsonWriter writer, TEnum value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WritePropertyName(WireNames.Name(value));
    }
}

/// <summary>The wire names of the contract enums (their <see cref="JsonStringEnumMemberNameAttribute"/>), read once per type.</summary>
public static class WireNames
{
    /// <summary>The wire name; an undefined value is a programming error and throws.</summary>
    public static string Name<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields)] TEnum>(TEnum value)
        where TEnum : struct, Enum =>
        Cache<TEnum>.Names.TryGetValue(value, out var name)
            ? name
            : throw new ArgumentOutOfRangeException(nameof(value), value, $"{typeof(TEnum).Name} has no such value.");

    /// <summary>Exact, case-sensitive match of a wire name.</summary>
    public static bool TryParse<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields)] TEnum>(string? name, out TEnum value)
        where TEnum : struct, Enum =>
        Cache<TEnum>.Values.TryGetValue(name ?? string.Empty, out value);

    /// <summary>The accepted names in declaration order.</summary>
    public static IReadOnlyList<string> AllowedNames<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields)] TEnum>()
        where TEnum : struct, Enum => Cache<TEnum>.Allowed;

    /// <summary>"must be one of: a, b, c." — the message of every refused value.</summary>
    public static string AllowedMessage<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields)] TEnum>()
        where TEnum : struct, Enum => Cache<TEnum>.Message;

    private static class Cache<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields)] TEnum>
        where TEnum : struct, Enum
    {
        public static readonly FrozenDictionary<TEnum, string> Names = Build();
        public static readonly FrozenDictionary<string, TEnum> Values = Names.ToFrozenDictionary(kv => kv.Value, kv => kv.Key, StringComparer.Ordinal);
        public static readonly string[] Allowed = [.. Enum.GetValues<TEnum>().Select(v => Names[v])];
        public static readonly string Message = $"must be one of: {string.Join(", ", Allowed)}.";

        private static FrozenDictionary<TEnum, string> Build()
        {
            var names = new Dictionary<TEnum, string>();
            foreach (var field in typeof(TEnum).GetFields(BindingFlags.Public | BindingFlags.Static))
            {
                var name = field.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name
                    ?? throw new InvalidOperationException($"{typeof(TEnum).Name}.{field.Name} needs a [JsonStringEnumMemberName] wire name.");
                names.Add((TEnum)field.GetValue(null)!, name);
            }

            return names.ToFrozenDictionary();
        }
    }
}

/// <summary>
/// A JSON value of the right shape but not allowed for its field (an enum name not in the list). Its message is
/// written for the client ("must be one of: …"); the serializer adds the path of the field.
/// </summary>
public sealed class WireValueException : JsonException
{
    public WireValueException()
    {
    }

    public WireValueException(string message)
        : base(message)
    {
    }

    public WireValueException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
