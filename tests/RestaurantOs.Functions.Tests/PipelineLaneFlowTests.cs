using Microsoft.Extensions.DependencyInjection;
using Moq;
using RestaurantOs.Functions.Functions;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Services;
using RestaurantOs.WebPubSub.Client;
using RestaurantOs.WebPubSub.Protocol;

namespace RestaurantOs.Functions.Tests;

/// <summary>
/// The concurrent event pipeline through the real composition root and real SQLite: many restaurants written at once
/// through the HTTP functions, published by lanes against a Web PubSub mock that answers after a random delay.
/// </summary>
public sealed class PipelineLaneFlowTests : IAsyncLifetime
{
    private const int Restaurants = 16;
    private const int OrdersEach = 3;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly FunctionsTestHost _host = new();
    private readonly List<Guid> _restaurants = [.. Enumerable.Range(0, Restaurants).Select(_ => Guid.NewGuid())];
    private readonly Random _random = new(42);
    private int _inFlight;
    private int _maxInFlight;

    /// <summary>Throws for this restaurant's event with this seq (a send that failed after its retries).</summary>
    private (Guid Restaurant, long Seq)? _failing;

    public async ValueTask InitializeAsync()
    {
        await _host.InitializeAsync();
        _host.Service
            .Setup(s => s.SendToAllAsync(It.IsAny<WebPubSubMessage>(), It.IsAny<WebPubSubSendOptions?>(), It.IsAny<CancellationToken>()))
            .Returns((WebPubSubMessage message, WebPubSubSendOptions? _, CancellationToken ct) => SendAsync(message, ct));
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task SendAsync(WebPubSubMessage message, CancellationToken ct)
    {
        var now = Interlocked.Increment(ref _inFlight);
        try
        {
            int max;
            while (now > (max = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, max) != max)
            {
            }

            int delay;
            lock (_random)
            {
                delay = _random.Next(0, 4);
            }

            await Task.Delay(delay, ct);
            var sent = Realtime.Events.EventSerializer.FromUtf8(message.Data.Span);
            if (_failing is { } f && sent.RestaurantId == f.Restaurant && sent.Seq == f.Seq)
            {
                throw new WebPubSubServiceException("sendToAll", System.Net.HttpStatusCode.ServiceUnavailable, null, "unavailable");
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <summary>Each restaurant creates and confirms its orders in turn; all restaurants write at once.</summary>
    private async Task WriteAllAsync()
    {
        await Task.WhenAll(_restaurants.Select(restaurant => Task.Run(async () =>
        {
            for (var i = 0; i < OrdersEach; i++)
            {
                var functions = _host.Create<OrderFunctions>();
                var create = _host.Request("POST", "/api/orders", _host.Token(restaurant, Role.Server), $$"""{"items":[{"name":"Soup","quantity":1,"price":900}],"table_number":"T{{i}}"}""");
                var (status, body, _) = await FunctionsTestHost.ExecuteAsync(create, await functions.CreateOrder(create, Ct));
                Assert.True(status == 201, body);
                var id = FunctionsTestHost.Json(body).GetProperty("id").GetString()!;
                var confirm = _host.Request("POST", $"/api/orders/{id}/status", _host.Token(restaurant, Role.Kitchen), """{"status":"confirmed"}""");
                var (code, reply, _) = await FunctionsTestHost.ExecuteAsync(confirm, await functions.ChangeOrderStatus(confirm, id, Ct));
                Assert.True(code == 200, reply);
            }
        }, Ct))).WaitAsync(Timeout, Ct);
    }

    private async Task<IReadOnlyList<RealtimeEvent>> HistoryAsync(Guid restaurant) =>
        (await _host.Services.GetRequiredService<IEventHistory>().ReadAfterAsync(restaurant, 0, 1000, Ct)).Events;

    [Fact]
    public async Task Every_event_of_many_restaurants_is_published_once_in_seq_order_per_restaurant_with_lanes_overlapping()
    {
        await WriteAllAsync();
        var pipeline = _host.Services.GetRequiredService<EventPipeline>();

        var published = await pipeline.PumpAsync(Ct).WaitAsync(Timeout, Ct);

        var broadcasts = _host.Broadcasts();
        Assert.Equal(published, broadcasts.Count);
        Assert.Equal(broadcasts.Count, broadcasts.Select(b => b.Event.Id).Distinct().Count());
        foreach (var restaurant in _restaurants)
        {
            var history = await HistoryAsync(restaurant);
            // created, then updated + status + kitchen notification per confirmed order.
            Assert.Equal(OrdersEach * 4, history.Count);
            Assert.Equal(
                history.Select(e => (e.Id, e.Seq)),
                broadcasts.Where(b => b.Event.RestaurantId == restaurant).Select(b => (b.Event.Id, b.Event.Seq)));
        }

        Assert.InRange(_maxInFlight, 2, 32);
        Assert.Equal(0, await pipeline.PumpAsync(Ct).WaitAsync(Timeout, Ct));
    }

    [Fact]
    public async Task A_send_that_fails_after_append_is_repeated_with_the_same_ids_and_seqs_by_the_next_pump()
    {
        await WriteAllAsync();
        var pipeline = _host.Services.GetRequiredService<EventPipeline>();
        var broken = _restaurants[3];
        _failing = (broken, 2);

        await Assert.ThrowsAsync<AggregateException>(() => pipeline.PumpAsync(Ct)).WaitAsync(Timeout, Ct);
        var firstTry = _host.Broadcasts().Count;
        _failing = null;
        await pipeline.PumpAsync(Ct).WaitAsync(Timeout, Ct);

        var history = await HistoryAsync(broken);
        var retried = _host.Broadcasts().Skip(firstTry).Where(b => b.Event.RestaurantId == broken).Select(b => (b.Event.Id, b.Event.Seq));
        Assert.Equal(history.Select(e => (e.Id, e.Seq)), retried);
        Assert.Equal(Enumerable.Range(1, OrdersEach * 4).Select(i => (long?)i), history.Select(e => e.Seq));
        foreach (var restaurant in _restaurants)
        {
            // Nothing skipped for anyone: every seq reached the service at least once.
            var seqs = _host.Broadcasts().Where(b => b.Event.RestaurantId == restaurant).Select(b => b.Event.Seq!.Value).Distinct().Order();
            Assert.Equal(Enumerable.Range(1, OrdersEach * 4).Select(i => (long)i), seqs);
        }

        Assert.Equal(0, await pipeline.PumpAsync(Ct).WaitAsync(Timeout, Ct));
    }
}
