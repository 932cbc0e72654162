using System.Text.Json;
using System.Text.RegularExpressions;
using RestaurantOs.Realtime.Contracts;

namespace RestaurantOs.Realtime.Protocol;

/// <summary>The outcome of parsing one client frame: exactly one of <see cref="Message"/> and <see cref="Error"/> is set.</summary>
public readonly record struct ParseResult(ClientMessage? Message, ProtocolError? Error)
{
    public bool Succeeded => Message is not null;

    public static ParseResult Ok(ClientMessage message) => new(message, null);

    public static ParseResult Fail(string code, string message) => new(null, new ProtocolError(code, message));
}

/// <summary>
/// Validates client frames (<c>auth</c>, <c>subscribe</c>, <c>unsubscribe</c>, <c>ping</c>, <c>resume</c>) into
/// <see cref="ClientMessage"/> values. Guarantees: never throws, whatever the bytes; a rejected frame yields one
/// code of <see cref="ErrorCodes"/>; fields the protocol does not define are ignored; a known field given twice
/// is rejected (so no duplicate can smuggle a second value past a check).
/// </summary>
public static partial class ClientMessageParser
{
    /// <summary>Most event names one <c>subscribe</c>/<c>unsubscribe</c> may carry.</summary>
    public const int MaxEventsPerMessage = 32;

    /// <summary>Longest accepted <c>token</c> (characters); real JWTs are far smaller.</summary>
    public const int MaxTokenLength = 16 * 1024;

    /// <summary>Longest accepted <c>type</c> or event name (characters).</summary>
    public const int MaxNameLength = 64;

    /// <summary>JSON nesting the parser accepts; client messages need 3.</summary>
    public const int MaxDepth = 16;

    private const string FieldType = "type";
    private const string FieldRestaurantId = "restaurant_id";
    private const string FieldToken = "token";
    private const string FieldEvents = "events";
    private const string FieldFilters = "filters";
    private const string FieldSince = "since";
    private const string FieldAppliedSeq = "applied_seq";
    private const string FieldStation = "station";
    private const string FieldDevice = "device";

    /// <summary>The only filter key.</summary>
    public const string TableNumberFilter = "table_number";

    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        MaxDepth = MaxDepth,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    /// <summary>True when <paramref name="value"/> is a valid table number: 1–32 of <c>[A-Za-z0-9_-]</c>, starting with a letter or digit.</summary>
    public static bool IsValidTableNumber(string? value) => value is not null && TableNumberRegex().IsMatch(value);

    // \z, not $: $ also matches before a trailing newline.
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}\z", RegexOptions.CultureInvariant)]
    private static partial Regex TableNumberRegex();

    /// <summary>Parses one UTF-8 text frame. Never throws.</summary>
    public static ParseResult Parse(ReadOnlySpan<byte> utf8Frame)
    {
        if (utf8Frame.Length > ProtocolLimits.MaxMessageBytes)
        {
            return ParseResult.Fail(ErrorCodes.MessageTooBig, $"Message exceeds {ProtocolLimits.MaxMessageBytes} bytes.");
        }

        if (utf8Frame.IsEmpty)
        {
            return ParseResult.Fail(ErrorCodes.InvalidMessage, "Empty message.");
        }

        // The JSON reader decodes only the strings it is asked for, so bad bytes in an ignored field would pass.
        if (!System.Text.Unicode.Utf8.IsValid(utf8Frame))
        {
            return Invalid("Message is not valid UTF-8.");
        }

        try
        {
            var reader = new Utf8JsonReader(utf8Frame, ReaderOptions);
            using var document = JsonDocument.ParseValue(ref reader);
            // A second top-level value ("{} {}") makes Read throw; whitespace after the object is fine.
            if (reader.Read())
            {
                return Invalid("Trailing content after the JSON object.");
            }

            return ParseObject(document.RootElement);
        }
        catch (JsonException)
        {
            return Invalid("Message is not valid JSON.");
        }
        catch (InvalidOperationException)
        {
            // Thrown when string content cannot be transcoded (invalid UTF-8 inside a string).
            return Invalid("Message is not valid UTF-8 JSON.");
        }
        catch (ArgumentException)
        {
            return Invalid("Message is not valid UTF-8 JSON.");
        }
    }

    private static ParseResult Invalid(string message) => ParseResult.Fail(ErrorCodes.InvalidMessage, message);

    private static ParseResult ParseObject(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return Invalid("Message must be a JSON object.");
        }

        JsonElement? type = null, restaurantId = null, token = null, events = null, filters = null, since = null, appliedSeq = null, station = null, device = null;
        foreach (var property in root.EnumerateObject())
        {
            ref JsonElement? slot = ref type;
            switch (property.Name)
            {
                case FieldType: slot = ref type; break;
                case FieldRestaurantId: slot = ref restaurantId; break;
                case FieldToken: slot = ref token; break;
                case FieldEvents: slot = ref events; break;
                case FieldFilters: slot = ref filters; break;
                case FieldSince: slot = ref since; break;
                case FieldAppliedSeq: slot = ref appliedSeq; break;
                case FieldStation: slot = ref station; break;
                case FieldDevice: slot = ref device; break;
                default: continue; // Unknown fields are ignored (documented in docs/events.md).
            }

            if (slot is not null)
            {
                return Invalid($"Field '{property.Name}' appears more than once.");
            }

            slot = property.Value;
        }

        if (type is not { ValueKind: JsonValueKind.String } typeElement)
        {
            return Invalid(type is null ? "Field 'type' is required." : "Field 'type' must be a string.");
        }

        var typeName = typeElement.GetString();
        if (string.IsNullOrEmpty(typeName) || typeName.Length > MaxNameLength)
        {
            return Invalid("Field 'type' must be a non-empty string.");
        }

        Guid? tenant = null;
        if (restaurantId is { } rid)
        {
            if (rid.ValueKind != JsonValueKind.String || !Guid.TryParseExact(rid.GetString(), "D", out var parsed))
            {
                return Invalid("Field 'restaurant_id' must be a UUID string.");
            }

            tenant = parsed;
        }

        var result = typeName switch
        {
            "auth" => ParseAuth(token, station, device),
            "subscribe" => ParseSubscribe(events, filters),
            "unsubscribe" => ParseUnsubscribe(events),
            "ping" => ParsePing(appliedSeq),
            "resume" => ParseResume(since),
            _ => ParseResult.Fail(ErrorCodes.UnknownType, "Unknown message type."),
        };

        return result.Message is { } message && tenant is not null
            ? ParseResult.Ok(message with { RestaurantId = tenant })
            : result;
    }

    private static ParseResult ParseAuth(JsonElement? token, JsonElement? station, JsonElement? device)
    {
        if (token is not { ValueKind: JsonValueKind.String } element)
        {
            return Invalid("Field 'token' must be a string.");
        }

        var value = element.GetString();
        if (string.IsNullOrWhiteSpace(value) || value.Length > MaxTokenLength)
        {
            return Invalid($"Field 'token' must be a non-empty string of at most {MaxTokenLength} characters.");
        }

        if (!TryName(station, FieldStation, out var stationName, out var stationError))
        {
            return stationError!.Value;
        }

        if (!TryName(device, FieldDevice, out var deviceName, out var deviceError))
        {
            return deviceError!.Value;
        }

        return ParseResult.Ok(new AuthMessage(value, stationName, deviceName));
    }

    /// <summary>An optional station or device name: absent, or a valid name (<see cref="Presence.StationNames"/>).</summary>
    private static bool TryName(JsonElement? element, string field, out string? name, out ParseResult? error)
    {
        name = null;
        error = null;
        if (element is null)
        {
            return true;
        }

        if (element is not { ValueKind: JsonValueKind.String } text || !Presence.StationNames.IsValid(name = text.GetString()))
        {
            name = null;
            error = Invalid($"Field '{field}' must be 1-{Presence.StationNames.MaxLength} of letters, digits, '.', '_' or '-', starting with a letter or digit.");
            return false;
        }

        return true;
    }

    private static ParseResult ParseSubscribe(JsonElement? events, JsonElement? filters)
    {
        var (names, error) = ParseEvents(events);
        if (error is not null)
        {
            return error.Value;
        }

        var parsedFilters = new Dictionary<string, string>(StringComparer.Ordinal);
        if (filters is { } f && f.ValueKind != JsonValueKind.Null)
        {
            if (f.ValueKind != JsonValueKind.Object)
            {
                return ParseResult.Fail(ErrorCodes.InvalidFilter, "Field 'filters' must be an object.");
            }

            foreach (var property in f.EnumerateObject())
            {
                if (!string.Equals(property.Name, TableNumberFilter, StringComparison.Ordinal))
                {
                    return ParseResult.Fail(ErrorCodes.InvalidFilter, "The only filter is 'table_number'.");
                }

                if (parsedFilters.ContainsKey(TableNumberFilter))
                {
                    return ParseResult.Fail(ErrorCodes.InvalidFilter, "Filter 'table_number' appears more than once.");
                }

                var value = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : null;
                if (!IsValidTableNumber(value))
                {
                    return ParseResult.Fail(
                        ErrorCodes.InvalidFilter,
                        "Filter 'table_number' must be 1-32 letters, digits, '_' or '-', starting with a letter or digit.");
                }

                parsedFilters[TableNumberFilter] = value!;
            }
        }

        return ParseResult.Ok(new SubscribeMessage(names!, parsedFilters));
    }

    private static ParseResult ParseUnsubscribe(JsonElement? events)
    {
        var (names, error) = ParseEvents(events);
        return error ?? ParseResult.Ok(new UnsubscribeMessage(names!));
    }

    private static (IReadOnlyList<string>? Names, ParseResult? Error) ParseEvents(JsonElement? events)
    {
        if (events is not { ValueKind: JsonValueKind.Array } array)
        {
            return (null, Invalid("Field 'events' must be an array of event names."));
        }

        var count = array.GetArrayLength();
        if (count == 0 || count > MaxEventsPerMessage)
        {
            return (null, Invalid($"Field 'events' must name 1 to {MaxEventsPerMessage} events."));
        }

        var names = new List<string>(count);
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                return (null, Invalid("Field 'events' must contain only strings."));
            }

            var name = item.GetString();
            if (name is null || name.Length > MaxNameLength || !EventTypes.IsBroadcast(name))
            {
                return (null, ParseResult.Fail(ErrorCodes.UnknownEvent, "Unknown event type in 'events'."));
            }

            if (!names.Contains(name, StringComparer.Ordinal))
            {
                names.Add(name);
            }
        }

        return (names, null);
    }

    private static ParseResult ParsePing(JsonElement? appliedSeq)
    {
        if (appliedSeq is null)
        {
            return ParseResult.Ok(new PingMessage());
        }

        if (appliedSeq is not { ValueKind: JsonValueKind.Number } element || !element.TryGetInt64(out var value) || value < 0)
        {
            return Invalid("Field 'applied_seq' must be an integer >= 0.");
        }

        return ParseResult.Ok(new PingMessage(value));
    }

    private static ParseResult ParseResume(JsonElement? since)
    {
        if (since is not { ValueKind: JsonValueKind.Number } element || !element.TryGetInt64(out var value) || value < 0)
        {
            return Invalid("Field 'since' must be an integer >= 0.");
        }

        return ParseResult.Ok(new ResumeMessage(value));
    }
}
