using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RestaurantOs.Realtime.Pipeline;

namespace RestaurantOs.Realtime.Tests.Pipeline;

public sealed class PipelineOptionsTests
{
    private static PipelineOptions Resolve(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        using var provider = new ServiceCollection().AddEventPipeline(configuration).BuildServiceProvider();
        return provider.GetRequiredService<IOptions<PipelineOptions>>().Value;
    }

    [Fact]
    public void Defaults_apply_when_the_section_is_absent()
    {
        var options = Resolve();

        Assert.Equal((32, 100, 4), (options.MaxConcurrency, options.BatchSize, options.PagesInFlight));
    }

    [Fact]
    public void Pipeline_MaxConcurrency_BatchSize_and_PagesInFlight_bind_from_configuration()
    {
        var options = Resolve(("Pipeline:MaxConcurrency", "64"), ("Pipeline:BatchSize", "500"), ("Pipeline:PagesInFlight", "1"));

        Assert.Equal((64, 500, 1), (options.MaxConcurrency, options.BatchSize, options.PagesInFlight));
    }

    [Theory]
    [InlineData("Pipeline:MaxConcurrency", "0")]
    [InlineData("Pipeline:MaxConcurrency", "100000")]
    [InlineData("Pipeline:BatchSize", "0")]
    [InlineData("Pipeline:BatchSize", "10001")]
    [InlineData("Pipeline:PagesInFlight", "0")]
    [InlineData("Pipeline:PagesInFlight", "65")]
    public void An_out_of_range_setting_fails_with_a_message_naming_it(string key, string value)
    {
        var failure = Assert.Throws<OptionsValidationException>(() => Resolve((key, value)));

        Assert.Contains(key, failure.Message, StringComparison.Ordinal);
    }
}
