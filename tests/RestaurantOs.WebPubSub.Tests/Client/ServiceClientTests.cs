using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using System.Diagnostics.Metrics;
using RestaurantOs.WebPubSub.Client;
using RestaurantOs.WebPubSub.Protocol;
using RestaurantOs.WebPubSub.Tests.Infrastructure;

namespace RestaurantOs.WebPubSub.Tests.Client;

public sealed class ServiceClientTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private RecordingServer _server = null!;
    private ServiceProvider _provider = null!;
    private IWebPubSubServiceClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await RecordingServer.StartAsync();
        _provider = ClientFactory.Build(_server.BaseUri);
        _client = _provider.GetRequiredService<IWebPubSubServiceClient>();
    }

    public async ValueTask DisposeAsync()
    {
        await _provider.DisposeAsync();
        await _server.DisposeAsync();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void AssertAuthorizedFor(RecordedRequest request)
    {
        Assert.NotNull(request.Authorization);
        Assert.StartsWith("Bearer ", request.Authorization, StringComparison.Ordinal);
        var token = request.Authorization["Bearer ".Length..];
        var payload = Protocol.AccessKeyTokenTests.DecodePart(token, 1);
        // The SDKs' choice: aud is the full request URL including the query string.
        Assert.Equal(request.AbsoluteUrl, payload.GetProperty("aud").GetString());
        Assert.True(AccessKeyToken.TryValidate(token, [ClientFactory.AccessKey], [request.AbsoluteUrl], DateTimeOffset.UtcNow, out _, out var error), error);
    }

    [Fact]
    public async Task SendToAll_posts_text_to_the_colon_send_path_with_api_version_and_a_jwt_for_the_url()
    {
        await _client.SendToAllAsync(WebPubSubMessage.Text("héllo"), cancellationToken: Ct).WaitAsync(Timeout, Ct);

        var request = Assert.Single(_server.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/api/hubs/restaurant/:send?api-version=2024-12-01", request.RawTarget);
        Assert.Equal("text/plain", request.ContentType);
        Assert.Equal("héllo", Encoding.UTF8.GetString(request.Body));
        AssertAuthorizedFor(request);
    }

    [Fact]
    public async Task SendToGroup_sends_json_with_repeated_excluded_keys_filter_and_ttl()
    {
        var options = new WebPubSubSendOptions { Excluded = ["c1", "c2"], Filter = "userId ne 'u''1'", MessageTtlSeconds = 30 };
        await _client.SendToGroupAsync("r:1/kitchen", WebPubSubMessage.Json("""{"type":"order:created"}"""), options, Ct).WaitAsync(Timeout, Ct);

        var request = Assert.Single(_server.Requests);
        Assert.Equal("/api/hubs/restaurant/groups/r%3A1%2Fkitchen/:send", request.RawTarget[..request.RawTarget.IndexOf('?', StringComparison.Ordinal)]);
        Assert.Equal(["2024-12-01"], request.Query["api-version"]);
        Assert.Equal(["c1", "c2"], request.Query["excluded"]);
        Assert.Equal(["userId ne 'u''1'"], request.Query["filter"]);
        Assert.Equal(["30"], request.Query["messageTtlSeconds"]);
        Assert.Contains("excluded=c1&excluded=c2", request.RawTarget, StringComparison.Ordinal);
        Assert.Equal("application/json", request.ContentType);
        Assert.Equal("""{"type":"order:created"}""", Encoding.UTF8.GetString(request.Body));
        AssertAuthorizedFor(request);
    }

    [Fact]
    public async Task SendToConnection_sends_binary_as_octet_stream()
    {
        byte[] payload = [0, 1, 2, 255];
        await _client.SendToConnectionAsync("conn-1", WebPubSubMessage.Binary(payload), 0, Ct).WaitAsync(Timeout, Ct);

        var request = Assert.Single(_server.Requests);
        Assert.Equal("/api/hubs/restaurant/connections/conn-1/:send", request.Path);
        Assert.Equal(["0"], request.Query["messageTtlSeconds"]);
        Assert.Equal("application/octet-stream", request.ContentType);
        Assert.Equal(payload, request.Body);
    }

    [Fact]
    public async Task Invalid_arguments_throw_before_any_request()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _client.SendToUserAsync("u1", WebPubSubMessage.Text("x"), new WebPubSubSendOptions { Excluded = ["c1"] }, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => _client.SendToGroupAsync("", WebPubSubMessage.Text("x"), null, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => _client.SendToGroupAsync("   ", WebPubSubMessage.Text("x"), null, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => _client.SendToGroupAsync(new string('g', 1025), WebPubSubMessage.Text("x"), null, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _client.SendToAllAsync(WebPubSubMessage.Text("x"), new WebPubSubSendOptions { MessageTtlSeconds = 301 }, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => _client.SendToAllAsync(WebPubSubMessage.Text("x"), new WebPubSubSendOptions { Filter = " " }, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => _client.AddConnectionToGroupAsync("g", "", Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => _client.AddConnectionsToGroupsAsync([], null, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _client.GetClientAccessTokenAsync("u", null, null, TimeSpan.Zero, Ct));
        Assert.Empty(_server.Requests);
    }

    public static TheoryData<string, string, string, string> Operations => new()
    {
        // name, method, path, extra query (key=value&..., without api-version)
        { "AddConnectionToGroup", "PUT", "/api/hubs/restaurant/groups/g1/connections/c1", "" },
        { "RemoveConnectionFromGroup", "DELETE", "/api/hubs/restaurant/groups/g1/connections/c1", "" },
        { "RemoveConnectionFromAllGroups", "DELETE", "/api/hubs/restaurant/connections/c1/groups", "" },
        { "AddUserToGroup", "PUT", "/api/hubs/restaurant/users/u1/groups/g1", "" },
        { "RemoveUserFromGroup", "DELETE", "/api/hubs/restaurant/users/u1/groups/g1", "" },
        { "RemoveUserFromAllGroups", "DELETE", "/api/hubs/restaurant/users/u1/groups", "" },
        { "CloseConnection", "DELETE", "/api/hubs/restaurant/connections/c1", "reason=bye now" },
        { "CloseGroupConnections", "POST", "/api/hubs/restaurant/groups/g1/:closeConnections", "excluded=c1&excluded=c2&reason=r" },
        { "CloseUserConnections", "POST", "/api/hubs/restaurant/users/u1/:closeConnections", "reason=r" },
        { "CloseAllConnections", "POST", "/api/hubs/restaurant/:closeConnections", "excluded=c9" },
        { "SendToUser", "POST", "/api/hubs/restaurant/users/u1/:send", "filter=connectionId ne 'c1'" },
        { "GrantPermission", "PUT", "/api/hubs/restaurant/permissions/sendToGroup/connections/c1", "targetName=g1" },
        { "RevokePermission", "DELETE", "/api/hubs/restaurant/permissions/joinLeaveGroup/connections/c1", "" },
    };

    private Task Invoke(string name) => name switch
    {
        "AddConnectionToGroup" => _client.AddConnectionToGroupAsync("g1", "c1", Ct),
        "RemoveConnectionFromGroup" => _client.RemoveConnectionFromGroupAsync("g1", "c1", Ct),
        "RemoveConnectionFromAllGroups" => _client.RemoveConnectionFromAllGroupsAsync("c1", Ct),
        "AddUserToGroup" => _client.AddUserToGroupAsync("g1", "u1", Ct),
        "RemoveUserFromGroup" => _client.RemoveUserFromGroupAsync("g1", "u1", Ct),
        "RemoveUserFromAllGroups" => _client.RemoveUserFromAllGroupsAsync("u1", Ct),
        "CloseConnection" => _client.CloseConnectionAsync("c1", "bye now", Ct),
        "CloseGroupConnections" => _client.CloseGroupConnectionsAsync("g1", ["c1", "c2"], "r", Ct),
        "CloseUserConnections" => _client.CloseUserConnectionsAsync("u1", null, "r", Ct),
        "CloseAllConnections" => _client.CloseAllConnectionsAsync(["c9"], null, Ct),
        "SendToUser" => _client.SendToUserAsync("u1", WebPubSubMessage.Text("x"), new WebPubSubSendOptions { Filter = "connectionId ne 'c1'" }, Ct),
        "GrantPermission" => _client.GrantPermissionAsync(WebPubSubPermissionKind.SendToGroup, "c1", "g1", Ct),
        "RevokePermission" => _client.RevokePermissionAsync(WebPubSubPermissionKind.JoinLeaveGroup, "c1", null, Ct),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task Each_operation_uses_the_documented_verb_path_and_query(string name, string method, string path, string extraQuery)
    {
        await Invoke(name).WaitAsync(Timeout, Ct);

        var request = Assert.Single(_server.Requests);
        Assert.Equal(method, request.Method);
        Assert.Equal(path, request.Path);
        Assert.Equal(["2024-12-01"], request.Query["api-version"]);
        var expected = extraQuery.Length == 0
            ? []
            : extraQuery.Split('&').Select(p => p.Split('=', 2)).GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.Select(p => p[1]).ToArray());
        Assert.Equal(expected.Count, request.Query.Count - 1);
        foreach (var (key, values) in expected)
        {
            Assert.Equal(values, request.Query[key]);
        }

        AssertAuthorizedFor(request);
    }

    [Fact]
    public async Task AddToGroups_posts_the_groups_and_filter_as_json()
    {
        await _client.AddConnectionsToGroupsAsync(["g1", "g2"], "userId eq 'u1'", Ct).WaitAsync(Timeout, Ct);
        await _client.RemoveConnectionsFromGroupsAsync(["g3"], null, Ct).WaitAsync(Timeout, Ct);

        var requests = _server.Requests;
        Assert.Equal("/api/hubs/restaurant/:addToGroups?api-version=2024-12-01", requests[0].RawTarget);
        Assert.Equal("application/json", requests[0].ContentType);
        using var add = JsonDocument.Parse(requests[0].Body);
        Assert.Equal(["g1", "g2"], add.RootElement.GetProperty("groups").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("userId eq 'u1'", add.RootElement.GetProperty("filter").GetString());

        Assert.Equal("/api/hubs/restaurant/:removeFromGroups?api-version=2024-12-01", requests[1].RawTarget);
        using var remove = JsonDocument.Parse(requests[1].Body);
        Assert.False(remove.RootElement.TryGetProperty("filter", out _));
    }

    [Fact]
    public async Task Head_existence_checks_map_200_to_true_and_404_to_false()
    {
        _server.Enqueue(new ScriptedResponse(200), new ScriptedResponse(404), new ScriptedResponse(404), new ScriptedResponse(200), new ScriptedResponse(404));

        Assert.True(await _client.ConnectionExistsAsync("c1", Ct).WaitAsync(Timeout, Ct));
        Assert.False(await _client.GroupExistsAsync("g1", Ct).WaitAsync(Timeout, Ct));
        Assert.False(await _client.UserExistsAsync("u1", Ct).WaitAsync(Timeout, Ct));
        Assert.True(await _client.CheckPermissionAsync(WebPubSubPermissionKind.SendToGroup, "c1", "g1", Ct).WaitAsync(Timeout, Ct));
        Assert.False(await _client.CheckPermissionAsync(WebPubSubPermissionKind.JoinLeaveGroup, "c1", null, Ct).WaitAsync(Timeout, Ct));

        var requests = _server.Requests;
        Assert.All(requests, r => Assert.Equal("HEAD", r.Method));
        Assert.Equal(
            ["/api/hubs/restaurant/connections/c1", "/api/hubs/restaurant/groups/g1", "/api/hubs/restaurant/users/u1", "/api/hubs/restaurant/permissions/sendToGroup/connections/c1", "/api/hubs/restaurant/permissions/joinLeaveGroup/connections/c1"],
            requests.Select(r => r.Path));
        Assert.Equal(["g1"], requests[3].Query["targetName"]);
    }

    [Fact]
    public async Task Head_with_another_error_status_throws()
    {
        _server.Enqueue(new ScriptedResponse(403, new Dictionary<string, string> { ["x-ms-error-code"] = "Error.Forbidden" }));
        var error = await Assert.ThrowsAsync<WebPubSubServiceException>(() => _client.ConnectionExistsAsync("c1", Ct)).WaitAsync(Timeout, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, error.StatusCode);
        Assert.Equal("Error.Forbidden", error.ErrorCode);
    }

    [Theory]
    [InlineData(503)]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(408)]
    public async Task Retryable_statuses_are_retried_until_success(int status)
    {
        var meterFactory = _provider.GetRequiredService<IMeterFactory>();
        using var retries = new MetricCollector<long>(meterFactory, WebPubSubTelemetry.MeterName, "webpubsub.rest.retries");
        _server.Enqueue(new ScriptedResponse(status), new ScriptedResponse(status), new ScriptedResponse(202));

        await _client.SendToGroupAsync("g1", WebPubSubMessage.Text("x"), null, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(3, _server.Requests.Count);
        Assert.All(_server.Requests, r => Assert.Equal("x", Encoding.UTF8.GetString(r.Body)));
        Assert.All(_server.Requests, AssertAuthorizedFor);
        var measurements = retries.GetMeasurementSnapshot();
        Assert.Equal(2, measurements.Count);
        Assert.All(measurements, m => Assert.Equal("SendToGroup", m.Tags["operation"]));
    }

    [Fact]
    public async Task Retry_after_seconds_is_honoured()
    {
        _server.Enqueue(new ScriptedResponse(429, new Dictionary<string, string> { ["Retry-After"] = "1" }), new ScriptedResponse(202));

        await _client.SendToAllAsync(WebPubSubMessage.Text("x"), null, Ct).WaitAsync(Timeout, Ct);

        var requests = _server.Requests;
        Assert.Equal(2, requests.Count);
        // A lower bound only: the client may not retry before the service's Retry-After (backoff alone would be ~10 ms).
        Assert.True(Stopwatch.GetElapsedTime(requests[0].ReceivedAtTimestamp, requests[1].ReceivedAtTimestamp) >= TimeSpan.FromMilliseconds(950));
    }

    [Fact]
    public async Task Retry_after_ms_is_honoured()
    {
        _server.Enqueue(new ScriptedResponse(503, new Dictionary<string, string> { ["retry-after-ms"] = "300" }), new ScriptedResponse(202));

        await _client.SendToAllAsync(WebPubSubMessage.Text("x"), null, Ct).WaitAsync(Timeout, Ct);

        var requests = _server.Requests;
        Assert.Equal(2, requests.Count);
        Assert.True(Stopwatch.GetElapsedTime(requests[0].ReceivedAtTimestamp, requests[1].ReceivedAtTimestamp) >= TimeSpan.FromMilliseconds(280));
    }

    [Fact]
    public async Task A_retry_after_longer_than_the_maximum_delay_fails_without_waiting()
    {
        _server.Enqueue(new ScriptedResponse(429, new Dictionary<string, string> { ["Retry-After"] = "120" }));

        var error = await Assert.ThrowsAsync<WebPubSubServiceException>(() => _client.SendToAllAsync(WebPubSubMessage.Text("x"), null, Ct)).WaitAsync(Timeout, Ct);

        Assert.Equal(HttpStatusCode.TooManyRequests, error.StatusCode);
        Assert.Single(_server.Requests);
    }

    [Theory]
    [InlineData(400, "Error.BadRequest")]
    [InlineData(404, "Error.Connection.NotExisted")]
    [InlineData(401, "Error.Unauthorized")]
    [InlineData(415, "Error.UnsupportedMediaType")]
    public async Task Non_retryable_errors_throw_at_once_with_status_code_and_message(int status, string code)
    {
        _server.Enqueue(new ScriptedResponse(status, new Dictionary<string, string> { ["x-ms-error-code"] = code }, $$"""{"code":"{{code}}","message":"Connection c1 does not exist.","target":"Connection"}"""));

        var error = await Assert.ThrowsAsync<WebPubSubServiceException>(() => _client.AddConnectionToGroupAsync("g1", "c1", Ct)).WaitAsync(Timeout, Ct);

        Assert.Single(_server.Requests);
        Assert.Equal((HttpStatusCode)status, error.StatusCode);
        Assert.Equal(code, error.ErrorCode);
        Assert.Equal("Connection c1 does not exist.", error.ServiceMessage);
        Assert.Equal("AddConnectionToGroup", error.Operation);
        Assert.Contains(code, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Error_code_falls_back_to_the_body_when_the_header_is_missing()
    {
        _server.Enqueue(new ScriptedResponse(400, null, """{"code":"Error.BadRequest","message":"Invalid filter."}"""));
        var error = await Assert.ThrowsAsync<WebPubSubServiceException>(() => _client.SendToAllAsync(WebPubSubMessage.Text("x"), null, Ct)).WaitAsync(Timeout, Ct);
        Assert.Equal("Error.BadRequest", error.ErrorCode);
        Assert.Equal("Invalid filter.", error.ServiceMessage);
    }

    [Fact]
    public async Task Retries_are_bounded_and_the_last_status_is_reported()
    {
        _server.DefaultStatus = 503;

        var error = await Assert.ThrowsAsync<WebPubSubServiceException>(() => _client.SendToAllAsync(WebPubSubMessage.Text("x"), null, Ct)).WaitAsync(Timeout, Ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.Equal(4, _server.Requests.Count); // 1 + MaxRetries (3)
    }

    [Fact]
    public async Task A_hung_attempt_times_out_and_is_retried()
    {
        await using var provider = ClientFactory.Build(_server.BaseUri, s => s["WebPubSub:AttemptTimeout"] = "00:00:00.300");
        var client = provider.GetRequiredService<IWebPubSubServiceClient>();
        _server.Enqueue(new ScriptedResponse(202, Hang: true), new ScriptedResponse(202));

        await client.SendToAllAsync(WebPubSubMessage.Text("x"), null, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(2, _server.Requests.Count);
    }

    [Fact]
    public async Task Caller_cancellation_stops_the_call()
    {
        _server.Enqueue(new ScriptedResponse(202, Hang: true));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var call = _client.SendToAllAsync(WebPubSubMessage.Text("x"), null, cts.Token);
        while (_server.Requests.Count == 0)
        {
            await Task.Delay(10, Ct);
        }

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call).WaitAsync(Timeout, Ct);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task Network_errors_are_retried_then_reported_without_status()
    {
        // Port 1 on loopback: nothing listens, the connection is refused at once.
        await using var provider = ClientFactory.Build(new Uri("http://127.0.0.1:1"), s => s["WebPubSub:MaxRetries"] = "2");
        var client = provider.GetRequiredService<IWebPubSubServiceClient>();
        using var retries = new MetricCollector<long>(provider.GetRequiredService<IMeterFactory>(), WebPubSubTelemetry.MeterName, "webpubsub.rest.retries");

        var error = await Assert.ThrowsAsync<WebPubSubServiceException>(() => client.SendToAllAsync(WebPubSubMessage.Text("x"), null, Ct)).WaitAsync(Timeout, Ct);

        Assert.Null(error.StatusCode);
        Assert.IsType<HttpRequestException>(error.InnerException);
        Assert.Equal(2, retries.GetMeasurementSnapshot().Count);
        Assert.All(retries.GetMeasurementSnapshot(), m => Assert.Equal("network", m.Tags["reason"]));
    }

    [Fact]
    public async Task Health_check_reports_the_service_state()
    {
        _server.Enqueue(new ScriptedResponse(200), new ScriptedResponse(503));
        Assert.True(await _client.IsServiceHealthyAsync(Ct).WaitAsync(Timeout, Ct));
        Assert.False(await _client.IsServiceHealthyAsync(Ct).WaitAsync(Timeout, Ct));
        Assert.Equal("/api/health", _server.Requests[0].Path);
        Assert.Equal("HEAD", _server.Requests[0].Method);
    }

    [Fact]
    public async Task Negotiate_with_an_access_key_signs_a_client_token_locally()
    {
        var negotiate = await _client.GetClientAccessAsync("user-1", ["webpubsub.joinLeaveGroup.r1"], ["r1:all"], TimeSpan.FromMinutes(30), Ct).WaitAsync(Timeout, Ct);

        Assert.Empty(_server.Requests);
        var expectedBase = $"ws://127.0.0.1:{_server.BaseUri.Port}/client/hubs/restaurant";
        Assert.Equal(expectedBase, negotiate.BaseUrl);
        Assert.Equal(expectedBase + "?access_token=" + Uri.EscapeDataString(negotiate.AccessToken), negotiate.Url);

        var audience = $"http://127.0.0.1:{_server.BaseUri.Port}/client/hubs/restaurant";
        Assert.True(AccessKeyToken.TryValidate(negotiate.AccessToken, [ClientFactory.AccessKey], [audience], DateTimeOffset.UtcNow, out var principal, out var error), error);
        Assert.Equal("user-1", principal.UserId);
        Assert.Equal(["webpubsub.joinLeaveGroup.r1"], principal.Roles);
        Assert.Equal(["r1:all"], principal.Groups);
        Assert.InRange(principal.ExpiresAt - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(28), TimeSpan.FromMinutes(31));
    }

    [Fact]
    public void Negotiate_payload_uses_the_documented_json_names()
    {
        var json = JsonSerializer.Serialize(new NegotiateResponse("wss://h/client/hubs/x", "wss://h/client/hubs/x?access_token=t", "t"), WebPubSubJsonContext.Default.NegotiateResponse);
        Assert.Equal("""{"baseUrl":"wss://h/client/hubs/x","url":"wss://h/client/hubs/x?access_token=t","accessToken":"t"}""", json);
    }

    [Theory]
    [InlineData("https://demo.webpubsub.azure.com", "wss://demo.webpubsub.azure.com/client/hubs/restaurant")]
    [InlineData("http://localhost:8080", "ws://localhost:8080/client/hubs/restaurant")]
    [InlineData("https://demo.webpubsub.azure.com:8443", "wss://demo.webpubsub.azure.com:8443/client/hubs/restaurant")]
    public void Client_base_url_maps_https_to_wss_and_http_to_ws(string endpoint, string expected)
    {
        Assert.Equal(expected, WebPubSubServiceClient.GetClientBaseUrl(new Uri(endpoint), "restaurant"));
    }
}
