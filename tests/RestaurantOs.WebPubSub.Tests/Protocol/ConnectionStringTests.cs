using RestaurantOs.WebPubSub.Protocol;

namespace RestaurantOs.WebPubSub.Tests.Protocol;

public sealed class ConnectionStringTests
{
    [Fact]
    public void Parses_endpoint_key_and_version()
    {
        var parsed = WebPubSubConnectionString.Parse("Endpoint=https://demo.webpubsub.azure.com/;AccessKey=abc=def;Version=1.0;");
        Assert.Equal("https://demo.webpubsub.azure.com", parsed.EndpointString);
        Assert.Equal("abc=def", parsed.AccessKey);
        Assert.Equal("1.0", parsed.Version);
    }

    [Fact]
    public void Keys_are_case_insensitive_and_values_trimmed_and_port_replaces_the_endpoint_port()
    {
        var parsed = WebPubSubConnectionString.Parse(" endpoint = http://localhost:8080 ; ACCESSKEY = k1 ; port=7071;;");
        Assert.Equal(new Uri("http://localhost:7071"), parsed.Endpoint);
        Assert.Equal("k1", parsed.AccessKey);
        Assert.Equal("1.0", parsed.Version);
    }

    [Fact]
    public void Access_key_is_optional_for_identity_based_access()
    {
        var parsed = WebPubSubConnectionString.Parse("Endpoint=https://demo.webpubsub.azure.com");
        Assert.Null(parsed.AccessKey);
    }

    [Fact]
    public void ToString_never_prints_the_access_key_but_the_round_trip_format_does()
    {
        var parsed = WebPubSubConnectionString.Parse("Endpoint=https://demo.webpubsub.azure.com;AccessKey=super-secret;Version=1.0;");
        Assert.DoesNotContain("super-secret", parsed.ToString(), StringComparison.Ordinal);
        Assert.Equal(parsed, WebPubSubConnectionString.Parse(parsed.ToConnectionString()));
    }

    [Theory]
    [InlineData("AccessKey=k;Version=1.0", "'Endpoint'")]
    [InlineData("Endpoint=;AccessKey=k", "'Endpoint'")]
    [InlineData("Endpoint=demo.webpubsub.azure.com;AccessKey=k", "'Endpoint'")]
    [InlineData("Endpoint=ftp://demo;AccessKey=k", "'Endpoint'")]
    [InlineData("Endpoint=https://demo?x=1;AccessKey=k", "'Endpoint'")]
    [InlineData("Endpoint=https://a;Endpoint=https://b", "duplicate key 'Endpoint'")]
    [InlineData("Endpoint=https://a;accesskey=x;AccessKey=y", "duplicate key 'AccessKey'")]
    [InlineData("Endpoint=https://a;Port=0", "'Port'")]
    [InlineData("Endpoint=https://a;Port=65536", "'Port'")]
    [InlineData("Endpoint=https://a;Port=http", "'Port'")]
    [InlineData("Endpoint=https://a;AccessKey=", "'AccessKey'")]
    [InlineData("Endpoint=https://a;thisIsNotAPair", "segment 2")]
    [InlineData("=x;Endpoint=https://a", "empty key")]
    public void Invalid_strings_fail_with_a_message_naming_the_problem(string value, string expectedFragment)
    {
        var exception = Assert.Throws<FormatException>(() => WebPubSubConnectionString.Parse(value));
        Assert.Contains(expectedFragment, exception.Message, StringComparison.Ordinal);
        Assert.False(WebPubSubConnectionString.TryParse(value, out var result));
        Assert.Null(result);
    }

    [Fact]
    public void Secrets_in_malformed_segments_are_not_echoed()
    {
        var exception = Assert.Throws<FormatException>(() => WebPubSubConnectionString.Parse("Endpoint=https://a;TopSecretKeyMaterial"));
        Assert.DoesNotContain("TopSecret", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Empty_input_is_an_argument_error(string value)
    {
        Assert.Throws<ArgumentException>(() => WebPubSubConnectionString.Parse(value));
        Assert.False(WebPubSubConnectionString.TryParse(value, out _));
    }
}
