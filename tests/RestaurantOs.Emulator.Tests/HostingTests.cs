using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RestaurantOs.Emulator.Connections;
using RestaurantOs.Emulator.Hosting;
using RestaurantOs.Emulator.Tests.Infrastructure;

namespace RestaurantOs.Emulator.Tests;

/// <summary>Start-up validation, the printed connection string, health, and role wildcards.</summary>
public sealed class HostingTests
{
    [Theory]
    [InlineData("WebPubSub:AccessKey", "short", "WebPubSub:AccessKey")]
    [InlineData("WebPubSub:AccessKey", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789;ABCDEFGH", "WebPubSub:AccessKey")]
    [InlineData("WebPubSub:Hubs:chat:EventHandlers:0:UrlTemplate", "not a url", "WebPubSub:Hubs:chat:EventHandlers:0:UrlTemplate")]
    [InlineData("WebPubSub:Hubs:chat:EventHandlers:0:SystemEvents:0", "connecting", "SystemEvents")]
    [InlineData("WebPubSub:Hubs:9bad:AllowAnonymous", "true", "not a valid hub name")]
    [InlineData("WebPubSub:MaxClientMessageBytes", "0", "WebPubSub:MaxClientMessageBytes")]
    public async Task Invalid_configuration_fails_start_up_naming_the_key(string key, string value, string expectedInMessage)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["WebPubSub:Hubs:chat:EventHandlers:0:UrlTemplate"] = "http://localhost:7071/api/{event}",
            [key] = value,
        });
        builder.Services.AddWebPubSubEmulator(builder.Configuration);
        await using var app = builder.Build();
        app.MapWebPubSubEmulator();
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Assert.Contains(expectedInMessage, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://[::]:8080", "Endpoint=http://localhost:8080;AccessKey=K;Version=1.0;")]
    [InlineData("http://0.0.0.0:5000", "Endpoint=http://localhost:5000;AccessKey=K;Version=1.0;")]
    [InlineData("http://+:80", "Endpoint=http://localhost;AccessKey=K;Version=1.0;")]
    [InlineData("http://127.0.0.1:41234", "Endpoint=http://127.0.0.1:41234;AccessKey=K;Version=1.0;")]
    public void Connection_string_follows_the_bound_address(string address, string expected) =>
        Assert.Equal(expected, EmulatorHost.ConnectionStringFor(address, "K"));

    [Fact]
    public async Task Health_answers_200_without_a_token()
    {
        await using var fixture = new EmulatorFixture();
        await fixture.InitializeAsync();
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Head, new Uri(fixture.Endpoint, "api/health?api-version=2024-12-01"));
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken).WaitAsync(TestClient.Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_host_can_keep_its_own_get_api_health_next_to_the_emulator()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        builder.Services.AddWebPubSubEmulator(builder.Configuration);
        await using var app = builder.Build();
        app.MapWebPubSubEmulator();
        app.MapGet("/api/health", () => "host health");
        await app.StartAsync(TestContext.Current.CancellationToken).WaitAsync(TestClient.Timeout, TestContext.Current.CancellationToken);
        var endpoint = new Uri(app.Urls.First());

        using var http = new HttpClient();
        var body = await http.GetStringAsync(new Uri(endpoint, "api/health"), TestContext.Current.CancellationToken).WaitAsync(TestClient.Timeout, TestContext.Current.CancellationToken);
        Assert.Equal("host health", body);
        using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(endpoint, "api/health")), TestContext.Current.CancellationToken).WaitAsync(TestClient.Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Stopping_the_host_closes_clients_with_1001()
    {
        await using var fixture = new EmulatorFixture();
        await fixture.InitializeAsync();
        using var client = new TestClient(fixture);
        await using var socket = await client.ConnectAsync(fixture.Hub, "leaving", json: false);
        var stopping = fixture.StopAsync();
        var (status, _) = await socket.ReceiveCloseAsync();
        Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.EndpointUnavailable, status);
        await stopping.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData("room.*", "room.a", true)]
    [InlineData("room.*", "room.a.b", false)]
    [InlineData("room.**", "room.a.b", true)]
    [InlineData("room.?", "room.ab", false)]
    [InlineData("room.?", "room.a", true)]
    [InlineData("a\\*b", "a*b", true)]
    [InlineData("a\\*b", "axb", false)]
    public void Wildcard_role_patterns(string pattern, string group, bool expected) =>
        Assert.Equal(expected, ClientConnection.WildcardMatches(pattern, group));
}
