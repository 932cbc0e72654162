using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace RestaurantOs.Emulator.Hosting;

/// <summary>Start-up helpers of the standalone emulator.</summary>
internal static class EmulatorHost
{
    public const string DefaultUrl = "http://localhost:8080";

    /// <summary>Listens on <see cref="DefaultUrl"/> unless <c>--urls</c>, <c>ASPNETCORE_URLS</c>, ports or Kestrel endpoints say otherwise.</summary>
    public static void UseDefaultUrlsIfUnset(WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        if (string.IsNullOrEmpty(configuration[WebHostDefaults.ServerUrlsKey])
            && string.IsNullOrEmpty(configuration[WebHostDefaults.HttpPortsKey])
            && string.IsNullOrEmpty(configuration[WebHostDefaults.HttpsPortsKey])
            && !configuration.GetSection("Kestrel:Endpoints").GetChildren().Any())
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }
    }

    /// <summary>Prints the connection string for the address actually bound, once the server has started.</summary>
    public static void PrintConnectionStringOnStart(WebApplication app)
    {
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            var key = app.Services.GetRequiredService<IOptions<EmulatorOptions>>().Value.AccessKey;
            var connectionString = ConnectionStringFor(addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) ?? addresses.FirstOrDefault() ?? DefaultUrl, key);
            Console.WriteLine("Web PubSub emulator connection string (local use only):");
            Console.WriteLine(connectionString);
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("RestaurantOs.Emulator");
            EmulatorLog.ConnectionString(logger, connectionString);
        });
    }

    /// <summary>The connection string for a listening address (wildcard hosts become <c>localhost</c>).</summary>
    internal static string ConnectionStringFor(string address, string accessKey) =>
        $"Endpoint={ListeningAddress.Reachable(address).GetLeftPart(UriPartial.Authority)};AccessKey={accessKey};Version=1.0;";
}
