using Microsoft.Extensions.Options;
using RestaurantOs.Bench.Infrastructure;
using RestaurantOs.DevHost;
using RestaurantOs.Realtime.Auth;

namespace RestaurantOs.Bench.Scenarios;

/// <summary>
/// DevHost in this process (emulator + functions + SQLite in a temporary folder, real loopback HTTP between them),
/// with some of its services wrapped by the bench's decorators. Disposing stops it and deletes the folder.
/// </summary>
internal sealed class BenchDevHost : IAsyncDisposable
{
    private readonly string _dataDir;

    private BenchDevHost(WebApplication app, string dataDir)
    {
        App = app;
        _dataDir = dataDir;
        BaseUri = new Uri(app.Urls.First(u => u.StartsWith("http://", StringComparison.Ordinal)));
        Jwt = app.Services.GetRequiredService<IOptions<AppJwtOptions>>().Value;
    }

    public WebApplication App { get; }

    public Uri BaseUri { get; }

    public AppJwtOptions Jwt { get; }

    /// <param name="settings">Extra "--Key value" configuration pairs (they win over the bench's defaults).</param>
    /// <param name="decorations">Registered services to wrap.</param>
    /// <param name="configure">More changes to the builder (for example handlers on a named HttpClient).</param>
    public static async Task<BenchDevHost> StartAsync(
        IReadOnlyList<string> settings, IReadOnlyList<Decoration> decorations, Action<WebApplicationBuilder>? configure, CancellationToken cancellationToken)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "ros-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDir);
        var app = DevHostApp.Create(
            [
                "--urls", "http://127.0.0.1:0",
                "--Storage:Provider", "sqlite",
                "--Storage:Sqlite:Path", Path.Combine(dataDir, "bench.db"),
                "--Logging:LogLevel:Default", "Warning",
                "--Logging:LogLevel:Microsoft.AspNetCore", "Warning",
                // DevHost's trace view would sample every request and store call: not part of what is measured.
                "--Dev:Traces", "false",
                .. settings,
            ],
            builder =>
            {
                builder.Host.UseServiceProviderFactory(new DecoratingServiceProviderFactory(decorations));
                configure?.Invoke(builder);
            });
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            return new BenchDevHost(app, dataDir);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            TryDelete(dataDir);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await App.DisposeAsync().ConfigureAwait(false);
        TryDelete(_dataDir);
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }
}
