using Microsoft.Extensions.DependencyInjection;
using RestaurantOs.DevHost.FunctionHost;
using RestaurantOs.EndToEnd.Tests.Infrastructure;

namespace RestaurantOs.EndToEnd.Tests;

/// <summary>
/// <c>dotnet run --project src/RestaurantOs.DevHost -- --worker</c>: the same DevHost, but the Functions app runs as its
/// own process over the Functions host protocol, as <c>func start</c> and Azure run it. A screen on the seed endpoint
/// gets an order written through DevHost's /api, which the worker process handled and published.
/// </summary>
public sealed class WorkerModeTests(WorkerModeHostFixture host) : IClassFixture<WorkerModeHostFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task An_order_written_through_devhost_is_handled_and_published_by_the_worker_process()
    {
        var worker = await host.Services.GetRequiredService<WorkerModeHost>().Worker.WaitAsync(Wait, TestContext.Current.CancellationToken);
        Assert.NotEqual(Environment.ProcessId, worker.ProcessId);

        var restaurant = Guid.NewGuid();
        await using var screen = await host.ConnectAsync(await host.TokenAsync(restaurant, "kitchen"), "kds");
        var order = await host.CreateOrderAsync(await host.TokenAsync(restaurant, "server"));
        var received = await screen.ReceiveUntilAsync(m => m.Type == "order:created", Wait, "the order from the worker");

        Assert.Equal(order.GetProperty("id").GetString(), received.Data.GetProperty("order").GetProperty("id").GetString());
        // The write and the upstream calls of the screen ran in the worker process, not in DevHost's. The worker's
        // logs travel over the event stream and may trail its HTTP answer: wait for them (bounded).
        var deadline = DateTime.UtcNow + Wait;
        while (!(worker.Output.Contains("Executed endpoint 'CreateOrder'", StringComparison.Ordinal)
                 && worker.Output.Contains("Executed endpoint 'WebPubSubEvents'", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        Assert.Contains("Executed endpoint 'CreateOrder'", worker.Output, StringComparison.Ordinal);
        Assert.Contains("Executed endpoint 'WebPubSubEvents'", worker.Output, StringComparison.Ordinal);
    }
}
