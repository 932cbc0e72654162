using System.Text;
using System.Text.Json;
using RestaurantOs.WebPubSub.Protocol;

namespace RestaurantOs.WebPubSub.Tests.Protocol;

public sealed class ConnectionStateCodecTests
{
    private static JsonElement Json(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    [Fact]
    public void Encodes_the_documented_example()
    {
        Assert.Equal("eyJjYWxsZWRUaW1lIjoxfQ==", ConnectionStateCodec.Encode([new("calledTime", Json("1"))]));
    }

    [Fact]
    public void Round_trips_nested_values()
    {
        var encoded = ConnectionStateCodec.Encode([new("rate", Json("""{"window":123,"count":4}""")), new("user", Json("\"u-1\""))]);
        var decoded = ConnectionStateCodec.Decode(encoded);
        Assert.Equal(2, decoded.Count);
        Assert.Equal(123, decoded["rate"].GetProperty("window").GetInt32());
        Assert.Equal("u-1", decoded["user"].GetString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(ConnectionStateCodec.Empty)]
    public void Missing_or_empty_state_decodes_to_an_empty_object(string? header)
    {
        Assert.Empty(ConnectionStateCodec.Decode(header));
    }

    [Fact]
    public void Empty_state_encodes_as_an_empty_json_object()
    {
        Assert.Equal(ConnectionStateCodec.Empty, ConnectionStateCodec.Encode([]));
        Assert.Equal("{}", Encoding.UTF8.GetString(Convert.FromBase64String(ConnectionStateCodec.Empty)));
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("WzEsMl0=")] // [1,2]
    [InlineData("e30")] // bad padding
    [InlineData("eyJh")] // {"a
    public void Invalid_state_is_rejected(string header)
    {
        Assert.Throws<FormatException>(() => ConnectionStateCodec.Decode(header));
        Assert.False(ConnectionStateCodec.TryDecode(header, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Merge_sets_replaces_and_deletes_keys_without_touching_the_inputs()
    {
        var current = ConnectionStateCodec.Decode(ConnectionStateCodec.Encode([new("a", Json("1")), new("b", Json("2")), new("c", Json("3"))]));
        var merged = ConnectionStateCodec.Merge(current, [new("b", Json("20")), new("c", null), new("a", Json("null")), new("d", Json("[4]"))]);

        Assert.Equal(["b", "d"], merged.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(20, merged["b"].GetInt32());
        Assert.Equal(4, merged["d"][0].GetInt32());
        Assert.Equal(3, current.Count);
    }

    [Fact]
    public void MergeEncoded_round_trips_through_the_header_form()
    {
        var first = ConnectionStateCodec.MergeEncoded(null, [new("n", Json("1"))]);
        var second = ConnectionStateCodec.MergeEncoded(first, [new("m", Json("true"))]);
        var decoded = ConnectionStateCodec.Decode(second);
        Assert.Equal(1, decoded["n"].GetInt32());
        Assert.True(decoded["m"].GetBoolean());
    }

    [Fact]
    public void Oversized_state_is_refused_both_ways()
    {
        var big = new string('x', ConnectionStateCodec.MaxEncodedLength);
        Assert.Throws<ArgumentException>(() => ConnectionStateCodec.Encode([new("big", Json("\"" + big + "\""))]));
        Assert.False(ConnectionStateCodec.TryDecode(new string('A', ConnectionStateCodec.MaxEncodedLength + 4), out _, out _));
    }
}
