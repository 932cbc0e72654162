using System.Net;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RestaurantOs.Emulator;
using RestaurantOs.WorkerHost;

namespace RestaurantOs.WorkerHost.Tests;

/// <summary>
/// One real worker process per test class, over a fresh SQLite file, with the app settings a deployment has, behind the
/// host's HTTP front, and the local Web PubSub emulator as its service (its event handler pointing at the front).
/// </summary>
public sealed class WorkerFixture : IAsyncLifetime
{
    public const string SigningKey = "worker-host-tests-signing-key-0123456789-abcdef";
    public const string Issuer = "worker-host-tests";
    public const string Audience = "restaurant-os";
    /// <summary>The built worker: the Functions project's own output folder (set at build time).</summary>
    public static string WorkerAssembly =>
        typeof(WorkerFixture).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "WorkerAssembly").Value!;

    private readonly string _directory = Directory.CreateTempSubdirectory("ros-worker-").FullName;
    private readonly int _frontPort = FreePort();
    private FunctionsWorkerHost? _host;
    private HostFront? _front;
    private WebApplication? _emulator;

    internal FunctionsWorkerHost Host => _host ?? throw new InvalidOperationException("The worker is not started.");

    /// <summary>The emulator's endpoint: clients connect here, the worker's REST calls go here.</summary>
    public Uri Emulator { get; private set; } = null!;

    /// <summary>The host's public HTTP endpoint in front of the worker.</summary>
    public Uri Front => FrontHost.Address;

    internal HostFront FrontHost => _front ?? throw new InvalidOperationException("The front is not started.");

    private static int FreePort()
    {
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["WebPubSub:ConnectionString"] = $"Endpoint={Emulator.ToString().TrimEnd('/')};AccessKey={EmulatorOptions.DefaultAccessKey};Version=1.0;",
        ["WebPubSub:Hub"] = "restaurant",
        ["Storage:Provider"] = "sqlite",
        ["Storage:Sqlite:Path"] = Path.Combine(_directory, "store.db"),
        ["Auth:Issuer"] = Issuer,
        ["Auth:Audience"] = Audience,
        ["Auth:SigningKey"] = SigningKey,
        ["ConnectionStateProtection:Key"] = "d29ya2VyLWhvc3QtdGVzdHMtY29ubmVjdGlvbi1zdGF0ZS1rZXk=",
        ["ChangeFeedSchedule"] = "*/10 * * * * *",
        ["KdsSchedule"] = "*/2 * * * * *",
        ["AuthGraceSchedule"] = "*/2 * * * * *",
        ["PresenceSchedule"] = "*/4 * * * * *",
        ["LOG_LEVEL"] = "information",
    };

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            // Web PubSub's event handler for the hub: the host's front, which invokes the worker's function.
            ["WebPubSub:Hubs:restaurant:EventHandlers:0:UrlTemplate"] = $"http://127.0.0.1:{_frontPort}/api/webpubsub",
            ["WebPubSub:Hubs:restaurant:EventHandlers:0:SystemEvents:0"] = "connect",
            ["WebPubSub:Hubs:restaurant:EventHandlers:0:SystemEvents:1"] = "connected",
            ["WebPubSub:Hubs:restaurant:EventHandlers:0:SystemEvents:2"] = "disconnected",
            ["WebPubSub:Hubs:restaurant:EventHandlers:0:UserEventPattern"] = "*",
        });
        builder.Services.AddWebPubSubEmulator(builder.Configuration);
        _emulator = builder.Build();
        _emulator.MapWebPubSubEmulator();
        await _emulator.StartAsync(TestContext.Current.CancellationToken);
        Emulator = new Uri(_emulator.Urls.Single());

        _host = await FunctionsWorkerHost.StartAsync(WorkerAssembly, Settings, TestContext.Current.CancellationToken);
        _front = await HostFront.StartAsync(_host, _frontPort, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_front is not null)
        {
            await _front.DisposeAsync();
        }

        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        if (_emulator is not null)
        {
            await _emulator.StopAsync();
            await _emulator.DisposeAsync();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file the worker held may outlive it by a moment; the temp folder is cleaned by the OS.
        }
    }
}
