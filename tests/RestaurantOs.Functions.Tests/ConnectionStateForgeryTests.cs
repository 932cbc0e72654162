using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RestaurantOs.Functions.Functions;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Connections;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Events;
using RestaurantOs.Realtime.Services;
using RestaurantOs.WebPubSub.Client;
using RestaurantOs.WebPubSub.Protocol;
using static RestaurantOs.WebPubSub.Protocol.WebPubSubConstants.Headers;

namespace RestaurantOs.Functions.Tests;

/// <summary>
/// The connection state is the caller's identity: a correctly signed upstream request whose state was written,
/// copied or altered by anyone but the app is refused with 401, answers nothing and closes the connection.
/// </summary>
public sealed class ConnectionStateForgeryTests : IAsyncLifetime
{
    private const string NewKey = "bmV3LWNvbm5lY3Rpb24tc3RhdGUta2V5LWZvci10ZXN0cy0wMQ==";

    private readonly FunctionsTestHost _host = new();
    private readonly Guid _victim = Guid.NewGuid();
    private readonly Guid _attacker = Guid.NewGuid();

    public async ValueTask InitializeAsync()
    {
        await _host.InitializeAsync();
        var orders = _host.Create<OrderFunctions>();
        for (var i = 0; i < 2; i++)
        {
            var request = _host.Request("POST", "/api/orders", _host.Token(_victim, Role.Server), """{"items":[{"name":"Secret soup","quantity":1,"price":900}]}""");
            var (status, body, _) = await FunctionsTestHost.ExecuteAsync(request, await orders.CreateOrder(request, CancellationToken.None));
            Assert.True(status == 201, body);
        }

        await _host.Services.GetRequiredService<EventPipeline>().PumpAsync(CancellationToken.None);
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task A_hand_written_owner_state_for_another_restaurant_is_refused_and_replays_nothing()
    {
        var (status, body) = await ResumeAsync("c-mallory", HandWrittenOwnerState());

        Assert.Equal(401, status);
        Assert.DoesNotContain("Secret soup", body, StringComparison.Ordinal);
        AssertNothingOfTheVictimWasSent();
        Assert.True(WasClosed("c-mallory"), "the connection that sent a forged state is closed");
        Assert.Contains(_host.Direct(), d => d.ConnectionId == "c-mallory" && d.Event.Type == EventTypes.Error);
    }

    [Fact]
    public async Task A_state_issued_to_connection_A_is_refused_on_connection_B()
    {
        var stateOfA = await ConnectAsync(_host, "c-alice", _host.Token(_victim, Role.Manager));
        var (own, ownBody) = await ResumeAsync("c-alice", stateOfA);
        Assert.True(own == 200, ownBody);
        Assert.Contains("Secret soup", ownBody, StringComparison.Ordinal);

        var (status, body) = await ResumeAsync("c-mallory", stateOfA);

        Assert.Equal(401, status);
        Assert.DoesNotContain("Secret soup", body, StringComparison.Ordinal);
        Assert.True(WasClosed("c-mallory"), "the connection that used a foreign state is closed");
        Assert.False(WasClosed("c-alice"));
    }

    [Fact]
    public async Task A_tampered_state_is_refused()
    {
        var state = await ConnectAsync(_host, "c-bob", _host.Token(_attacker, Role.Kitchen));
        var inner = ConnectionStateCodec.Decode(state)[WebPubSubEventHandlerFunction.StateKey].GetString()!;
        // Point the payload at the victim as owner and keep the MAC: it no longer matches.
        var parts = inner.Split('.');
        var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[1]));
        Assert.Contains(_attacker.ToString(), text, StringComparison.Ordinal);
        var forged = text.Replace(_attacker.ToString(), _victim.ToString(), StringComparison.Ordinal).Replace("\"kitchen\"", "\"owner\"", StringComparison.Ordinal);
        var tampered = $"{parts[0]}.{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(forged))}.{parts[2]}";

        var (status, body) = await ResumeAsync("c-bob", Header(JsonSerializer.SerializeToElement(tampered)));

        Assert.Equal(401, status);
        Assert.DoesNotContain("Secret soup", body, StringComparison.Ordinal);
        AssertNothingOfTheVictimWasSent();
    }

    [Fact]
    public async Task Missing_state_on_a_message_or_connected_event_is_refused_and_the_connection_closed()
    {
        Assert.Equal(401, (await ResumeAsync("c-nostate", null)).Status);
        var (connected, _) = await SendAsync("c-nostate-2", WebPubSubConstants.EventTypes.Connected, "connected", "{}", "application/json", null);

        Assert.Equal(401, connected);
        Assert.True(WasClosed("c-nostate"));
        Assert.True(WasClosed("c-nostate-2"));
    }

    [Fact]
    public async Task A_forged_state_on_disconnected_is_refused_without_a_close()
    {
        var (status, _) = await SendAsync("c-gone", WebPubSubConstants.EventTypes.Disconnected, "disconnected", """{"reason":"bye"}""", "application/json", HandWrittenOwnerState());

        Assert.Equal(401, status);
        Assert.False(WasClosed("c-gone"));
    }

    [Fact]
    public async Task A_state_made_with_the_previous_key_is_accepted_during_the_overlap_and_refused_after_it()
    {
        var oldState = await ConnectAsync(_host, "c-rotating", _host.Token(_victim, Role.Kitchen));

        await using var overlap = new FunctionsTestHost(new Dictionary<string, string?>
        {
            ["ConnectionStateProtection:Key"] = NewKey,
            ["ConnectionStateProtection:PreviousKeys:0"] = FunctionsTestHost.StateKey,
        });
        await overlap.InitializeAsync();
        var (status, body, rewritten) = await SendCoreAsync(overlap, "c-rotating", WebPubSubConstants.EventTypes.User("message"), "message", """{"type":"ping"}""", "text/plain", oldState);
        Assert.True(status == 200, body);
        Assert.Contains("pong", body, StringComparison.Ordinal);
        Assert.NotNull(rewritten);

        await using var after = new FunctionsTestHost(new Dictionary<string, string?> { ["ConnectionStateProtection:Key"] = NewKey });
        await after.InitializeAsync();
        // The state written back during the overlap carries the new key, so the connection survives the rotation...
        var (kept, keptBody, _) = await SendCoreAsync(after, "c-rotating", WebPubSubConstants.EventTypes.User("message"), "message", """{"type":"ping"}""", "text/plain", rewritten);
        Assert.True(kept == 200, keptBody);
        // ...while the state made with the old key is refused once that key is gone.
        var (refused, _, _) = await SendCoreAsync(after, "c-rotating", WebPubSubConstants.EventTypes.User("message"), "message", """{"type":"ping"}""", "text/plain", oldState);
        Assert.Equal(401, refused);
    }

    private string HandWrittenOwnerState() =>
        Header(new ConnectionState { Authenticated = true, UserId = "mallory", RestaurantId = _victim, Role = Role.Owner }.ToJsonElement());

    private static string Header(JsonElement value) =>
        ConnectionStateCodec.Encode(new Dictionary<string, JsonElement> { [WebPubSubEventHandlerFunction.StateKey] = value });

    private static async Task<string> ConnectAsync(FunctionsTestHost host, string connectionId, string token)
    {
        var body = $$"""{"claims":{},"query":{"token":["{{token}}"]},"headers":{},"subprotocols":[],"clientCertificates":[]}""";
        var (status, text, state) = await SendCoreAsync(host, connectionId, WebPubSubConstants.EventTypes.Connect, "connect", body, "application/json", null);
        Assert.True(status == 200, text);
        return state ?? throw new InvalidOperationException("connect set no state");
    }

    private bool WasClosed(string connectionId) =>
        _host.Service.Invocations.Any(i => i.Method.Name == nameof(IWebPubSubServiceClient.CloseConnectionAsync) && (string)i.Arguments[0]! == connectionId);

    private Task<(int Status, string Body)> ResumeAsync(string connectionId, string? stateHeader) =>
        SendAsync(connectionId, WebPubSubConstants.EventTypes.User("message"), "message", """{"type":"resume","since":0}""", "text/plain", stateHeader);

    private async Task<(int Status, string Body)> SendAsync(string connectionId, string type, string eventName, string body, string contentType, string? stateHeader)
    {
        var (status, text, _) = await SendCoreAsync(_host, connectionId, type, eventName, body, contentType, stateHeader);
        return (status, text);
    }

    private static async Task<(int Status, string Body, string? State)> SendCoreAsync(FunctionsTestHost host, string connectionId, string type, string eventName, string body, string contentType, string? stateHeader)
    {
        var headers = new Dictionary<string, string>
        {
            [CloudEvents.SpecVersion] = "1.0",
            [CloudEvents.Type] = type,
            [CloudEvents.Source] = $"/hubs/restaurant/client/{connectionId}",
            [CloudEvents.Id] = Guid.NewGuid().ToString(),
            [CloudEvents.Hub] = "restaurant",
            [CloudEvents.ConnectionId] = connectionId,
            [CloudEvents.EventName] = eventName,
            [CloudEvents.AwpsVersion] = "1.0",
            [CloudEvents.Signature] = UpstreamSignature.Compute(connectionId, [FunctionsTestHost.AccessKey]),
            [WebHookRequestOrigin] = FunctionsTestHost.ServiceHost,
        };
        if (stateHeader is not null)
        {
            headers[CloudEvents.ConnectionState] = stateHeader;
        }

        var request = host.Request("POST", "/api/webpubsub", json: body, contentType: contentType, headers: headers);
        var function = host.Create<WebPubSubEventHandlerFunction>();
        var (status, text, responseHeaders) = await FunctionsTestHost.ExecuteAsync(request, await function.WebPubSubEvents(request, CancellationToken.None));
        var state = responseHeaders.TryGetValue(CloudEvents.ConnectionState, out var value) && value.Count > 0 ? value.ToString() : null;
        return (status, text, state);
    }

    private void AssertNothingOfTheVictimWasSent()
    {
        foreach (var (_, sent) in _host.Direct())
        {
            Assert.NotEqual(EventTypes.Replay, sent.Type);
            Assert.DoesNotContain("Secret soup", Encoding.UTF8.GetString(EventSerializer.ToUtf8(sent)), StringComparison.Ordinal);
        }
    }
}
