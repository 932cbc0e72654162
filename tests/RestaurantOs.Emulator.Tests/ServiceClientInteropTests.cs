using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RestaurantOs.Emulator.Tests.Infrastructure;
using RestaurantOs.WebPubSub.Client;
using RestaurantOs.WebPubSub.Protocol;

namespace RestaurantOs.Emulator.Tests;

/// <summary>The project's own REST client (RestaurantOs.WebPubSub) against the emulator, configured only by connection string.</summary>
public sealed class ServiceClientInteropTests : IClassFixture<EmulatorFixture>, IAsyncDisposable
{
    private readonly EmulatorFixture _fixture;
    private readonly ServiceProvider _services;
    private readonly TestClient _client;

    public ServiceClientInteropTests(EmulatorFixture fixture)
    {
        _fixture = fixture;
        _client = new TestClient(fixture);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["WebPubSub:ConnectionString"] = $"Endpoint={fixture.Endpoint.GetLeftPart(UriPartial.Authority)};AccessKey={fixture.AccessKey};Version=1.0;",
            ["WebPubSub:Hub"] = fixture.Hub,
        }).Build();
        _services = new ServiceCollection().AddLogging().AddWebPubSubServiceClient(configuration).BuildServiceProvider();
    }

    private IWebPubSubServiceClient Service => _services.GetRequiredService<IWebPubSubServiceClient>();

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _services.DisposeAsync();
    }

    [Fact]
    public async Task Group_management_and_sends_work_through_the_service_client()
    {
        var ct = TestContext.Current.CancellationToken;
        var token = await Service.GetClientAccessTokenAsync("interop", null, null, TimeSpan.FromMinutes(5), ct);
        await using var socket = await TestSocket.ConnectAsync(_client.ClientUrl(_fixture.Hub, token), [WebPubSubConstants.Subprotocols.Json]);
        var connectionId = (await socket.ReceiveJsonAsync()).GetProperty("connectionId").GetString()!;

        Assert.True(await Service.ConnectionExistsAsync(connectionId, ct));
        Assert.True(await Service.UserExistsAsync("interop", ct));
        await Service.AddConnectionToGroupAsync("interop-group", connectionId, ct);
        Assert.True(await Service.GroupExistsAsync("interop-group", ct));

        var members = new List<WebPubSubGroupMember>();
        await foreach (var member in Service.ListConnectionsInGroupAsync("interop-group", cancellationToken: ct))
        {
            members.Add(member);
        }

        Assert.Equal(connectionId, Assert.Single(members).ConnectionId);

        await Service.SendToGroupAsync("interop-group", WebPubSubMessage.Json("{\"n\":42}"), cancellationToken: ct);
        var message = await socket.ReceiveJsonAsync();
        Assert.Equal(42, message.GetProperty("data").GetProperty("n").GetInt32());

        await Service.SendToUserAsync("interop", WebPubSubMessage.Text("to-user"), new WebPubSubSendOptions { Filter = "userId eq 'interop'" }, ct);
        Assert.Equal("to-user", (await socket.ReceiveJsonAsync()).GetProperty("data").GetString());

        await Service.GrantPermissionAsync(WebPubSubPermissionKind.SendToGroup, connectionId, "interop-group", ct);
        Assert.True(await Service.CheckPermissionAsync(WebPubSubPermissionKind.SendToGroup, connectionId, "interop-group", ct));

        await Service.RemoveConnectionFromGroupAsync("interop-group", connectionId, ct);
        Assert.False(await Service.GroupExistsAsync("interop-group", ct));
        Assert.True(await Service.IsServiceHealthyAsync(ct));

        await Service.CloseConnectionAsync(connectionId, "interop-done", ct);
        Assert.Equal("disconnected", (await socket.ReceiveJsonAsync()).GetProperty("event").GetString());
    }
}
