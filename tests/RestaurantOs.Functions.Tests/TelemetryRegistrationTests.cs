using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using RestaurantOs.Functions.Composition;

namespace RestaurantOs.Functions.Tests;

/// <summary>Telemetry is exported only to a configured Application Insights resource; without one nothing is collected.</summary>
public sealed class TelemetryRegistrationTests
{
    private static ServiceProvider Build(string? connectionString)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = connectionString })
            .Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddRestaurantOsAzureMonitor(configuration);
        return services.BuildServiceProvider();
    }

    [Fact]
    public void Without_a_connection_string_no_tracer_or_exporter_is_registered()
    {
        using var provider = Build(connectionString: null);

        Assert.Null(provider.GetService<TracerProvider>());
    }

    [Fact]
    public void With_a_connection_string_traces_of_the_project_sources_are_collected()
    {
        using var provider = Build("InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/");

        Assert.NotNull(provider.GetService<TracerProvider>());
        using var activity = RestaurantOs.Realtime.Telemetry.RealtimeTracing.Source.StartActivity("probe");
        Assert.NotNull(activity); // a listener (the tracer provider) samples the project's source
    }
}
