using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using RestaurantOs.DevHost.Dev;
using RestaurantOs.DevHost.FunctionHost;
using RestaurantOs.Emulator;
using RestaurantOs.Functions.Composition;
using RestaurantOs.Functions.Functions;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.WebPubSub.Upstream;

namespace RestaurantOs.DevHost;

/// <summary>
/// The whole system in one process, with no cloud account: the Web PubSub emulator (client endpoint, REST API,
/// upstream calls), the Functions app's own function classes (HTTP routes and timers read from their attributes),
/// the SQLite store, the browser pages, and development-only endpoints. The emulator calls the upstream function
/// over real loopback HTTP with signatures, and the functions call the emulator's REST API, exactly as in Azure.
/// </summary>
public static class DevHostApp
{
    public const string DefaultUrl = "http://localhost:3001";
    public const string Hub = "restaurant";

    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var commandLine = DevHostCommandLine.Parse(args);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = commandLine.HostArgs,
            ContentRootPath = AppContext.BaseDirectory,
            // A development host, unless the user names another environment (DOTNET_/ASPNETCORE_ENVIRONMENT).
            EnvironmentName = Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT")
                ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT")
                ?? Environments.Development,
        });
        configure?.Invoke(builder);

        var port = ResolvePort(builder);
        var data = DevHostData.Prepare(builder.Configuration, commandLine.Reset);
        ApplyLocalDefaults(builder.Configuration, port, data);

        builder.Logging.AddLogLevelSetting(builder.Configuration);
        if (commandLine.Worker)
        {
            // Before the app's registrations, which only add a change notifier when none is there.
            builder.Services.AddSingleton<RestaurantOs.Realtime.Services.IChangeNotifier, WorkerModeHost.NoChangeNotifier>();
            builder.Services.AddSingleton<WorkerModeHost>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<WorkerModeHost>());
        }

        builder.Services.AddRestaurantOsRealtime(builder.Configuration);
        builder.Services.AddWebPubSubEmulator(builder.Configuration);
        if (!commandLine.Worker)
        {
            builder.Services.AddFunctionTimers(typeof(OrderFunctions).Assembly);
        }

        builder.Services.AddSingleton<DevMetricsCollector>();
        builder.Services.AddSingleton<DevTraceRecorder>();
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("restaurant-os-devhost"))
            .WithMetrics(metrics => metrics
            .AddMeter(RestaurantOsTelemetry.MeterNames)
            .AddPrometheusExporter());
        if (commandLine.Demo || builder.Configuration.GetValue<bool>("Demo"))
        {
            builder.Services.AddHostedService<DemoSimulator>();
            builder.Services.AddHostedService<DemoStations>();
        }

        var app = builder.Build();
        // Listen from the start, so the metrics page counts everything since DevHost started.
        app.Services.GetRequiredService<DevMetricsCollector>();
        app.Services.GetRequiredService<DevTraceRecorder>();
        app.UseExceptionHandler();
        app.UseClientAbortsAsDebug();
        app.UseWebSockets();
        app.UseRefuseUpgradesWhileStopping();
        // The seed's clients connect to ws://localhost:3001/ itself; browsers asking for / get the pages.
        app.Use((context, next) =>
        {
            if (context.Request.Path == "/" && context.WebSockets.IsWebSocketRequest)
            {
                context.Request.Path = "/ws";
            }

            return next(context);
        });
        // Routing after the rewrite above, so the rewritten path is the one matched.
        app.UseRouting();
        app.UseProblemForUnknownRoutes();
        app.UseDefaultFiles();
        app.UseStaticFiles();
        // The browser client package (clients/js, copied beside the binaries) at /js/, where the pages import it.
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(Path.Combine(AppContext.BaseDirectory, "clients", "js")),
            RequestPath = "/js",
        });
        app.MapWebPubSubEmulator();
        app.MapSeedCompatibleEndpoint("/ws", Hub);
        if (commandLine.Worker)
        {
            var worker = app.Services.GetRequiredService<WorkerModeHost>();
            app.Map("/api/{**path}", worker.ForwardAsync);
        }
        else
        {
            app.MapFunctions(typeof(OrderFunctions).Assembly);
        }

        // Development-only: token minting and unauthenticated metrics (never part of the Functions app).
        app.MapDevEndpoints();
        app.Lifetime.ApplicationStarted.Register(() => PrintBanner(app, port, data));
        return app;
    }

    /// <summary>
    /// DevHost must know its own port before it starts: the emulator's upstream handler and the functions' Web PubSub
    /// connection string both point at it. Port 0 (tests) is replaced by a free port chosen now.
    /// </summary>
    private static int ResolvePort(WebApplicationBuilder builder)
    {
        var urls = builder.Configuration["urls"] ?? builder.Configuration["ASPNETCORE_URLS"] ?? DefaultUrl;
        var first = urls.Split(';', StringSplitOptions.RemoveEmptyEntries)[0].Replace("*", "localhost", StringComparison.Ordinal).Replace("+", "localhost", StringComparison.Ordinal);
        var uri = new Uri(first);
        var port = uri.Port;
        if (port == 0)
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
        }
        else
        {
            EnsurePortFree(port);
        }

        builder.WebHost.UseUrls(new UriBuilder(uri) { Port = port }.Uri.ToString().TrimEnd('/'));
        return port;
    }

    /// <summary>
    /// A taken port is the most common first-run failure: say so in one line before anything starts, instead of a
    /// host start-up failure with a stack trace. (A port taken between this check and the bind still fails the start.)
    /// </summary>
    private static void EnsurePortFree(int port)
    {
        try
        {
            using var probe = new TcpListener(IPAddress.Loopback, port);
            probe.Start();
            probe.Stop();
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new PortInUseException(port, ex);
        }
    }

    private static void ApplyLocalDefaults(ConfigurationManager configuration, int port, DevHostData data)
    {
        var self = $"http://127.0.0.1:{port}";
        var key = configuration[$"{EmulatorOptions.SectionName}:AccessKey"] ?? EmulatorOptions.DefaultAccessKey;
        // Values the user set (appsettings, environment, command line) win over these defaults.
        var defaults = new Dictionary<string, string?>
        {
            ["WebPubSub:ConnectionString"] = $"Endpoint={self};AccessKey={key};Version=1.0;",
            ["WebPubSub:Hub"] = Hub,
            // The emulator sends its own host as WebHook-Request-Origin, as Azure does; the upstream codec allows the
            // connection string's host. Both are 127.0.0.1 here, however a browser reached DevHost.
            ["WebPubSub:WebHookRequestOrigin"] = "127.0.0.1",
            [$"WebPubSub:Hubs:{Hub}:AllowAnonymous"] = "true",
            [$"WebPubSub:Hubs:{Hub}:EventHandlers:0:UrlTemplate"] = $"{self}/api/webpubsub",
            [$"WebPubSub:Hubs:{Hub}:EventHandlers:0:SystemEvents:0"] = "connect",
            [$"WebPubSub:Hubs:{Hub}:EventHandlers:0:SystemEvents:1"] = "connected",
            [$"WebPubSub:Hubs:{Hub}:EventHandlers:0:SystemEvents:2"] = "disconnected",
            [$"WebPubSub:Hubs:{Hub}:EventHandlers:0:UserEventPattern"] = "*",
        };
        if (configuration[$"{ConnectionStateProtectionOptions.SectionName}:Key"] is null)
        {
            // Generated at the first start and kept beside the database, like a secret in Azure app settings.
            defaults[$"{ConnectionStateProtectionOptions.SectionName}:Key"] = DevSecrets.LoadOrCreateStateKey(Path.GetDirectoryName(data.StorePath)!);
        }

        var missing = defaults.Where(kv => configuration[kv.Key] is null).ToList();
        configuration.AddInMemoryCollection(missing);
    }

    private static void PrintBanner(WebApplication app, int port, DevHostData data)
    {
        var jwt = app.Services.GetRequiredService<IOptions<AppJwtOptions>>().Value;
        var now = DateTimeOffset.UtcNow;
        var sample = AppTokenIssuer.CreateHs256(jwt.SigningKey!, jwt.Issuer!, jwt.Audience!, "dev-manager", DemoRestaurants.HarborGrill.Id, Role.Manager, null, now, now.AddHours(8));
        var host = $"localhost:{port}";
        var key = app.Services.GetRequiredService<IOptions<EmulatorOptions>>().Value.AccessKey;
        Console.WriteLine($"""

            Restaurant OS Realtime — DevHost
              Pages:        http://{host}/   (KDS: /kds.html, floor plan: /floor.html, console: /console.html, presence: /presence.html, metrics: /metrics.html)
              API:          http://{host}/api/health
              WebSocket:    ws://{host}/                  (seed-compatible: Authorization header, ?token=, or a first auth message)
              Web PubSub:   ws://{host}/client/hubs/{Hub}  (Azure-compatible; get a URL from GET /api/negotiate)
              Connection:   Endpoint=http://{host};AccessKey={key};Version=1.0;   (the emulator's well-known development key)
              Data:         {data.Describe()}
              Dev tokens:   http://{host}/dev/token?restaurant_id={DemoRestaurants.HarborGrill.Id}&role=kitchen
              Sample token (manager, {DemoRestaurants.HarborGrill.Name}, 8 h):
              {sample}
            Press Ctrl+C to stop.
            """);
    }
}

/// <summary>DevHost's port is held by another process.</summary>
public sealed class PortInUseException(int port, Exception inner)
    : Exception($"DevHost: port {port} is already in use. Stop what holds it, or pick another port: dotnet run --project src/RestaurantOs.DevHost -- --urls http://localhost:5000", inner)
{
    public int Port { get; } = port;
}
