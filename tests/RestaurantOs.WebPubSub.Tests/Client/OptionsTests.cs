using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RestaurantOs.WebPubSub.Client;

namespace RestaurantOs.WebPubSub.Tests.Client;

public sealed class OptionsTests
{
    public static TheoryData<string?, string?, string, string> InvalidSettings => new()
    {
        // connection string, endpoint, hub, expected fragment
        { null, null, "restaurant", "WebPubSub__ConnectionString" },
        { "Endpoint=https://a;AccessKey=k", "https://a", "restaurant", "not both" },
        { "AccessKey=k", null, "restaurant", "'Endpoint'" },
        { "Endpoint=https://a;Port=99999;AccessKey=k", null, "restaurant", "'Port'" },
        { null, "ftp://a", "restaurant", "WebPubSub:Endpoint" },
        { "Endpoint=https://a;AccessKey=k", null, "1hub", "WebPubSub:Hub" },
        { "Endpoint=https://a;AccessKey=k", null, "hub/with/slash", "WebPubSub:Hub" },
    };

    [Theory]
    [MemberData(nameof(InvalidSettings))]
    public void Invalid_configuration_fails_at_start_with_the_setting_named(string? connectionString, string? endpoint, string hub, string expected)
    {
        var settings = new Dictionary<string, string?> { ["WebPubSub:ConnectionString"] = connectionString, ["WebPubSub:Endpoint"] = endpoint, ["WebPubSub:Hub"] = hub };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        using var provider = new ServiceCollection().AddLogging().AddWebPubSubServiceClient(configuration).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<WebPubSubOptions>>().Value);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_functions_connection_string_setting_is_used_as_a_fallback()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["WebPubSubConnectionString"] = "Endpoint=http://localhost:8080;AccessKey=k;Version=1.0;",
        }).Build();
        using var provider = new ServiceCollection().AddLogging().AddWebPubSubServiceClient(configuration).BuildServiceProvider();

        var client = provider.GetRequiredService<IWebPubSubServiceClient>();
        Assert.Equal(new Uri("http://localhost:8080"), client.Endpoint);
        Assert.Equal("restaurant", client.Hub);
    }

    [Fact]
    public void Valid_options_pass()
    {
        var result = new WebPubSubOptionsValidator().Validate(null, new WebPubSubOptions { ConnectionString = "Endpoint=https://a;AccessKey=k", Hub = "Restaurant_1" });
        Assert.True(result.Succeeded);
        var bad = new WebPubSubOptionsValidator().Validate(null, new WebPubSubOptions { ConnectionString = "Endpoint=https://a;AccessKey=k", MaxRetries = 11, ApiVersion = "latest" });
        Assert.True(bad.Failed);
        Assert.Contains(bad.Failures!, f => f.Contains("WebPubSub:MaxRetries", StringComparison.Ordinal));
        Assert.Contains(bad.Failures!, f => f.Contains("WebPubSub:ApiVersion", StringComparison.Ordinal));
    }
}
