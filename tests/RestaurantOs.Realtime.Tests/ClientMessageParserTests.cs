using System.Reflection;
using System.Text;
using CsCheck;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Protocol;

namespace RestaurantOs.Realtime.Tests;

public sealed class ClientMessageParserTests
{
    private static readonly HashSet<string> Catalog = typeof(ErrorCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (string)f.GetValue(null)!)
        .ToHashSet(StringComparer.Ordinal);

    private static ParseResult Parse(string json) => ClientMessageParser.Parse(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Auth_with_token_parses()
    {
        var result = Parse("""{"type":"auth","token":"abc.def.ghi"}""");
        var auth = Assert.IsType<AuthMessage>(result.Message);
        Assert.Equal("abc.def.ghi", auth.Token);
        Assert.Null(auth.RestaurantId);
        Assert.Null(result.Error);
    }

    [Fact]
    public void Auth_may_name_its_station_and_device()
    {
        var auth = Assert.IsType<AuthMessage>(Parse("""{"type":"auth","token":"t","station":"grill-kds-1","device":"tablet.7"}""").Message);
        Assert.Equal(("grill-kds-1", "tablet.7"), (auth.Station, auth.Device));
    }

    [Theory]
    [InlineData("""{"type":"auth","token":"t","station":""}""")]
    [InlineData("""{"type":"auth","token":"t","station":"-grill"}""")]
    [InlineData("""{"type":"auth","token":"t","station":"grill kds"}""")]
    [InlineData("""{"type":"auth","token":"t","station":"r/1"}""")]
    [InlineData("""{"type":"auth","token":"t","station":7}""")]
    [InlineData("""{"type":"auth","token":"t","station":null}""")]
    [InlineData("""{"type":"auth","token":"t","device":"tablet\n"}""")]
    [InlineData("""{"type":"auth","token":"t","station":"a","station":"b"}""")]
    public void A_bad_station_or_device_is_an_invalid_message(string json)
    {
        var result = Parse(json);
        Assert.Null(result.Message);
        Assert.Equal(ErrorCodes.InvalidMessage, result.Error?.Code);
    }

    [Fact]
    public void A_station_name_may_be_64_characters_and_no_more()
    {
        Assert.IsType<AuthMessage>(Parse($$"""{"type":"auth","token":"t","station":"{{new string('k', 64)}}"}""").Message);
        Assert.Equal(ErrorCodes.InvalidMessage, Parse($$"""{"type":"auth","token":"t","station":"{{new string('k', 65)}}"}""").Error?.Code);
    }

    [Fact]
    public void Subscribe_with_events_and_table_filter_parses_and_deduplicates()
    {
        var result = Parse("""{"type":"subscribe","events":["order:created","order:updated","order:created"],"filters":{"table_number":"T5"}}""");
        var sub = Assert.IsType<SubscribeMessage>(result.Message);
        Assert.Equal(["order:created", "order:updated"], sub.Events);
        Assert.Equal("T5", sub.Filters["table_number"]);
    }

    [Theory]
    [InlineData("""{"type":"subscribe","events":["kds:update"]}""")]
    [InlineData("""{"type":"subscribe","events":["kds:update"],"filters":null}""")]
    [InlineData("""{"type":"subscribe","events":["kds:update"],"filters":{}}""")]
    public void Subscribe_without_filters_has_empty_filters(string json)
    {
        var sub = Assert.IsType<SubscribeMessage>(Parse(json).Message);
        Assert.Empty(sub.Filters);
    }

    [Fact]
    public void Unsubscribe_ping_and_resume_parse()
    {
        Assert.Equal(["order:created"], Assert.IsType<UnsubscribeMessage>(Parse("""{"type":"unsubscribe","events":["order:created"]}""").Message).Events);
        Assert.IsType<PingMessage>(Parse("""{"type":"ping"}""").Message);
        Assert.Equal(42, Assert.IsType<ResumeMessage>(Parse("""{"type":"resume","since":42}""").Message).Since);
        Assert.Equal(0, Assert.IsType<ResumeMessage>(Parse("""{"type":"resume","since":0}""").Message).Since);
    }

    [Fact]
    public void Ping_may_report_the_last_applied_seq()
    {
        Assert.Null(Assert.IsType<PingMessage>(Parse("""{"type":"ping"}""").Message).AppliedSeq);
        Assert.Equal(0, Assert.IsType<PingMessage>(Parse("""{"type":"ping","applied_seq":0}""").Message).AppliedSeq);
        Assert.Equal(long.MaxValue, Assert.IsType<PingMessage>(Parse("""{"type":"ping","applied_seq":9223372036854775807}""").Message).AppliedSeq);
    }

    [Theory]
    [InlineData("""{"type":"ping","applied_seq":-1}""")]
    [InlineData("""{"type":"ping","applied_seq":1.5}""")]
    [InlineData("""{"type":"ping","applied_seq":"7"}""")]
    [InlineData("""{"type":"ping","applied_seq":null}""")]
    [InlineData("""{"type":"ping","applied_seq":9223372036854775808}""")]
    [InlineData("""{"type":"ping","applied_seq":1,"applied_seq":2}""")]
    public void A_bad_applied_seq_is_an_invalid_message(string frame)
    {
        var result = Parse(frame);
        Assert.Null(result.Message);
        Assert.NotNull(result.Error);
        Assert.Equal(ErrorCodes.InvalidMessage, result.Error.Code);
    }

    [Fact]
    public void Unknown_fields_are_ignored()
    {
        var result = Parse("""{"type":"ping","x":[1,2,{"y":null}],"timestamp":"now"}""");
        Assert.IsType<PingMessage>(result.Message);
    }

    [Fact]
    public void Restaurant_id_is_exposed_for_the_tenant_check()
    {
        var id = Guid.NewGuid();
        var result = Parse($$"""{"type":"auth","token":"t","restaurant_id":"{{id}}"}""");
        Assert.Equal(id, result.Message!.RestaurantId);
        Assert.Equal(id, Parse($$"""{"type":"ping","restaurant_id":"{{id}}"}""").Message!.RestaurantId);
    }

    [Theory]
    // Not JSON / not an object / wrong type of type.
    [InlineData("", ErrorCodes.InvalidMessage)]
    [InlineData("   ", ErrorCodes.InvalidMessage)]
    [InlineData("not json", ErrorCodes.InvalidMessage)]
    [InlineData("{", ErrorCodes.InvalidMessage)]
    [InlineData("[]", ErrorCodes.InvalidMessage)]
    [InlineData("\"ping\"", ErrorCodes.InvalidMessage)]
    [InlineData("null", ErrorCodes.InvalidMessage)]
    [InlineData("42", ErrorCodes.InvalidMessage)]
    [InlineData("""{"type":"ping"} {"type":"ping"}""", ErrorCodes.InvalidMessage)]
    [InlineData("""{"type":"ping",}""", ErrorCodes.InvalidMessage)]
    [InlineData("""{"type":"ping"} // comment""", ErrorCodes.InvalidMessage)]
    [InlineData("""{}""", ErrorCodes.InvalidMessage)]
    [InlineData("""{"type":""}""", ErrorCodes.InvalidMessage)]
    [InlineData("""{"type":null}""", ErrorCodes.InvalidMessage)]
    [InlineData("""{"type":1}""", ErrorCodes.InvalidMessage)]
    [InlineData("""{"type":["ping"]}""", ErrorCodes.InvalidMessage)]
    [InlineData("""{"type":"ping","type":"ping"}""", ErrorCodes.InvalidMessage)]
    // Unknown types, case-sensitive.
    [InlineData("""{"type":"PING"}""", ErrorCodes.UnknownType)]
    [InlineData("""{"type":"orders:sync"}""", ErrorCodes.UnknownType)]
    [InlineData("""{"type":"publish"}""", ErrorCodes.UnknownType)]
    // auth
    [InlineData("""{"type":"auth"}""", ErrorCodes.InvalidMessage)]
    [InlineData("""{"type":"auth","token":""}""", ErrorCodes.InvalidMessage)]
    [InlineData("""{"type":"auth","token":"   "}""", ErrorCodes.InvalidMessage)]
    [InlineData("""{"type":"auth","token":123}""", ErrorCodes.InvalidMessage)]
    [InlineData("""{"type":"auth","token":null}""", ErrorCodes.InvalidMessage)]
    [InlineData("""{"type":"auth","token":"a","token":"b"}""", ErrorCodes.InvalidMessage)]
    // subscribe / unsubscribe events
    [InlineData("""{"type":"subscribe"}""", ErrorCodes.InvalidMessage)]
    [InlineData("""{"type":"subscribe","events":[]}""", ErrorCodes.InvalidMessage)]
    [InlineData("""{"type":"subscribe","events":"order:created"}""", ErrorCodes.InvalidMessage)]
    [InlineData("""{"type":"subscribe","events":[1]}""", ErrorCodes.InvalidMessage)]
    [InlineData("""{"type":"subscribe","events":[null]}""", ErrorCodes.InvalidMessage)]
    [InlineData("""{"type":"subscribe","events":["order:created"],"events":["order:updated"]}""", ErrorCodes.InvalidMessage)]
    [InlineData("""{"type":"subscribe","events":["order:deleted"]}""", ErrorCodes.UnknownEvent)]
    [InlineData("""{"type":"subscribe","events":["ORDER:CREATED"]}""", ErrorCodes.UnknownEvent)]
    [InlineData("""{"type":"subscribe","events":["connected"]}""", ErrorCodes.UnknownEvent)]
    [InlineData("""{"type":"subscribe","events":["error"]}""", ErrorCodes.UnknownEvent)]
    [InlineData("""{"type":"subscribe","events":["order:created "]}""", ErrorCodes.UnknownEvent)]
    [InlineData("""{"type":"subscribe","events":["order:created\u0000"]}""", ErrorCodes.UnknownEvent)]
    [InlineData("""{"type":"unsubscribe"}""", ErrorCodes.InvalidMessage)]
    [InlineData("""{"type":"unsubscribe","events":["nope"]}""", ErrorCodes.UnknownEvent)]
    // filters
    [InlineData("""{"type":"subscribe","events":["order:created"],"filters":"T5"}""", ErrorCodes.InvalidFilter)]
    [InlineData("""{"type":"subscribe","events":["order:created"],"filters":["T5"]}""", ErrorCodes.InvalidFilter)]
    [InlineData("""{"type":"subscribe","events":["order:created"],"filters":{"table_number":5}}""", ErrorCodes.InvalidFilter)]
    [InlineData("""{"type":"subscribe","events":["order:created"],"filters":{"table_number":null}}""", ErrorCodes.InvalidFilter)]
    [InlineData("""{"type":"subscribe","events":["order:created"],"filters":{"table_number":""}}""", ErrorCodes.InvalidFilter)]
    [InlineData("""{"type":"subscribe","events":["order:created"],"filters":{"table_number":"T5~payment"}}""", ErrorCodes.InvalidFilter)]
    [InlineData("""{"type":"subscribe","events":["order:created"],"filters":{"table_number":"T5|x"}}""", ErrorCodes.InvalidFilter)]
    [InlineData("""{"type":"subscribe","events":["order:created"],"filters":{"table_number":"T 5"}}""", ErrorCodes.InvalidFilter)]
    [InlineData("""{"type":"subscribe","events":["order:created"],"filters":{"table_number":"T5\n"}}""", ErrorCodes.InvalidFilter)]
    [InlineData("""{"type":"subscribe","events":["order:created"],"filters":{"table_number":"-T5"}}""", ErrorCodes.InvalidFilter)]
    [InlineData("""{"type":"subscribe","events":["order:created"],"filters":{"table_number":"T5' or '1'='1"}}""", ErrorCodes.InvalidFilter)]
    [InlineData("""{"type":"subscribe","events":["order:created"],"filters":{"table_number":"Т5"}}""", ErrorCodes.InvalidFilter)] // Cyrillic Т
    [InlineData("""{"type":"subscribe","events":["order:created"],"filters":{"table_number":"T５"}}""", ErrorCodes.InvalidFilter)] // full-width 5
    [InlineData("""{"type":"subscribe","events":["order:created"],"filters":{"table_number":"T5\u200b"}}""", ErrorCodes.InvalidFilter)]
    [InlineData("""{"type":"subscribe","events":["order:created"],"filters":{"table_number":"123456789012345678901234567890123"}}""", ErrorCodes.InvalidFilter)]
    [InlineData("""{"type":"subscribe","events":["order:created"],"filters":{"restaurant_id":"x"}}""", ErrorCodes.InvalidFilter)]
    [InlineData("""{"type":"subscribe","events":["order:created"],"filters":{"table_number":"T5","seat":"1"}}""", ErrorCodes.InvalidFilter)]
    [InlineData("""{"type":"subscribe","events":["order:created"],"filters":{"table_number":"T5","table_number":"T6"}}""", ErrorCodes.InvalidFilter)]
    // resume
    [InlineData("""{"type":"resume"}""", ErrorCodes.InvalidMessage)]
    [InlineData("""{"type":"resume","since":-1}""", ErrorCodes.InvalidMessage)]
    [InlineData("""{"type":"resume","since":1.5}""", ErrorCodes.InvalidMessage)]
    [InlineData("""{"type":"resume","since":"5"}""", ErrorCodes.InvalidMessage)]
    [InlineData("""{"type":"resume","since":1e400}""", ErrorCodes.InvalidMessage)]
    [InlineData("""{"type":"resume","since":99999999999999999999}""", ErrorCodes.InvalidMessage)]
    // restaurant_id present but not a UUID
    [InlineData("""{"type":"ping","restaurant_id":"r1"}""", ErrorCodes.InvalidMessage)]
    [InlineData("""{"type":"ping","restaurant_id":null}""", ErrorCodes.InvalidMessage)]
    [InlineData("""{"type":"ping","restaurant_id":1}""", ErrorCodes.InvalidMessage)]
    [InlineData("""{"type":"ping","restaurant_id":"6f9619ff-8b86-d011-b42d-00c04fc964ff","restaurant_id":"6f9619ff-8b86-d011-b42d-00c04fc964fe"}""", ErrorCodes.InvalidMessage)]
    public void Invalid_frames_get_the_right_code(string json, string code)
    {
        var result = Parse(json);
        Assert.Null(result.Message);
        Assert.NotNull(result.Error);
        Assert.Equal(code, result.Error.Code);
        Assert.False(string.IsNullOrWhiteSpace(result.Error.Message));
    }

    [Fact]
    public void Too_many_events_are_rejected()
    {
        var events = string.Join(',', Enumerable.Repeat("\"order:created\"", ClientMessageParser.MaxEventsPerMessage + 1));
        Assert.Equal(ErrorCodes.InvalidMessage, Parse($$"""{"type":"subscribe","events":[{{events}}]}""").Error?.Code);
        var ok = string.Join(',', Enumerable.Repeat("\"order:created\"", ClientMessageParser.MaxEventsPerMessage));
        Assert.IsType<SubscribeMessage>(Parse($$"""{"type":"subscribe","events":[{{ok}}]}""").Message);
    }

    [Fact]
    public void Over_long_token_is_rejected_and_a_long_one_accepted()
    {
        Assert.Equal(ErrorCodes.InvalidMessage, Parse($$"""{"type":"auth","token":"{{new string('a', ClientMessageParser.MaxTokenLength + 1)}}"}""").Error?.Code);
        Assert.IsType<AuthMessage>(Parse($$"""{"type":"auth","token":"{{new string('a', ClientMessageParser.MaxTokenLength)}}"}""").Message);
    }

    [Fact]
    public void Over_long_type_is_invalid()
    {
        Assert.Equal(ErrorCodes.InvalidMessage, Parse($$"""{"type":"{{new string('p', 65)}}"}""").Error?.Code);
    }

    [Fact]
    public void Frame_over_64KB_is_too_big_and_exactly_64KB_is_parsed()
    {
        var padding = ProtocolLimits.MaxMessageBytes - """{"type":"ping","p":""}""".Length;
        var exact = Encoding.UTF8.GetBytes($$"""{"type":"ping","p":"{{new string('x', padding)}}"}""");
        Assert.Equal(ProtocolLimits.MaxMessageBytes, exact.Length);
        Assert.IsType<PingMessage>(ClientMessageParser.Parse(exact).Message);

        var over = Encoding.UTF8.GetBytes($$"""{"type":"ping","p":"{{new string('x', padding + 1)}}"}""");
        Assert.Equal(ErrorCodes.MessageTooBig, ClientMessageParser.Parse(over).Error?.Code);
    }

    [Fact]
    public void Deep_nesting_is_invalid_not_a_crash()
    {
        var deep = new string('[', 10_000) + new string(']', 10_000);
        Assert.Equal(ErrorCodes.InvalidMessage, Parse($$"""{"type":"ping","x":{{deep}}}""").Error?.Code);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFE })]
    [InlineData(new byte[] { 0xEF, 0xBB, 0xBF, (byte)'{', (byte)'}' })]
    [InlineData(new byte[] { (byte)'{', (byte)'"', (byte)'t', (byte)'y', (byte)'p', (byte)'e', (byte)'"', (byte)':', (byte)'"', 0xC3, (byte)'"', (byte)'}' })]
    [InlineData(new byte[] { (byte)'{', (byte)'"', (byte)'t', (byte)'y', (byte)'p', (byte)'e', (byte)'"', (byte)':', (byte)'"', (byte)'\\', (byte)'u', (byte)'D', (byte)'8', (byte)'0', (byte)'0', (byte)'"', (byte)'}' })]
    public void Invalid_utf8_and_lone_surrogates_are_rejected_with_a_code(byte[] frame)
    {
        var result = ClientMessageParser.Parse(frame);
        Assert.Null(result.Message);
        Assert.Contains(result.Error!.Code, Catalog);
    }

    [Theory]
    [InlineData("T5", true)]
    [InlineData("5", true)]
    [InlineData("patio_12-b", true)]
    [InlineData("12345678901234567890123456789012", true)]
    [InlineData("123456789012345678901234567890123", false)]
    [InlineData("_T5", false)]
    [InlineData("T5.1", false)]
    [InlineData("T5:x", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Table_number_rule(string? value, bool valid) => Assert.Equal(valid, ClientMessageParser.IsValidTableNumber(value));

    // ---- Property tests: >= 10,000 random and mutated frames; no exception escapes and every result is coded. ----

    private static void AssertWellFormed(byte[] frame)
    {
        var result = ClientMessageParser.Parse(frame);
        Assert.True(result.Message is null != (result.Error is null), "exactly one of Message and Error must be set");
        if (result.Error is { } error)
        {
            Assert.Contains(error.Code, Catalog);
        }
        else if (result.Message is SubscribeMessage sub)
        {
            Assert.All(sub.Events, e => Assert.True(EventTypes.IsBroadcast(e)));
            Assert.InRange(sub.Events.Count, 1, ClientMessageParser.MaxEventsPerMessage);
            Assert.All(sub.Filters, f => Assert.True(f.Key == "table_number" && ClientMessageParser.IsValidTableNumber(f.Value)));
        }
        else if (result.Message is ResumeMessage resume)
        {
            Assert.True(resume.Since >= 0);
        }
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        Gen.Byte.Array[0, 512].Sample(AssertWellFormed, iter: 4_000);
    }

    [Fact]
    public void Random_json_never_throws()
    {
        JsonGen().Select(s => Encoding.UTF8.GetBytes(s)).Sample(AssertWellFormed, iter: 4_000);
    }

    [Fact]
    public void Mutated_valid_messages_never_throw()
    {
        Gen.Select(Gen.Int[0, ValidFrames.Length - 1], Gen.Int, Gen.Int[1, 6], (i, seed, n) => Mutate(ValidFrames[i], seed, n))
            .Sample(AssertWellFormed, iter: 6_000);
    }

    [Fact]
    public void Valid_messages_with_random_field_values_parse_or_get_a_code()
    {
        var value = Gen.OneOf(JsonGen(), Gen.String.Select(s => System.Text.Json.JsonSerializer.Serialize(s)));
        Gen.Select(Gen.OneOf<string>("auth", "subscribe", "unsubscribe", "ping", "resume", "other"), Gen.OneOf<string>("token", "events", "filters", "since", "restaurant_id", "type"), value,
                (type, field, v) => Encoding.UTF8.GetBytes($$"""{"type":"{{type}}","{{field}}":{{v}}}"""))
            .Sample(AssertWellFormed, iter: 3_000);
    }

    private static readonly byte[][] ValidFrames =
    [
        .. new[]
        {
            """{"type":"auth","token":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.sig"}""",
            """{"type":"subscribe","events":["order:created","order:updated"],"filters":{"table_number":"T5"}}""",
            """{"type":"unsubscribe","events":["order:created"]}""",
            """{"type":"ping"}""",
            """{"type":"resume","since":17}""",
            """{"type":"auth","token":"t","restaurant_id":"6f9619ff-8b86-d011-b42d-00c04fc964ff"}""",
        }.Select(Encoding.UTF8.GetBytes),
    ];

    private static byte[] Mutate(byte[] original, int seed, int mutations)
    {
        var random = new Random(seed);
        var bytes = new List<byte>(original);
        for (var m = 0; m < mutations; m++)
        {
            var at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0 when bytes.Count > 0: bytes[at] = (byte)random.Next(256); break;
                case 1 when bytes.Count > 0: bytes.RemoveAt(at); break;
                case 2: bytes.Insert(at, (byte)random.Next(256)); break;
                case 3: bytes.InsertRange(at, Encoding.UTF8.GetBytes(Pick(random, "\"", "{", "}", "[", "]", ",", ":", "null", "1e9", "-1", "\\u0000", "\"type\":\"ping\","))); break;
                case 4 when bytes.Count > 0: bytes.InsertRange(at, bytes.GetRange(at, Math.Min(bytes.Count - at, random.Next(1, 64)))); break;
                default: bytes.InsertRange(at, Enumerable.Repeat((byte)'a', random.Next(0, 2_000))); break;
            }
        }

        return [.. bytes];
    }

    private static string Pick(Random random, params string[] options) => options[random.Next(options.Length)];

    private static Gen<string> JsonGen()
    {
        var scalar = Gen.OneOf(
            Gen.Const("null"), Gen.Const("true"), Gen.Const("false"),
            Gen.Long.Select(l => l.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            Gen.Double.Select(d => double.IsFinite(d) ? d.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : "0"),
            Gen.String.Select(s => System.Text.Json.JsonSerializer.Serialize(s)),
            Gen.OneOf<string>("\"order:created\"", "\"T5\"", "\"ping\"", "\"auth\"", "\"subscribe\"", "\"\""));
        var array = scalar.Array[0, 40].Select(a => "[" + string.Join(',', a) + "]");
        var key = Gen.OneOf<string>("type", "token", "events", "filters", "since", "restaurant_id", "table_number", "x");
        var obj = Gen.Select(key, Gen.OneOf(scalar, array)).Array[0, 8].Select(kv => "{" + string.Join(',', kv.Select(p => $"\"{p.Item1}\":{p.Item2}")) + "}");
        return Gen.OneOf(scalar, array, obj, obj.Select(o => $$"""{"type":"subscribe","filters":{{o}},"events":["order:created"]}"""));
    }
}
