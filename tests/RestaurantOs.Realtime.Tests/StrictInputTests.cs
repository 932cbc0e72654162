using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Protocol;
using RestaurantOs.Realtime.Services;

namespace RestaurantOs.Realtime.Tests;

/// <summary>
/// Strict input at the edges: enum names exactly as documented (and the outgoing wire format unchanged), client
/// frames that must be UTF-8 everywhere, and the text policy of HTTP fields.
/// </summary>
public sealed class StrictInputTests
{
    // The documented names, written out here rather than read from the code.
    public static TheoryData<string, string[]> DocumentedNames => new()
    {
        { nameof(OrderStatus), ["new", "pending", "confirmed", "preparing", "ready", "served", "picked-up", "completed", "cancelled"] },
        { nameof(OrderType), ["dine-in", "takeout", "delivery", "online", "drive-thru", "kiosk", "voice"] },
        { nameof(PaymentMethod), ["cash", "card", "house_account", "gift_card", "other"] },
        { nameof(PaymentStatus), ["pending", "paid", "refunded", "failed"] },
        { nameof(TableStatus), ["available", "occupied", "reserved", "unavailable", "cleaning", "paid"] },
        { nameof(NotificationKind), ["kitchen", "customer", "refund"] },
    };

    [Theory]
    [MemberData(nameof(DocumentedNames))]
    public void Every_documented_name_reads_and_writes_back_unchanged(string enumName, string[] names)
    {
        var written = new List<string>();
        foreach (var name in names)
        {
            written.Add(RoundTrip(enumName, $"\"{name}\""));
        }

        Assert.Equal(names, written);
    }

    [Theory]
    [MemberData(nameof(DocumentedNames))]
    public void Outgoing_names_are_what_the_built_in_string_converter_wrote(string enumName, string[] names)
    {
        Assert.NotEmpty(names);
        foreach (var (ours, builtIn) in Both(enumName))
        {
            Assert.Equal(builtIn, ours);
        }
    }

    [Theory]
    [InlineData("7")]
    [InlineData("-1")]
    [InlineData("99")]
    [InlineData("1.0")]
    [InlineData("\"4\"")]
    [InlineData("\"0\"")]
    [InlineData("\"Pending\"")]
    [InlineData("\"PENDING\"")]
    [InlineData("\" pending\"")]
    [InlineData("\"pending,ready\"")]
    [InlineData("\"Dine-In\"")]
    [InlineData("\"dine_in\"")]
    [InlineData("\"DineIn\"")]
    [InlineData("\"\"")]
    [InlineData("true")]
    [InlineData("{}")]
    [InlineData("[]")]
    public void Anything_but_a_documented_name_is_refused_with_the_allowed_names(string json)
    {
        foreach (var enumName in new[] { nameof(OrderStatus), nameof(OrderType), nameof(PaymentMethod), nameof(PaymentStatus), nameof(TableStatus), nameof(NotificationKind) })
        {
            var ex = Assert.Throws<WireValueException>(() => RoundTrip(enumName, json));
            Assert.StartsWith("must be one of: ", ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("RestaurantOs", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_undefined_value_is_never_written()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => JsonSerializer.Serialize((OrderStatus)99, RealtimeJsonContext.Default.OrderStatus));
    }

    [Fact]
    public void Event_documents_keep_their_wire_names()
    {
        var order = new Order
        {
            Id = Guid.Empty,
            RestaurantId = Guid.Empty,
            OrderNumber = "1",
            Type = OrderType.DriveThru,
            Status = OrderStatus.PickedUp,
            PreviousStatus = OrderStatus.Ready,
            PaymentStatus = PaymentStatus.Refunded,
            CreatedAt = DateTimeOffset.UnixEpoch,
            UpdatedAt = DateTimeOffset.UnixEpoch,
            Version = 1,
        };
        var json = JsonSerializer.Serialize(order, RealtimeJsonContext.Default.Order);
        Assert.Contains("\"type\":\"drive-thru\"", json, StringComparison.Ordinal);
        Assert.Contains("\"status\":\"picked-up\"", json, StringComparison.Ordinal);
        Assert.Contains("\"previous_status\":\"ready\"", json, StringComparison.Ordinal);
        Assert.Contains("\"payment_status\":\"refunded\"", json, StringComparison.Ordinal);
        Assert.Equal(json, JsonSerializer.Serialize(JsonSerializer.Deserialize(json, RealtimeJsonContext.Default.Order)!, RealtimeJsonContext.Default.Order));
    }

    [Theory]
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0xC3, 0x28 })] // bad continuation
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })] // an encoded surrogate
    [InlineData(new byte[] { 0xC0, 0xAF })] // overlong
    public void A_frame_with_invalid_UTF8_in_a_field_the_parser_ignores_is_INVALID_MESSAGE(byte[] bad)
    {
        var frame = Encoding.UTF8.GetBytes("{\"type\":\"ping\",\"x\":\"").Concat(bad).Concat(Encoding.UTF8.GetBytes("\"}")).ToArray();
        var result = ClientMessageParser.Parse(frame);
        Assert.Equal(ErrorCodes.InvalidMessage, result.Error?.Code);

        var valid = ClientMessageParser.Parse(Encoding.UTF8.GetBytes("{\"type\":\"ping\",\"x\":\"é\"}"));
        Assert.True(valid.Succeeded);
    }

    [Theory]
    [InlineData("Burger", false, true)]
    [InlineData("<script>alert(1)</script>", false, true)]
    [InlineData("مرحبا \u200F", false, true)] // RTL text with its mark
    [InlineData("👩\u200D🍳 zero\u200Bwidth", false, true)]
    [InlineData("line one\nline two\ttab\r\n", true, true)]
    [InlineData("line one\nline two", false, false)]
    [InlineData("bell\u0007", true, false)]
    [InlineData("nul\u0000", true, false)]
    [InlineData("del\u007F", true, false)]
    [InlineData("c1\u0085", true, false)]
    [InlineData("abc\u202Efed", false, false)] // right-to-left override
    [InlineData("abc\u202Afed", true, false)]
    [InlineData("abc\u2066fed\u2069", true, false)] // isolates
    public void Text_policy(string value, bool multiLine, bool accepted)
    {
        var problem = TextPolicy.Check(value, multiLine);
        Assert.True(accepted == (problem is null), $"'{value}' (multi-line {multiLine}): {problem ?? "accepted"}");
    }

    [Fact]
    public void Unpaired_surrogates_are_not_text()
    {
        // Built at run time: attribute strings cannot carry an unpaired surrogate.
        foreach (var lone in new[] { (char)0xD800, (char)0xDC00, (char)0xDBFF })
        {
            Assert.NotNull(TextPolicy.Check("lone " + lone + " surrogate", multiLine: true));
            Assert.NotNull(TextPolicy.Check("at the end " + lone, multiLine: false));
        }

        Assert.Null(TextPolicy.Check("pair " + (char)0xD83D + (char)0xDE00, multiLine: false));
    }

    private static string RoundTrip(string enumName, string json) => enumName switch
    {
        nameof(OrderStatus) => Write(Read<OrderStatus>(json)),
        nameof(OrderType) => Write(Read<OrderType>(json)),
        nameof(PaymentMethod) => Write(Read<PaymentMethod>(json)),
        nameof(PaymentStatus) => Write(Read<PaymentStatus>(json)),
        nameof(TableStatus) => Write(Read<TableStatus>(json)),
        nameof(NotificationKind) => Write(Read<NotificationKind>(json)),
        _ => throw new ArgumentOutOfRangeException(nameof(enumName)),
    };

    private static TEnum Read<TEnum>(string json)
        where TEnum : struct, Enum
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        reader.Read();
        return new WireEnumConverter<TEnum>().Read(ref reader, typeof(TEnum), JsonSerializerOptions.Default);
    }

    private static string Write<TEnum>(TEnum value)
        where TEnum : struct, Enum =>
        Serialize(value, new WireEnumConverter<TEnum>());

    private static string Serialize<TEnum>(TEnum value, JsonConverter<TEnum> converter)
        where TEnum : struct, Enum
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            converter.Write(writer, value, JsonSerializerOptions.Default);
        }

        return JsonSerializer.Deserialize<string>(stream.ToArray())!;
    }

    private static IEnumerable<(string Ours, string BuiltIn)> Both(string enumName) => enumName switch
    {
        nameof(OrderStatus) => Compare<OrderStatus>(),
        nameof(OrderType) => Compare<OrderType>(),
        nameof(PaymentMethod) => Compare<PaymentMethod>(),
        nameof(PaymentStatus) => Compare<PaymentStatus>(),
        nameof(TableStatus) => Compare<TableStatus>(),
        nameof(NotificationKind) => Compare<NotificationKind>(),
        _ => throw new ArgumentOutOfRangeException(nameof(enumName)),
    };

    private static IEnumerable<(string, string)> Compare<TEnum>()
        where TEnum : struct, Enum
    {
        var builtIn = (JsonConverter<TEnum>)new JsonStringEnumConverter<TEnum>().CreateConverter(typeof(TEnum), JsonSerializerOptions.Default)!;
        return Enum.GetValues<TEnum>().Select(v => (Write(v), Serialize(v, builtIn)));
    }
}
