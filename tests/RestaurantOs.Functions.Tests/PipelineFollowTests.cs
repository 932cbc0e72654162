using Microsoft.Extensions.DependencyInjection;
using RestaurantOs.Functions.Functions;
using RestaurantOs.Functions.Hosting;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Services;

namespace RestaurantOs.Functions.Tests;

/// <summary>
/// Two Functions instances over one store (real SQLite, one feed lease): instance B holds the lease, instance A takes
/// the write. A's signal only wakes A's pump, which may not read; B must publish the write by following the active
/// feed, not at its next <c>ChangeFeed</c> timer tick. Time is fake, so "the next follow interval" is one step of it.
/// </summary>
public sealed class PipelineFollowTests : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _directory = Directory.CreateTempSubdirectory("ros-follow-").FullName;
    private readonly List<FunctionsTestHost> _hosts = [];
    private readonly Guid _restaurant = Guid.NewGuid();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private FunctionsTestHost Instance(string followInterval)
    {
        var host = new FunctionsTestHost(new Dictionary<string, string?>
        {
            ["Storage:Sqlite:Path"] = Path.Combine(_directory, "shared.db"),
            ["Pipeline:FollowInterval"] = followInterval,
        });
        _hosts.Add(host);
        return host;
    }

    /// <summary>
    /// B takes a write of its own first: its pump publishes it and so holds the feed's only lease (and, with
    /// following on, follows the feed). Waiting for that publish means B's pump is idle again when A writes.
    /// </summary>
    private async Task<(FunctionsTestHost A, FunctionsTestHost B)> StartAsync(string followInterval)
    {
        var b = Instance(followInterval);
        await b.InitializeAsync();
        var a = Instance(followInterval);
        await a.InitializeAsync();
        foreach (var host in new[] { b, a })
        {
            await host.Services.GetRequiredService<ChangeFeedPump>().StartAsync(Ct);
        }

        var warmUp = Guid.NewGuid();
        await WriteOrderThroughAsync(b, warmUp);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(Timeout);
        while (!b.Broadcasts().Any(e => e.Event.RestaurantId == warmUp))
        {
            await Task.Delay(10, timeout.Token);
        }

        return (a, b);
    }

    private async Task WriteOrderThroughAsync(FunctionsTestHost host, Guid? restaurant = null)
    {
        var request = host.Request("POST", "/api/orders", host.Token(restaurant ?? _restaurant, Role.Server), """{"items":[{"name":"Soup","quantity":1,"price":900}],"table_number":"T1"}""");
        var (status, body, _) = await FunctionsTestHost.ExecuteAsync(request, await host.Create<OrderFunctions>().CreateOrder(request, Ct));
        Assert.True(status == 201, body);
    }

    private bool Published(FunctionsTestHost host) => host.Broadcasts().Any(b => b.Event.RestaurantId == _restaurant && b.Event.Type == "order:created");

    /// <summary>Steps B's clock by half a second at a time (real time in between for its pump to run).</summary>
    private static async Task<bool> StepUntilAsync(FunctionsTestHost host, Func<bool> done, int steps)
    {
        for (var i = 0; i < steps && !done(); i++)
        {
            host.Time.Advance(TimeSpan.FromMilliseconds(500));
            var until = DateTime.UtcNow.AddMilliseconds(200);
            while (!done() && DateTime.UtcNow < until)
            {
                await Task.Delay(10, Ct);
            }
        }

        return done();
    }

    [Fact]
    public async Task The_lease_holder_publishes_another_instances_write_within_a_follow_interval()
    {
        var (a, b) = await StartAsync("00:00:00.5");

        await WriteOrderThroughAsync(a);

        Assert.True(await StepUntilAsync(b, () => Published(b), steps: 10), "the lease holder never published the other instance's write");
        Assert.False(Published(a), "the writing instance published although the other instance holds the feed's lease");
    }

    [Fact]
    public async Task Without_following_the_write_waits_for_the_holders_timer()
    {
        var (a, b) = await StartAsync("00:00:00");

        await WriteOrderThroughAsync(a);

        Assert.False(await StepUntilAsync(b, () => Published(b), steps: 10));
        Assert.False(Published(a));
        await b.Create<TimerFunctions>().ChangeFeed(null!, Ct);
        Assert.True(Published(b));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.Services.GetRequiredService<ChangeFeedPump>().StopAsync(CancellationToken.None);
            await host.DisposeAsync();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A pooled handle may outlive the test by a moment; the temp folder is cleaned by the OS.
        }
    }
}
