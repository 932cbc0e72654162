using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Moq;
using RestaurantOs.Functions.Functions;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Events;
using RestaurantOs.Realtime.Services;
using RestaurantOs.WebPubSub.Client;
using RestaurantOs.WebPubSub.Protocol;
using static RestaurantOs.WebPubSub.Protocol.WebPubSubConstants.Headers;

namespace RestaurantOs.Functions.Tests;

/// <summary>
/// The upstream function as Web PubSub calls it: signed CloudEvents requests in, replies and REST calls out.
/// The connection state round-trips through the <c>ce-connectionState</c> header exactly as the service carries it.
/// </summary>
public sealed class WebPubSubEventHandlerTests : IAsyncLifetime
{
    private readonly FunctionsTestHost _host = new();
    private readonly Guid _restaurant = Guid.NewGuid();
    private WebPubSubEventHandlerFunction _function = null!;

    public async ValueTask InitializeAsync()
    {
        await _host.InitializeAsync();
        _function = _host.Create<WebPubSubEventHandlerFunction>();
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private sealed class Connection(string id)
    {
        public string Id { get; } = id;
        public string? State { get; set; }
    }

    private static Dictionary<string, string> Headers(Connection connection, string type, string eventName, bool sign = true, string origin = FunctionsTestHost.ServiceHost)
    {
        var headers = new Dictionary<string, string>
        {
            [CloudEvents.SpecVersion] = "1.0",
            [CloudEvents.Type] = type,
            [CloudEvents.Source] = $"/hubs/restaurant/client/{connection.Id}",
            [CloudEvents.Id] = Guid.NewGuid().ToString(),
            [CloudEvents.Time] = DateTimeOffset.UtcNow.ToString("O"),
            [CloudEvents.Hub] = "restaurant",
            [CloudEvents.ConnectionId] = connection.Id,
            [CloudEvents.EventName] = eventName,
            [CloudEvents.AwpsVersion] = "1.0",
            [WebHookRequestOrigin] = origin,
        };
        if (sign)
        {
            headers[CloudEvents.Signature] = UpstreamSignature.Compute(connection.Id, [FunctionsTestHost.AccessKey]);
        }

        if (connection.State is not null)
        {
            headers[CloudEvents.ConnectionState] = connection.State;
        }

        return headers;
    }

    private async Task<(int Status, string Body)> SendAsync(Connection connection, string method, string type, string eventName, string? body, string contentType, bool sign = true, string origin = FunctionsTestHost.ServiceHost)
    {
        var request = _host.Request(method, "/api/webpubsub", json: body, contentType: contentType, headers: Headers(connection, type, eventName, sign, origin));
        var result = await _function.WebPubSubEvents(request, CancellationToken.None);
        var (status, text, headers) = await FunctionsTestHost.ExecuteAsync(request, result);
        if (headers.TryGetValue(CloudEvents.ConnectionState, out var state) && state.Count > 0)
        {
            connection.State = state.ToString();
        }

        return (status, text);
    }

    private Task<(int Status, string Body)> ConnectAsync(Connection connection, string? token, bool sign = true) =>
        SendAsync(connection, "POST", WebPubSubConstants.EventTypes.Connect, "connect",
            token is null
                ? """{"claims":{},"query":{},"headers":{},"subprotocols":[],"clientCertificates":[]}"""
                : $$"""{"claims":{},"query":{"token":["{{token}}"]},"headers":{},"subprotocols":[],"clientCertificates":[]}""",
            "application/json", sign);

    private async Task<RealtimeEvent?> MessageAsync(Connection connection, string frame)
    {
        var (status, body) = await SendAsync(connection, "POST", WebPubSubConstants.EventTypes.User("message"), "message", frame, "text/plain");
        Assert.True(status is 200 or 204, $"status {status}: {body}");
        return body.Length == 0 ? null : EventSerializer.FromUtf8(Encoding.UTF8.GetBytes(body));
    }

    private List<string> GroupsAdded(string connectionId) =>
        [.. _host.Service.Invocations
            .Where(i => i.Method.Name == nameof(IWebPubSubServiceClient.AddConnectionToGroupAsync) && (string)i.Arguments[1]! == connectionId)
            .Select(i => (string)i.Arguments[0]!)];

    private bool WasClosed(string connectionId, string reason) =>
        _host.Service.Invocations.Any(i => i.Method.Name == nameof(IWebPubSubServiceClient.CloseConnectionAsync)
            && (string)i.Arguments[0]! == connectionId && (string?)i.Arguments[1] == reason);

    [Fact]
    public async Task Abuse_protection_accepts_the_service_origin_and_refuses_others()
    {
        var ok = _host.Request("OPTIONS", "/api/webpubsub", headers: new Dictionary<string, string> { [WebHookRequestOrigin] = FunctionsTestHost.ServiceHost });
        var (status, _, headers) = await FunctionsTestHost.ExecuteAsync(ok, await _function.WebPubSubEvents(ok, CancellationToken.None));
        Assert.Equal(200, status);
        Assert.Equal(FunctionsTestHost.ServiceHost, headers[WebHookAllowedOrigin].ToString());

        var evil = _host.Request("OPTIONS", "/api/webpubsub", headers: new Dictionary<string, string> { [WebHookRequestOrigin] = "evil.example" });
        var (refused, _, _) = await FunctionsTestHost.ExecuteAsync(evil, await _function.WebPubSubEvents(evil, CancellationToken.None));
        Assert.Equal(401, refused);
    }

    [Fact]
    public async Task Unsigned_or_foreign_requests_get_401_and_change_nothing()
    {
        var connection = new Connection("c-unsigned");
        var (unsigned, _) = await ConnectAsync(connection, _host.Token(_restaurant, Role.Kitchen), sign: false);
        Assert.Equal(401, unsigned);

        var (foreign, _) = await SendAsync(connection, "POST", WebPubSubConstants.EventTypes.Connect, "connect", "{}", "application/json", origin: "evil.example");
        Assert.Equal(401, foreign);
        Assert.Null(connection.State);
        Assert.DoesNotContain(_host.Service.Invocations, i => i.Method.Name != "get_Hub" && i.Method.Name != "get_Endpoint");
    }

    [Fact]
    public async Task Connect_with_a_valid_token_sets_user_groups_and_state()
    {
        var connection = new Connection("c-valid");
        var (status, body) = await ConnectAsync(connection, _host.Token(_restaurant, Role.Kitchen, "cook-1"));

        Assert.Equal(200, status);
        var reply = FunctionsTestHost.Json(body);
        Assert.Equal("cook-1", reply.GetProperty("userId").GetString());
        var groups = reply.GetProperty("groups").EnumerateArray().Select(g => g.GetString()!).ToList();
        Assert.NotEmpty(groups);
        Assert.All(groups, g => Assert.Contains(_restaurant.ToString("N"), g, StringComparison.Ordinal));
        Assert.NotNull(connection.State);

        var pong = await MessageAsync(connection, """{"type":"ping"}""");
        Assert.Equal(EventTypes.Pong, pong!.Type);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("expired")]
    [InlineData("foreign-key")]
    public async Task Connect_with_a_bad_token_is_refused_with_401(string kind)
    {
        var token = kind switch
        {
            "expired" => AppTokenIssuer.CreateHs256(FunctionsTestHost.SigningKey, FunctionsTestHost.Issuer, FunctionsTestHost.Audience, "u", _restaurant, Role.Kitchen, null, _host.Time.GetUtcNow().AddHours(-2), _host.Time.GetUtcNow().AddHours(-1)),
            "foreign-key" => AppTokenIssuer.CreateHs256("another-signing-key-0123456789-0123456789", FunctionsTestHost.Issuer, FunctionsTestHost.Audience, "u", _restaurant, Role.Kitchen, null, _host.Time.GetUtcNow().AddMinutes(-1), _host.Time.GetUtcNow().AddHours(1)),
            _ => "garbage",
        };
        var (status, body) = await ConnectAsync(new Connection("c-bad"), token);
        Assert.Equal(401, status);
        Assert.Contains("UNAUTHORIZED", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pending_connection_authenticates_with_its_first_message()
    {
        var connection = new Connection("c-pending");
        var (status, body) = await ConnectAsync(connection, token: null);
        Assert.Equal(200, status);
        var pendingGroup = FunctionsTestHost.Json(body).GetProperty("groups").EnumerateArray().Single().GetString()!;

        var refused = await MessageAsync(connection, """{"type":"subscribe","events":["order:created"]}""");
        Assert.Equal("NOT_AUTHENTICATED", refused!.Data!.Value.GetProperty("code").GetString());

        var reply = await MessageAsync(connection, $$"""{"type":"auth","token":"{{_host.Token(_restaurant, Role.Server)}}"}""");
        Assert.Equal(EventTypes.Authenticated, reply!.Type);
        Assert.NotEmpty(GroupsAdded(connection.Id));
        Assert.Contains(_host.Service.Invocations, i => i.Method.Name == nameof(IWebPubSubServiceClient.RemoveConnectionFromGroupAsync)
            && (string)i.Arguments[0]! == pendingGroup && (string)i.Arguments[1]! == connection.Id);
    }

    [Fact]
    public async Task A_bad_token_in_auth_sends_an_error_and_closes()
    {
        var connection = new Connection("c-auth-bad");
        await ConnectAsync(connection, token: null);
        var reply = await MessageAsync(connection, """{"type":"auth","token":"nope"}""");

        Assert.Null(reply);
        Assert.True(WasClosed(connection.Id, "UNAUTHORIZED"));
        Assert.Contains(_host.Direct(), d => d.ConnectionId == connection.Id && d.Event.Data!.Value.GetProperty("code").GetString() == "UNAUTHORIZED");
    }

    [Fact]
    public async Task A_message_naming_another_restaurant_closes_the_connection()
    {
        var connection = new Connection("c-tenant");
        await ConnectAsync(connection, _host.Token(_restaurant, Role.Manager));
        var reply = await MessageAsync(connection, $$"""{"type":"subscribe","events":["order:created"],"restaurant_id":"{{Guid.NewGuid()}}"}""");

        Assert.Null(reply);
        Assert.True(WasClosed(connection.Id, "TENANT_VIOLATION"));
    }

    [Fact]
    public async Task A_frame_over_64_KB_is_refused_and_the_connection_closed()
    {
        var connection = new Connection("c-big");
        await ConnectAsync(connection, _host.Token(_restaurant, Role.Manager));
        await MessageAsync(connection, $$"""{"type":"ping","pad":"{{new string('x', 70_000)}}"}""");

        Assert.True(WasClosed(connection.Id, "MESSAGE_TOO_BIG"));
    }

    [Fact]
    public async Task The_101st_message_in_a_minute_is_rate_limited_with_state_kept_in_the_connection()
    {
        var connection = new Connection("c-rate");
        await ConnectAsync(connection, _host.Token(_restaurant, Role.Manager));
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(EventTypes.Pong, (await MessageAsync(connection, """{"type":"ping"}"""))!.Type);
        }

        var limited = await MessageAsync(connection, """{"type":"ping"}""");
        Assert.Equal("RATE_LIMITED", limited!.Data!.Value.GetProperty("code").GetString());

        _host.Time.Advance(TimeSpan.FromMinutes(1.1));
        Assert.Equal(EventTypes.Pong, (await MessageAsync(connection, """{"type":"ping"}"""))!.Type);
    }

    [Theory]
    [InlineData("{oops", "INVALID_MESSAGE")]
    [InlineData("""{"type":"dance"}""", "UNKNOWN_TYPE")]
    [InlineData("""{"type":"subscribe","events":["order:eaten"]}""", "UNKNOWN_EVENT")]
    [InlineData("""{"type":"subscribe","events":["order:created"],"filters":{"table_number":"T5~payment"}}""", "INVALID_FILTER")]
    public async Task Bad_messages_get_a_coded_error_and_the_connection_stays(string frame, string code)
    {
        var connection = new Connection("c-bad-frame");
        await ConnectAsync(connection, _host.Token(_restaurant, Role.Manager));
        var reply = await MessageAsync(connection, frame);

        Assert.Equal(EventTypes.Error, reply!.Type);
        Assert.Equal(code, reply.Data!.Value.GetProperty("code").GetString());
        Assert.DoesNotContain(_host.Service.Invocations, i => i.Method.Name == nameof(IWebPubSubServiceClient.CloseConnectionAsync));
    }

    [Fact]
    public async Task Kitchen_cannot_subscribe_to_payments_and_an_11th_subscription_is_refused()
    {
        var kitchen = new Connection("c-kitchen");
        await ConnectAsync(kitchen, _host.Token(_restaurant, Role.Kitchen));
        var forbidden = await MessageAsync(kitchen, """{"type":"subscribe","events":["payment:processed"]}""");
        Assert.Equal("FORBIDDEN", forbidden!.Data!.Value.GetProperty("code").GetString());

        var manager = new Connection("c-manager");
        await ConnectAsync(manager, _host.Token(_restaurant, Role.Manager));
        for (var i = 1; i <= 10; i++)
        {
            var ok = await MessageAsync(manager, $$$"""{"type":"subscribe","events":["order:created"],"filters":{"table_number":"T{{{i}}}"}}""");
            Assert.True(ok!.Type == EventTypes.Subscribed, $"subscription {i}: {ok.Data}");
        }

        var eleventh = await MessageAsync(manager, """{"type":"subscribe","events":["order:created"],"filters":{"table_number":"T11"}}""");
        Assert.Equal("SUBSCRIPTION_LIMIT", eleventh!.Data!.Value.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Resume_replays_what_the_connection_may_see_in_seq_order()
    {
        var orders = _host.Create<OrderFunctions>();
        for (var i = 0; i < 3; i++)
        {
            var request = _host.Request("POST", "/api/orders", _host.Token(_restaurant, Role.Server), """{"items":[{"name":"Tea","quantity":1,"price":300}]}""");
            await FunctionsTestHost.ExecuteAsync(request, await orders.CreateOrder(request, CancellationToken.None));
        }

        await _host.Services.GetRequiredService<EventPipeline>().PumpAsync(CancellationToken.None);
        var connection = new Connection("c-resume");
        await ConnectAsync(connection, _host.Token(_restaurant, Role.Kitchen));

        var replay = await MessageAsync(connection, """{"type":"resume","since":1}""");
        Assert.Equal(EventTypes.Replay, replay!.Type);
        var seqs = replay.Data!.Value.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("seq").GetInt64()).ToList();
        Assert.Equal([2L, 3L], seqs);
    }

    [Fact]
    public async Task Auth_grace_sweep_closes_the_expired_pending_bucket()
    {
        var connection = new Connection("c-slow");
        var (_, body) = await ConnectAsync(connection, token: null);
        var pendingGroup = FunctionsTestHost.Json(body).GetProperty("groups").EnumerateArray().Single().GetString()!;
        var sweeper = _host.Services.GetRequiredService<AuthGraceSweeper>();

        await sweeper.SweepAsync(CancellationToken.None);
        Assert.DoesNotContain(_host.Service.Invocations, i => i.Method.Name == nameof(IWebPubSubServiceClient.CloseGroupConnectionsAsync) && (string)i.Arguments[0]! == pendingGroup);

        _host.Time.Advance(TimeSpan.FromSeconds(13));
        await sweeper.SweepAsync(CancellationToken.None);
        Assert.Contains(_host.Service.Invocations, i => i.Method.Name == nameof(IWebPubSubServiceClient.CloseGroupConnectionsAsync)
            && (string)i.Arguments[0]! == pendingGroup && (string?)i.Arguments[2] == "AUTH_TIMEOUT");
    }

    [Fact]
    public async Task Negotiate_returns_a_client_url_carrying_the_app_token()
    {
        _host.Service.Setup(s => s.GetClientAccessAsync(It.IsAny<string>(), It.IsAny<IEnumerable<string>>(), It.IsAny<IEnumerable<string>>(), It.IsAny<TimeSpan>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new NegotiateResponse("wss://wps/client/hubs/restaurant", "wss://wps/client/hubs/restaurant?access_token=svc", "svc"));
        var negotiate = _host.Create<NegotiateFunction>();
        var token = _host.Token(_restaurant, Role.Kitchen);

        var request = _host.Request("GET", "/api/negotiate", token);
        var (status, body, _) = await FunctionsTestHost.ExecuteAsync(request, await negotiate.Negotiate(request, CancellationToken.None));
        Assert.Equal(200, status);
        var reply = FunctionsTestHost.Json(body);
        Assert.Equal("svc", reply.GetProperty("accessToken").GetString());
        Assert.EndsWith("&token=" + Uri.EscapeDataString(token), reply.GetProperty("url").GetString(), StringComparison.Ordinal);

        var anonymous = _host.Request("GET", "/api/negotiate");
        Assert.Equal(401, (await FunctionsTestHost.ExecuteAsync(anonymous, await negotiate.Negotiate(anonymous, CancellationToken.None))).Status);
    }
}
