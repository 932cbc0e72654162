using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RestaurantOs.WebPubSub.Protocol;
using RestaurantOs.WebPubSub.Tests.Infrastructure;
using RestaurantOs.WebPubSub.Upstream;

namespace RestaurantOs.WebPubSub.Tests.Upstream;

public sealed class UpstreamCodecTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private UpstreamHost _host = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _host = await UpstreamHost.StartWithKeyAsync();

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    private Task<HttpResponseMessage> Send(HttpRequestMessage request) => _host.Client.SendAsync(request, Ct).WaitAsync(Timeout, Ct);

    private static JsonElement Json(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    [Fact]
    public async Task Abuse_protection_preflight_echoes_an_allowed_origin()
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, "/upstream");
        request.Headers.TryAddWithoutValidation("WebHook-Request-Origin", UpstreamHost.Origin.ToUpperInvariant());
        request.Headers.TryAddWithoutValidation("ce-awpsversion", "1.0");
        using var response = await Send(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([UpstreamHost.Origin.ToUpperInvariant()], response.Headers.GetValues("WebHook-Allowed-Origin"));
        Assert.Empty(_host.Received);
    }

    [Theory]
    [InlineData("evil.example.com")]
    [InlineData("")]
    public async Task Abuse_protection_preflight_rejects_other_origins(string origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, "/upstream");
        request.Headers.TryAddWithoutValidation("WebHook-Request-Origin", origin);
        using var response = await Send(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.False(response.Headers.Contains("WebHook-Allowed-Origin"));
    }

    [Fact]
    public async Task Abuse_protection_get_fallback_is_answered_too()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/upstream");
        request.Headers.TryAddWithoutValidation("WebHook-Request-Origin", "other.example, " + UpstreamHost.Origin);
        using var response = await Send(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([UpstreamHost.Origin], response.Headers.GetValues("WebHook-Allowed-Origin"));
    }

    [Fact]
    public async Task Wildcard_origin_is_answered_with_a_star_only_when_configured()
    {
        await using var host = await UpstreamHost.StartAsync(new Dictionary<string, string?>
        {
            ["WebPubSub:Upstream:AccessKeys:0"] = UpstreamHost.Key,
            ["WebPubSub:Upstream:AllowedOrigins:0"] = "*",
        });
        using var request = new HttpRequestMessage(HttpMethod.Options, "/upstream");
        request.Headers.TryAddWithoutValidation("WebHook-Request-Origin", "anything.example");
        using var response = await host.Client.SendAsync(request, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["*"], response.Headers.GetValues("WebHook-Allowed-Origin"));
    }

    [Fact]
    public async Task Connect_is_parsed_and_answered_with_overrides_and_state()
    {
        ConnectRequest? seen = null;
        _host.OnConnect = connect =>
        {
            seen = connect;
            return new ConnectEventResponse
            {
                UserId = "user-9",
                Groups = ["r1:all"],
                Roles = ["webpubsub.joinLeaveGroup.r1:all"],
                Subprotocol = "json.webpubsub.azure.v1",
                ConnectionStateUpdates = new Dictionary<string, JsonElement?> { ["restaurant"] = Json("\"r1\"") },
            };
        };
        var body = """
            {"claims":{"sub":["user-1"],"role":["a","b"],"exp":["1800000000"]},
             "query":{"access_token":["t"],"restaurant":["r1"]},
             "headers":{"User-Agent":["test"],"X-Multi":["1","2"]},
             "subprotocols":["json.webpubsub.azure.v1","json.reliable.webpubsub.azure.v1"],
             "clientCertificates":[{"thumbprint":"ABC","content":"-----BEGIN CERTIFICATE-----"}]}
            """;
        using var response = await Send(UpstreamHost.Event(WebPubSubConstants.EventTypes.Connect, "connect", UpstreamHost.Utf8(body)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(seen);
        Assert.Equal("restaurant", seen.Hub);
        Assert.Equal("conn-1", seen.ConnectionId);
        Assert.Equal("user-1", seen.UserId);
        Assert.Equal("connect", seen.EventName);
        Assert.Equal(UpstreamHost.Origin, seen.Origin);
        Assert.Equal(["a", "b"], seen.Claims["role"]);
        Assert.Equal("r1", seen.GetQuery("restaurant"));
        Assert.Equal(["1", "2"], seen.Headers["x-multi"]);
        Assert.Equal("test", seen.GetHeader("user-agent"));
        Assert.Equal(["json.webpubsub.azure.v1", "json.reliable.webpubsub.azure.v1"], seen.Subprotocols);
        Assert.Equal("ABC", Assert.Single(seen.ClientCertificates).Thumbprint);

        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("user-9", answer.RootElement.GetProperty("userId").GetString());
        Assert.Equal(["r1:all"], answer.RootElement.GetProperty("groups").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["webpubsub.joinLeaveGroup.r1:all"], answer.RootElement.GetProperty("roles").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("json.webpubsub.azure.v1", answer.RootElement.GetProperty("subprotocol").GetString());

        var state = ConnectionStateCodec.Decode(Assert.Single(response.Headers.GetValues("ce-connectionState")));
        Assert.Equal("r1", state["restaurant"].GetString());
    }

    [Fact]
    public async Task Connect_without_overrides_is_204_and_empty_body_is_allowed()
    {
        using var response = await Send(UpstreamHost.Event(WebPubSubConstants.EventTypes.Connect, "connect", []));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var connect = Assert.IsType<ConnectRequest>(Assert.Single(_host.Received));
        Assert.Empty(connect.Claims);
        Assert.False(response.Headers.Contains("ce-connectionState"));
    }

    [Theory]
    [InlineData(UpstreamErrorCode.Unauthorized, HttpStatusCode.Unauthorized)]
    [InlineData(UpstreamErrorCode.UserError, HttpStatusCode.BadRequest)]
    [InlineData(UpstreamErrorCode.ServerError, HttpStatusCode.InternalServerError)]
    public async Task Connect_errors_map_to_401_400_500_with_a_text_body(UpstreamErrorCode code, HttpStatusCode expected)
    {
        _host.ConnectError = (code, "token expired");
        using var response = await Send(UpstreamHost.Event(WebPubSubConstants.EventTypes.Connect, "connect", UpstreamHost.Utf8("{}")));

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("token expired", await response.Content.ReadAsStringAsync(Ct));
    }

    [Theory]
    [InlineData("text/plain; charset=utf-8", WebPubSubDataType.Text)]
    [InlineData("application/json", WebPubSubDataType.Json)]
    [InlineData("application/octet-stream", WebPubSubDataType.Binary)]
    [InlineData(null, WebPubSubDataType.Binary)]
    public async Task User_events_map_the_content_type_and_the_reply_keeps_it(string? contentType, WebPubSubDataType expected)
    {
        var payload = expected == WebPubSubDataType.Json ? UpstreamHost.Utf8("""{"type":"ping"}""") : [1, 2, 3, 0x68];
        using var request = UpstreamHost.Event(WebPubSubConstants.EventTypes.User("message"), "message", payload, contentType);
        using var response = await Send(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var user = Assert.IsType<UserEventRequest>(Assert.Single(_host.Received));
        Assert.Equal(expected, user.DataType);
        Assert.Equal("message", user.EventName);
        Assert.Equal("azure.webpubsub.user.message", user.EventType);
        Assert.Equal(payload, user.Data.ToArray());
        Assert.Equal(WebPubSubDataTypes.ToContentType(expected), response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(payload, await response.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task User_event_state_is_decoded_merged_and_returned()
    {
        var incoming = ConnectionStateCodec.Encode([new("count", Json("4")), new("keep", Json("\"x\"")), new("drop", Json("true"))]);
        using var response = await Send(UpstreamHost.User("subscribe", "application/json", UpstreamHost.Utf8("{}"), incoming));

        var user = Assert.IsType<UserEventRequest>(Assert.Single(_host.Received));
        Assert.Equal(4, user.ConnectionState["count"].GetInt32());
        Assert.Equal("json.webpubsub.azure.v1", user.Subprotocol);

        var state = ConnectionStateCodec.Decode(Assert.Single(response.Headers.GetValues("ce-connectionState")));
        Assert.Equal(5, state["count"].GetInt32());
        Assert.Equal("x", state["keep"].GetString());
        Assert.False(state.ContainsKey("drop"));
    }

    [Fact]
    public async Task User_event_without_reply_is_204_without_state()
    {
        _host.OnUserEvent = _ => null;
        using var response = await Send(UpstreamHost.User("message", "text/plain", UpstreamHost.Utf8("hi")));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.False(response.Headers.Contains("ce-connectionState"));
        Assert.Equal("hi", Assert.IsType<UserEventRequest>(Assert.Single(_host.Received)).GetText());
    }

    [Fact]
    public async Task Connected_and_disconnected_are_parsed_and_accepted()
    {
        using (var connected = await Send(UpstreamHost.Event(WebPubSubConstants.EventTypes.Connected, "connected", UpstreamHost.Utf8("{}"), subprotocol: "json.webpubsub.azure.v1")))
        {
            Assert.Equal(HttpStatusCode.NoContent, connected.StatusCode);
        }

        using (var disconnected = await Send(UpstreamHost.Event(WebPubSubConstants.EventTypes.Disconnected, "disconnected", UpstreamHost.Utf8("""{"reason":"client closed"}"""), userId: null)))
        {
            Assert.Equal(HttpStatusCode.NoContent, disconnected.StatusCode);
        }

        var received = _host.Received.ToArray();
        var first = Assert.IsType<ConnectedRequest>(received[0]);
        Assert.Equal("json.webpubsub.azure.v1", first.Subprotocol);
        var second = Assert.IsType<DisconnectedRequest>(received[1]);
        Assert.Equal("client closed", second.Reason);
        Assert.Null(second.UserId);
    }

    public static TheoryData<string, string?, string?, HttpStatusCode> Rejections => new()
    {
        // case, signature, origin, expected status
        { "wrong signature", "sha256=0000000000000000000000000000000000000000000000000000000000000000", UpstreamHost.Origin, HttpStatusCode.Unauthorized },
        { "signature of another key", UpstreamSignature.Compute("conn-1", ["another-key"]), UpstreamHost.Origin, HttpStatusCode.Unauthorized },
        { "missing signature", null, UpstreamHost.Origin, HttpStatusCode.Unauthorized },
        { "unknown origin", "compute", "evil.example.com", HttpStatusCode.Unauthorized },
        { "missing origin", "compute", null, HttpStatusCode.Unauthorized },
    };

    [Theory]
    [MemberData(nameof(Rejections))]
    public async Task Unauthenticated_requests_are_rejected_and_never_reach_the_handler(string name, string? signature, string? origin, HttpStatusCode expected)
    {
        using var response = await Send(UpstreamHost.Event(WebPubSubConstants.EventTypes.Connect, "connect", UpstreamHost.Utf8("{}"), signature: signature, origin: origin));

        Assert.True(expected == response.StatusCode, name);
        Assert.Empty(_host.Received);
    }

    [Fact]
    public async Task Upstream_outcomes_are_counted_by_event_type()
    {
        await using var host = await UpstreamHost.StartWithKeyAsync();
        using var collector = new Microsoft.Extensions.Diagnostics.Metrics.Testing.MetricCollector<long>(
            host.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), WebPubSubTelemetry.MeterName, "webpubsub.upstream.requests");

        using (var accepted = await host.Client.SendAsync(UpstreamHost.User("message", "text/plain", UpstreamHost.Utf8("x")), Ct).WaitAsync(Timeout, Ct))
        using (var rejected = await host.Client.SendAsync(UpstreamHost.Event(WebPubSubConstants.EventTypes.Connect, "connect", signature: null), Ct).WaitAsync(Timeout, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, rejected.StatusCode);
        }

        var measurements = collector.GetMeasurementSnapshot();
        Assert.Contains(measurements, m => (string?)m.Tags["event_type"] == "user" && (string?)m.Tags["outcome"] == "accepted");
        Assert.Contains(measurements, m => (string?)m.Tags["event_type"] == "connect" && (string?)m.Tags["outcome"] == "rejected");
    }

    [Fact]
    public async Task A_signature_with_the_secondary_key_is_accepted_when_both_are_configured()
    {
        await using var host = await UpstreamHost.StartWithKeyAsync("secondary-key");
        using var request = UpstreamHost.Event(WebPubSubConstants.EventTypes.Connected, "connected", signature: UpstreamSignature.Compute("conn-1", ["rotated-out", "secondary-key"]));
        using var response = await host.Client.SendAsync(request, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Single(host.Received);
    }

    [Fact]
    public async Task Bad_requests_get_400_with_a_reason_and_change_nothing()
    {
        var cases = new List<HttpRequestMessage>
        {
            UpstreamHost.Event("azure.webpubsub.sys.unknown", "unknown"),
            UpstreamHost.Event(WebPubSubConstants.EventTypes.Connect, "connect", UpstreamHost.Utf8("{not json")),
            UpstreamHost.Event(WebPubSubConstants.EventTypes.Connect, "connect", UpstreamHost.Utf8("[1]")),
            UpstreamHost.Event(WebPubSubConstants.EventTypes.Disconnected, "disconnected", UpstreamHost.Utf8("oops")),
            UpstreamHost.Event(WebPubSubConstants.EventTypes.Connected, "connected", state: "not-base64!"),
            UpstreamHost.User("message", "text/html", UpstreamHost.Utf8("<b>")),
        };
        var missingHub = UpstreamHost.Event(WebPubSubConstants.EventTypes.Connected, "connected");
        missingHub.Headers.Remove("ce-hub");
        cases.Add(missingHub);

        foreach (var request in cases)
        {
            using (request)
            using (var response = await Send(request))
            {
                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
                Assert.False(string.IsNullOrWhiteSpace(await response.Content.ReadAsStringAsync(Ct)));
            }
        }

        Assert.Empty(_host.Received);
    }

    [Fact]
    public async Task Oversized_bodies_get_413()
    {
        await using var host = await UpstreamHost.StartAsync(new Dictionary<string, string?>
        {
            ["WebPubSub:ConnectionString"] = $"Endpoint=https://{UpstreamHost.Origin};AccessKey={UpstreamHost.Key};",
            ["WebPubSub:Upstream:MaxRequestBodyBytes"] = "2048",
        });
        using var response = await host.Client.SendAsync(UpstreamHost.User("message", "application/octet-stream", new byte[4096]), Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(host.Received);
    }

    [Fact]
    public async Task Non_post_events_get_405()
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "/upstream");
        request.Headers.TryAddWithoutValidation("ce-type", WebPubSubConstants.EventTypes.Connected);
        using var response = await Send(request);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public async Task Identity_mode_requires_the_authenticator_awpsversion_and_an_allowed_origin()
    {
        await using var host = await UpstreamHost.StartAsync(
            new Dictionary<string, string?> { ["WebPubSub:Endpoint"] = $"https://{UpstreamHost.Origin}" },
            services => services.AddSingleton<IUpstreamRequestAuthenticator>(new BearerIs("from-web-pubsub")));

        using var unauthenticated = UpstreamHost.Event(WebPubSubConstants.EventTypes.Connected, "connected", signature: null);
        using (var rejected = await host.Client.SendAsync(unauthenticated, Ct).WaitAsync(Timeout, Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, rejected.StatusCode);
        }

        using var authenticated = UpstreamHost.Event(WebPubSubConstants.EventTypes.Connected, "connected", signature: null);
        authenticated.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "from-web-pubsub");
        using (var accepted = await host.Client.SendAsync(authenticated, Ct).WaitAsync(Timeout, Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, accepted.StatusCode);
        }

        using var noVersion = UpstreamHost.Event(WebPubSubConstants.EventTypes.Connected, "connected", signature: null);
        noVersion.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "from-web-pubsub");
        noVersion.Headers.Remove("ce-awpsversion");
        using (var rejected = await host.Client.SendAsync(noVersion, Ct).WaitAsync(Timeout, Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, rejected.StatusCode);
        }

        using var wrongOrigin = UpstreamHost.Event(WebPubSubConstants.EventTypes.Connected, "connected", signature: null, origin: "evil.example");
        wrongOrigin.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "from-web-pubsub");
        using (var rejected = await host.Client.SendAsync(wrongOrigin, Ct).WaitAsync(Timeout, Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, rejected.StatusCode);
        }

        Assert.Single(host.Received);
    }

    [Fact]
    public void Identity_mode_without_an_authenticator_cannot_be_constructed()
    {
        var options = new WebPubSubUpstreamOptions();
        options.AllowedOrigins.Add(UpstreamHost.Origin);

        var error = Assert.Throws<InvalidOperationException>(() => new WebPubSubUpstreamCodec(Options.Create(options)));
        Assert.Contains("WebPubSub:Upstream:Token", error.Message, StringComparison.Ordinal);
    }

    private sealed class BearerIs(string expected) : IUpstreamRequestAuthenticator
    {
        public Task<UpstreamAuthentication> AuthenticateAsync(HttpRequest request, CancellationToken cancellationToken) =>
            Task.FromResult(request.Headers.Authorization.ToString() == "Bearer " + expected
                ? UpstreamAuthentication.Success
                : UpstreamAuthentication.Refused("no"));
    }

    [Fact]
    public async Task A_subprotocol_the_client_did_not_offer_is_a_handler_bug()
    {
        var context = new DefaultHttpContext();
        var request = new ConnectRequest { Hub = "h", ConnectionId = "c", EventType = WebPubSubConstants.EventTypes.Connect, EventName = "connect", Subprotocols = ["json.webpubsub.azure.v1"] };
        await Assert.ThrowsAsync<ArgumentException>(() => WebPubSubUpstreamCodec.WriteConnectResponseAsync(context.Response, request, new ConnectEventResponse { Subprotocol = "mqtt" }, Ct));
    }

    [Fact]
    public void Defaults_come_from_the_connection_string()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["WebPubSub:ConnectionString"] = "Endpoint=http://localhost:8080;AccessKey=local-key;Version=1.0;",
        }).Build();
        using var provider = new ServiceCollection().AddLogging().AddWebPubSubUpstream(configuration).BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<WebPubSubUpstreamOptions>>().Value;
        Assert.Equal(["local-key"], options.AccessKeys);
        Assert.Equal(["localhost", "localhost:8080"], options.AllowedOrigins);
        Assert.NotNull(provider.GetRequiredService<WebPubSubUpstreamCodec>());
    }

    [Fact]
    public void Missing_configuration_fails_at_start_with_the_setting_named()
    {
        var configuration = new ConfigurationBuilder().Build();
        using var provider = new ServiceCollection().AddLogging().AddWebPubSubUpstream(configuration).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<WebPubSubUpstreamOptions>>().Value);
        Assert.Contains("WebPubSub:Upstream:AllowedOrigins", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_request_works_on_a_default_http_context_too()
    {
        // The Functions ASP.NET Core integration hands over a plain HttpRequest; nothing Kestrel-specific is needed.
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Headers["ce-type"] = WebPubSubConstants.EventTypes.Disconnected;
        context.Request.Headers["ce-hub"] = "restaurant";
        context.Request.Headers["ce-connectionId"] = "c9";
        context.Request.Headers["ce-eventName"] = "disconnected";
        context.Request.Headers["ce-signature"] = UpstreamSignature.Compute("c9", [UpstreamHost.Key]);
        context.Request.Headers["WebHook-Request-Origin"] = UpstreamHost.Origin;
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes("""{"reason":"bye"}"""));
        using var codec = new WebPubSubUpstreamCodec(Options.Create(NewOptions()));

        var result = await codec.ReadRequestAsync(context.Request, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal("bye", Assert.IsType<DisconnectedRequest>(result).Reason);
    }

    private static WebPubSubUpstreamOptions NewOptions()
    {
        var options = new WebPubSubUpstreamOptions();
        options.AccessKeys.Add(UpstreamHost.Key);
        options.AllowedOrigins.Add("https://" + UpstreamHost.Origin);
        return options;
    }
}
