using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RestaurantOs.WebPubSub.Client;
using RestaurantOs.WebPubSub.Protocol;
using RestaurantOs.WebPubSub.Tests.Infrastructure;

namespace RestaurantOs.WebPubSub.Tests.Client;

/// <summary>
/// The event pipeline publishes many restaurants at once through one client: nothing between it and the service
/// (named HttpClient, handler, connection pool) may quietly turn concurrent REST calls into a queue.
/// </summary>
public sealed class ConcurrentCallsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sixty_four_sends_are_in_flight_at_once_over_real_http()
    {
        const int Calls = 64;
        var inFlight = 0;
        var maxInFlight = 0;
        var allArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var app = builder.Build();
        // Every request is held until all of them are being served at the same time (bounded): a client that
        // queued them would never get there.
        app.Run(async context =>
        {
            var now = Interlocked.Increment(ref inFlight);
            lock (allArrived)
            {
                maxInFlight = Math.Max(maxInFlight, now);
                if (now >= Calls)
                {
                    allArrived.TrySetResult();
                }
            }

            try
            {
                await allArrived.Task.WaitAsync(TimeSpan.FromSeconds(10), context.RequestAborted);
                context.Response.StatusCode = StatusCodes.Status202Accepted;
            }
            catch (TimeoutException)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
            }
            finally
            {
                Interlocked.Decrement(ref inFlight);
            }
        });
        await app.StartAsync(Ct).WaitAsync(Timeout, Ct);
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        await using var provider = ClientFactory.Build(address, settings => settings["WebPubSub:AttemptTimeout"] = "00:00:20");
        var client = provider.GetRequiredService<IWebPubSubServiceClient>();

        await Task.WhenAll(Enumerable.Range(0, Calls).Select(i =>
            Task.Run(() => client.SendToAllAsync(WebPubSubMessage.Text($"m{i}"), cancellationToken: Ct), Ct))).WaitAsync(Timeout, Ct);

        Assert.Equal(Calls, maxInFlight);
        await app.StopAsync(Ct);
    }
}
