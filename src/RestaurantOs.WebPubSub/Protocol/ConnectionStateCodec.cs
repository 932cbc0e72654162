using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace RestaurantOs.WebPubSub.Protocol;

/// <summary>
/// Encodes, decodes and merges the <c>ce-connectionState</c> header: by the convention of every SDK, the base64 of the
/// UTF-8 JSON of an object whose keys map to arbitrary JSON values (e.g. <c>{"calledTime":1}</c> ⇄
/// <c>eyJjYWxsZWRUaW1lIjoxfQ==</c>).
/// </summary>
/// <remarks>
/// The service treats the value as an opaque string stored per connection and echoes it on every later event. An empty
/// state is encoded as <c>e30=</c> (<c>{}</c>) rather than an empty header so proxies cannot drop it. Values returned by
/// <see cref="Decode"/> are detached (<see cref="JsonElement.Clone"/>) and safe to keep. Thread-safe.
/// </remarks>
public static class ConnectionStateCodec
{
    /// <summary>
    /// Largest encoded state accepted or produced. The service documents no limit; the value travels as an HTTP header in
    /// both directions, so it is kept well below common header limits (Kestrel: 32 KiB for all headers).
    /// </summary>
    public const int MaxEncodedLength = 16 * 1024;

    /// <summary>The encoding of the empty state.</summary>
    public const string Empty = "e30=";

    /// <summary>Encodes a state object. Keys are written in the dictionary's enumeration order.</summary>
    /// <exception cref="ArgumentException">A value is <see cref="JsonValueKind.Undefined"/> or the result exceeds <see cref="MaxEncodedLength"/>.</exception>
    public static string Encode(IEnumerable<KeyValuePair<string, JsonElement>> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (key, value) in state)
            {
                ArgumentNullException.ThrowIfNull(key, nameof(state));
                if (value.ValueKind == JsonValueKind.Undefined)
                {
                    throw new ArgumentException($"Connection state key '{key}' has an undefined JSON value.", nameof(state));
                }

                writer.WritePropertyName(key);
                value.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        var encoded = Convert.ToBase64String(buffer.WrittenSpan);
        if (encoded.Length > MaxEncodedLength)
        {
            throw new ArgumentException($"The encoded connection state is {encoded.Length} characters; the limit is {MaxEncodedLength}. Keep connection state small.", nameof(state));
        }

        return encoded;
    }

    /// <summary>
    /// Decodes a header value. <see langword="null"/>, empty or whitespace means the empty state.
    /// </summary>
    /// <exception cref="FormatException">The value is not base64 of a JSON object, or exceeds <see cref="MaxEncodedLength"/>.</exception>
    public static IReadOnlyDictionary<string, JsonElement> Decode(string? value)
    {
        if (!TryDecode(value, out var state, out var error))
        {
            throw new FormatException(error);
        }

        return state;
    }

    /// <summary>Tries to decode a header value; never throws.</summary>
    public static bool TryDecode(
        string? value,
        [NotNullWhen(true)] out IReadOnlyDictionary<string, JsonElement>? state,
        [NotNullWhen(false)] out string? error)
    {
        state = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            state = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            error = null;
            return true;
        }

        if (value.Length > MaxEncodedLength)
        {
            error = $"The connection state is {value.Length} characters; the limit is {MaxEncodedLength}.";
            return false;
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(value.Trim());
        }
        catch (FormatException)
        {
            error = "The connection state is not valid base64.";
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(bytes);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                error = "The connection state is not a JSON object.";
                return false;
            }

            var result = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                // Last duplicate wins, as in System.Text.Json deserialization.
                result[property.Name] = property.Value.Clone();
            }

            state = result;
            error = null;
            return true;
        }
        catch (JsonException)
        {
            error = "The connection state is not valid JSON.";
            return false;
        }
    }

    /// <summary>
    /// Merges <paramref name="updates"/> into <paramref name="current"/> (neither is modified): a key with a value sets
    /// or replaces it; a key whose value is <see langword="null"/> or a JSON <c>null</c> removes it.
    /// </summary>
    public static IReadOnlyDictionary<string, JsonElement> Merge(
        IEnumerable<KeyValuePair<string, JsonElement>> current,
        IEnumerable<KeyValuePair<string, JsonElement?>> updates)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(updates);
        var result = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var (key, value) in current)
        {
            result[key] = value;
        }

        foreach (var (key, value) in updates)
        {
            ArgumentNullException.ThrowIfNull(key, nameof(updates));
            if (value is not { } element || element.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
            {
                result.Remove(key);
            }
            else
            {
                result[key] = element;
            }
        }

        return result;
    }

    /// <summary>Decodes <paramref name="currentHeader"/>, applies <paramref name="updates"/> (see <see cref="Merge"/>) and re-encodes.</summary>
    /// <exception cref="FormatException"><paramref name="currentHeader"/> is not a valid state.</exception>
    public static string MergeEncoded(string? currentHeader, IEnumerable<KeyValuePair<string, JsonElement?>> updates) =>
        Encode(Merge(Decode(currentHeader), updates));
}
