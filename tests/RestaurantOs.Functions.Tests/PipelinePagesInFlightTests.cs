using Microsoft.Extensions.DependencyInjection;
using Moq;
using RestaurantOs.Functions.Functions;
using RestaurantOs.Functions.Hosting;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.WebPubSub.Client;
using RestaurantOs.WebPubSub.Protocol;

namespace RestaurantOs.Functions.Tests;

/// <summary>
/// The change-feed pump through the real composition root and real SQLite: restaurant A's publish is held at the Web
/// PubSub edge, then restaurant B writes. With pages in flight, B's signal starts a read at once and B is published
/// while A's page is still publishing; with one page in flight B waits for A.
/// </summary>
public sealed class PipelinePagesInFlightTests : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly Guid _a = Guid.NewGuid();
    private readonly Guid _b = Guid.NewGuid();
    private readonly TaskCompletionSource _aHeld = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _releaseA = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private FunctionsTestHost? _host;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A's sends that fail: each throws, as a send that failed after the client's retries does.</summary>
    private int _aFailures;

    private async Task<FunctionsTestHost> StartAsync(int pagesInFlight)
    {
        _host = new FunctionsTestHost(new Dictionary<string, string?> { ["Pipeline:PagesInFlight"] = pagesInFlight.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        await _host.InitializeAsync();
        _host.Service
            .Setup(s => s.SendToAllAsync(It.IsAny<WebPubSubMessage>(), It.IsAny<WebPubSubSendOptions?>(), It.IsAny<CancellationToken>()))
            .Returns(async (WebPubSubMessage message, WebPubSubSendOptions? _, CancellationToken ct) =>
            {
                if (Realtime.Events.EventSerializer.FromUtf8(message.Data.Span).RestaurantId == _a)
                {
                    _aHeld.TrySetResult();
                    await _releaseA.Task.WaitAsync(ct);
                    if (Interlocked.Decrement(ref _aFailures) >= 0)
                    {
                        throw new WebPubSubServiceException("sendToAll", System.Net.HttpStatusCode.ServiceUnavailable, null, "unavailable");
                    }
                }
            });
        await _host.Services.GetRequiredService<ChangeFeedPump>().StartAsync(Ct);
        return _host;
    }

    private static async Task WriteOrderAsync(FunctionsTestHost host, Guid restaurant)
    {
        var request = host.Request("POST", "/api/orders", host.Token(restaurant, Role.Server), """{"items":[{"name":"Soup","quantity":1,"price":900}],"table_number":"T1"}""");
        var (status, body, _) = await FunctionsTestHost.ExecuteAsync(request, await host.Create<OrderFunctions>().CreateOrder(request, Ct));
        Assert.True(status == 201, body);
    }

    private static bool Published(FunctionsTestHost host, Guid restaurant) => host.Broadcasts().Any(b => b.Event.RestaurantId == restaurant);

    private static async Task<bool> WithinAsync(TimeSpan wait, Func<bool> condition)
    {
        var until = DateTime.UtcNow + wait;
        while (!condition() && DateTime.UtcNow < until)
        {
            await Task.Delay(10, Ct);
        }

        return condition();
    }

    /// <summary>A writes and its publish is held; then B writes.</summary>
    private async Task<FunctionsTestHost> HoldAThenWriteBAsync(int pagesInFlight)
    {
        var host = await StartAsync(pagesInFlight);
        await WriteOrderAsync(host, _a);
        await _aHeld.Task.WaitAsync(Timeout, Ct);
        await WriteOrderAsync(host, _b);
        return host;
    }

    [Fact]
    public async Task A_write_is_published_while_an_earlier_page_is_still_publishing()
    {
        var host = await HoldAThenWriteBAsync(pagesInFlight: 4);

        Assert.True(await WithinAsync(Timeout, () => Published(host, _b)), "B waited for A's page");
        Assert.False(_releaseA.Task.IsCompleted);
        _releaseA.SetResult();
        await WriteOrderAsync(host, _a);
        Assert.True(await WithinAsync(Timeout, () => host.Broadcasts().Count(b => b.Event.RestaurantId == _a) == 2), "A's next write was not published");
    }

    [Fact]
    public async Task With_one_page_in_flight_a_write_waits_for_the_page_being_published()
    {
        var host = await HoldAThenWriteBAsync(pagesInFlight: 1);

        Assert.False(await WithinAsync(TimeSpan.FromMilliseconds(500), () => Published(host, _b)));
        _releaseA.SetResult();
        Assert.True(await WithinAsync(Timeout, () => Published(host, _b)));
    }

    [Fact]
    public async Task After_a_failed_publish_the_pump_retries_and_the_restaurants_events_go_out_in_seq_order()
    {
        _aFailures = 1;
        var host = await HoldAThenWriteBAsync(pagesInFlight: 4);
        Assert.True(await WithinAsync(Timeout, () => Published(host, _b)));
        await WriteOrderAsync(host, _a); // committed while A's first page still publishes
        _releaseA.SetResult();          // ... whose send now fails

        // The retry waits a second of the pump's clock (or a new signal re-reads at once): step the clock until A's
        // second order is out.
        bool SecondOut() => host.Broadcasts().Any(b => b.Event.RestaurantId == _a && b.Event.Seq == 2);
        for (var step = 0; step < 20 && !await WithinAsync(TimeSpan.FromMilliseconds(200), SecondOut); step++)
        {
            host.Time.Advance(TimeSpan.FromMilliseconds(500));
        }

        // The failed attempt, then seq 1 before seq 2 (a re-read page may repeat them; clients drop repeats).
        var seqs = host.Broadcasts().Where(b => b.Event.RestaurantId == _a).Select(b => b.Event.Seq!.Value).ToList();
        Assert.Equal(1, seqs[0]);
        Assert.Equal([1L, 2], seqs.Skip(1).Distinct());
    }

    public async ValueTask DisposeAsync()
    {
        _releaseA.TrySetResult();
        if (_host is not null)
        {
            await _host.Services.GetRequiredService<ChangeFeedPump>().StopAsync(CancellationToken.None);
            await _host.DisposeAsync();
        }
    }
}
