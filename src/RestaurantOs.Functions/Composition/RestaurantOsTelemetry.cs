using Azure.Core;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using RestaurantOs.Realtime.Telemetry;

namespace RestaurantOs.Functions.Composition;

/// <summary>
/// The project's traces, logs and metrics, exported through OpenTelemetry. In Azure they go to Application Insights
/// (with the managed identity when <c>AZURE_CLIENT_ID</c> is set, so no instrumentation key is needed); without
/// <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> nothing is exported and nothing is collected.
/// </summary>
public static class RestaurantOsTelemetry
{
    /// <summary>Every meter of the project: Realtime, WebPubSub client, Storage, Emulator.</summary>
    public static readonly string[] MeterNames = ["RestaurantOs.*"];

    /// <summary>
    /// The span sources of a write's trace: ours (store calls, the pipeline, the publish), the Cosmos DB SDK's
    /// operations, and HttpClient's requests (the Web PubSub REST calls).
    /// </summary>
    public static readonly string[] TraceSources = [RealtimeTracing.SourceName, "Azure.Cosmos.Operation", "System.Net.Http"];

    public static IServiceCollection AddRestaurantOsAzureMonitor(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var connectionString = configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return services;
        }

        var clientId = configuration["AZURE_CLIENT_ID"];
        TokenCredential? credential = string.IsNullOrWhiteSpace(clientId)
            ? null
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
        void Configure(AzureMonitorExporterOptions options)
        {
            options.ConnectionString = connectionString;
            if (credential is not null)
            {
                options.Credential = credential;
            }
        }

        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("restaurant-os-functions"))
            .WithTracing(tracing => tracing
                .AddSource(TraceSources)
                .AddAzureMonitorTraceExporter(Configure))
            .WithMetrics(metrics => metrics
                .AddMeter(MeterNames)
                .AddAzureMonitorMetricExporter(Configure))
            .WithLogging(logging => logging.AddAzureMonitorLogExporter(Configure), options => options.IncludeScopes = true)
            // The invocation span and the host's trace context (the HTTP request's traceparent) inside the worker.
            .UseFunctionsWorkerDefaults();
        return services;
    }
}
