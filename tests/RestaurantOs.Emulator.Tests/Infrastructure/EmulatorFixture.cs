using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace RestaurantOs.Emulator.Tests.Infrastructure;

/// <summary>
/// Starts an upstream recorder and then the emulator (real Kestrel on 127.0.0.1, port 0) composed with the public
/// extension methods, as DevHost does. Hubs: <c>conformance</c> (no handlers), <c>upstream</c> (every event to the
/// recorder), <c>anon</c> (anonymous allowed), <c>invalidated</c> (a handler that fails validation).
/// </summary>
public class EmulatorFixture : IAsyncLifetime, IServiceTarget
{
    private WebApplication? _app;

    public UpstreamRecorder Upstream { get; } = new();

    public Uri Endpoint { get; private set; } = null!;

    public string AccessKey => EmulatorOptions.DefaultAccessKey;

    public string Hub => "conformance";

    public bool IsEmulator => true;

    public IServiceProvider Services => _app!.Services;

    public async ValueTask InitializeAsync()
    {
        await Upstream.StartAsync();
        var upstream = Upstream.BaseUrl.ToString().TrimEnd('/');
        var settings = new Dictionary<string, string?>
        {
            ["WebPubSub:Hubs:upstream:EventHandlers:0:UrlTemplate"] = upstream + "/upstream/{hub}/{event}",
            ["WebPubSub:Hubs:upstream:EventHandlers:0:SystemEvents:0"] = "connect",
            ["WebPubSub:Hubs:upstream:EventHandlers:0:SystemEvents:1"] = "connected",
            ["WebPubSub:Hubs:upstream:EventHandlers:0:SystemEvents:2"] = "disconnected",
            ["WebPubSub:Hubs:upstream:EventHandlers:0:UserEventPattern"] = "*",
            ["WebPubSub:Hubs:seed:EventHandlers:0:UrlTemplate"] = upstream + "/seed/{hub}/{event}",
            ["WebPubSub:Hubs:seed:EventHandlers:0:SystemEvents:0"] = "connect",
            ["WebPubSub:Hubs:seed:EventHandlers:0:SystemEvents:1"] = "connected",
            ["WebPubSub:Hubs:seed:EventHandlers:0:SystemEvents:2"] = "disconnected",
            ["WebPubSub:Hubs:seed:EventHandlers:0:UserEventPattern"] = "*",
            ["WebPubSub:Hubs:once:EventHandlers:0:UrlTemplate"] = upstream + "/once/{hub}/{event}",
            ["WebPubSub:Hubs:once:EventHandlers:0:SystemEvents:0"] = "connect",
            ["WebPubSub:Hubs:anon:AllowAnonymous"] = "true",
            ["WebPubSub:Hubs:invalidated:EventHandlers:0:UrlTemplate"] = upstream + "/novalidate/{hub}/{event}",
            ["WebPubSub:Hubs:invalidated:EventHandlers:0:SystemEvents:0"] = "connect",
        };
        Configure(settings);

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.Services.AddWebPubSubEmulator(builder.Configuration);
        _app = builder.Build();
        _app.MapWebPubSubEmulator();
        MapExtra(_app);
        await _app.StartAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Endpoint = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    /// <summary>Adds or changes settings before the emulator starts.</summary>
    protected virtual void Configure(Dictionary<string, string?> settings)
    {
    }

    /// <summary>Maps extra endpoints (seed-compatible ones) before the emulator starts.</summary>
    protected virtual void MapExtra(WebApplication app)
    {
    }

    /// <summary>Stops the emulator gracefully (as Ctrl+C does).</summary>
    public Task StopAsync() => _app!.StopAsync();

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        await Upstream.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
