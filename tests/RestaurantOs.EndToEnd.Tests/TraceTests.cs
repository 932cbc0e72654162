using System.Text.Json;
using RestaurantOs.EndToEnd.Tests.Infrastructure;

namespace RestaurantOs.EndToEnd.Tests;

/// <summary>
/// One trace shows a write reaching Web PubSub: through DevHost's real HTTP stack, SQLite, pipeline and emulator, the
/// HTTP request, the store call it made, the publish the pipeline made later (from the change's stored trace parent),
/// and that publish's REST call all carry one trace id; DevHost serves them at <c>/dev/traces</c>.
/// </summary>
public sealed class TraceTests(DevHostFixture host) : IClassFixture<DevHostFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private sealed record Span(string TraceId, string SpanId, string? ParentSpanId, string Name, string Source, IReadOnlyDictionary<string, string?> Tags);

    private async Task<List<Span>> SpansAsync()
    {
        using var response = await host.Http.GetAsync(new Uri(host.BaseUri, "dev/traces?limit=200"), TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return [.. json.RootElement.GetProperty("traces").EnumerateArray()
            .SelectMany(t => t.GetProperty("spans").EnumerateArray())
            .Select(s => new Span(
                s.GetProperty("trace_id").GetString()!,
                s.GetProperty("span_id").GetString()!,
                s.GetProperty("parent_span_id").GetString(),
                s.GetProperty("name").GetString()!,
                s.GetProperty("source").GetString()!,
                s.GetProperty("tags").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString(), StringComparer.Ordinal)))];
    }

    [Fact]
    public async Task A_write_and_the_publish_it_causes_share_one_trace_down_to_the_web_pubsub_rest_call()
    {
        var restaurant = Guid.NewGuid();
        var manager = await host.TokenAsync(restaurant, "manager");
        await using var screen = await host.ConnectAsync(await host.TokenAsync(restaurant, "owner"), "screen");
        await host.CreateOrderAsync(manager);
        await screen.ReceiveUntilAsync(m => m.Type == "order:created", Wait, "the order on the screen");

        Span? publish = null;
        List<Span> spans = [];
        var deadline = DateTime.UtcNow + Wait;
        while (publish is null && DateTime.UtcNow < deadline)
        {
            // The publish span ends after the screen got the event: poll for it.
            spans = await SpansAsync();
            publish = spans.FirstOrDefault(s => s.Name == "realtime.publish order:created" && s.Tags.GetValueOrDefault("realtime.restaurant_id") == restaurant.ToString());
            if (publish is null)
            {
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }
        }

        Assert.NotNull(publish);
        var trace = spans.Where(s => s.TraceId == publish.TraceId).ToList();
        var names = string.Join(", ", trace.Select(s => $"{s.Source}:{s.Name}"));
        var store = Assert.Single(trace, s => s.Name == "store orders.create");
        Assert.Equal("sqlite", store.Tags.GetValueOrDefault("db.system.name"));
        Assert.Equal(restaurant.ToString(), store.Tags.GetValueOrDefault("realtime.restaurant_id"));
        // The store call runs inside DevHost's request span (whose own parent is this test's HttpClient call).
        Assert.True(trace.Any(s => s.Source == "Microsoft.AspNetCore" && s.SpanId == store.ParentSpanId), $"the store call is not a child of the HTTP request: {names}");
        Assert.True(publish.ParentSpanId == store.ParentSpanId || publish.ParentSpanId == store.SpanId,
            $"the publish does not continue the write's trace where it was written: {names}");
        // The REST call to the (emulated) Web PubSub service, a child of the publish.
        Assert.Contains(trace, s => s.Source == "System.Net.Http" && s.ParentSpanId == publish.SpanId);
    }
}
