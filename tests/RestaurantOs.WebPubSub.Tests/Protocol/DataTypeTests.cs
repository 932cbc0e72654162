using System.Text;
using RestaurantOs.WebPubSub.Protocol;

namespace RestaurantOs.WebPubSub.Tests.Protocol;

public sealed class DataTypeTests
{
    [Theory]
    [InlineData("text/plain", true, WebPubSubDataType.Text)]
    [InlineData("TEXT/PLAIN; charset=utf-8", true, WebPubSubDataType.Text)]
    [InlineData("application/json; charset=utf-8", true, WebPubSubDataType.Json)]
    [InlineData("application/octet-stream", true, WebPubSubDataType.Binary)]
    [InlineData(null, true, WebPubSubDataType.Binary)]
    [InlineData("", true, WebPubSubDataType.Binary)]
    [InlineData("text/html", false, WebPubSubDataType.Binary)]
    [InlineData("application/x-protobuf", false, WebPubSubDataType.Binary)]
    [InlineData("not a media type", false, WebPubSubDataType.Binary)]
    public void Content_types_map_to_data_types(string? contentType, bool known, WebPubSubDataType expected)
    {
        Assert.Equal(known, WebPubSubDataTypes.TryFromContentType(contentType, out var dataType));
        if (known)
        {
            Assert.Equal(expected, dataType);
        }
    }

    [Theory]
    [InlineData(WebPubSubDataType.Text, "text/plain", "text")]
    [InlineData(WebPubSubDataType.Json, "application/json", "json")]
    [InlineData(WebPubSubDataType.Binary, "application/octet-stream", "binary")]
    public void Data_types_round_trip_through_content_types_and_names(WebPubSubDataType dataType, string contentType, string name)
    {
        Assert.Equal(contentType, WebPubSubDataTypes.ToContentType(dataType));
        Assert.Equal(name, WebPubSubDataTypes.ToName(dataType));
        Assert.True(WebPubSubDataTypes.TryFromName(name, out var parsed));
        Assert.Equal(dataType, parsed);
        Assert.True(WebPubSubDataTypes.TryFromContentType(contentType, out var fromContentType));
        Assert.Equal(dataType, fromContentType);
    }

    [Fact]
    public void Unknown_names_and_values_are_refused()
    {
        Assert.False(WebPubSubDataTypes.TryFromName("Text", out _));
        Assert.False(WebPubSubDataTypes.TryFromName(null, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => WebPubSubDataTypes.ToContentType((WebPubSubDataType)42));
    }

    [Fact]
    public void Message_factories_encode_utf8_and_set_the_type()
    {
        var text = WebPubSubMessage.Text("ü");
        Assert.Equal(WebPubSubDataType.Text, text.DataType);
        Assert.Equal(Encoding.UTF8.GetBytes("ü"), text.Data.ToArray());
        Assert.Equal("application/json", WebPubSubMessage.Json("{}").ContentType);
        Assert.Equal("application/octet-stream", WebPubSubMessage.Binary(new byte[] { 1 }).ContentType);
        Assert.Throws<ArgumentException>(() => WebPubSubMessage.Json(""));
    }

    [Fact]
    public void Constants_are_built_from_one_prefix_and_match_the_wire()
    {
        Assert.Equal("ce-connectionState", WebPubSubConstants.Headers.CloudEvents.ConnectionState);
        Assert.Equal("ce-awpsversion", WebPubSubConstants.Headers.CloudEvents.AwpsVersion);
        Assert.Equal("azure.webpubsub.sys.connect", WebPubSubConstants.EventTypes.Connect);
        Assert.Equal("azure.webpubsub.user.message", WebPubSubConstants.EventTypes.User("message"));
        Assert.Equal("2024-12-01", WebPubSubConstants.ApiVersion.Default);
        Assert.Contains(WebPubSubConstants.ApiVersion.Default, WebPubSubConstants.ApiVersion.GenerallyAvailable);
    }
}
