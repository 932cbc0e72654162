using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace RestaurantOs.Functions.Composition;

/// <summary>
/// The project's meters, exported through OpenTelemetry. In Azure the exporter sends them to Application Insights
/// (with the managed identity when <c>AZURE_CLIENT_ID</c> is set, so no instrumentation key is needed).
/// </summary>
public static class RestaurantOsTelemetry
{
    /// <summary>Every meter of the project: Realtime, WebPubSub client, Storage, Emulator.</summary>
    public static readonly string[] MeterNames = ["RestaurantOs.*"];

    public static IServiceCollection AddRestaurantOsAzureMonitorMetrics(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var connectionString = configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return services;
        }

        var clientId = configuration["AZURE_CLIENT_ID"];
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("restaurant-os-functions"))
            .WithMetrics(metrics => metrics
            .AddMeter(MeterNames)
            .AddAzureMonitorMetricExporter(options =>
            {
                options.ConnectionString = connectionString;
                if (!string.IsNullOrWhiteSpace(clientId))
                {
                    options.Credential = new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
                }
            }));
        return services;
    }
}
