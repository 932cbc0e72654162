using System.Net;
using System.Net.WebSockets;
using System.Text;
using RestaurantOs.EndToEnd.Tests.Infrastructure;
using RestaurantOs.Realtime.Auth;

namespace RestaurantOs.EndToEnd.Tests;

/// <summary>Every error path of the WebSocket protocol, on the seed-compatible endpoint and the Azure-compatible one.</summary>
public sealed class ProtocolErrorTests(DevHostFixture host) : IClassFixture<DevHostFixture>
{
    private const string ForeignKey = "someone-elses-signing-key-0123456789-abcdefghij";

    public static TheoryData<string> BadTokenKinds => ["garbage", "expired", "foreign-key"];

    private string BadToken(string kind, Guid restaurantId)
    {
        var now = DateTimeOffset.UtcNow;
        return kind switch
        {
            "garbage" => "not-a-jwt",
            "expired" => host.MintToken(restaurantId, Role.Kitchen, "e2e-expired", now.AddHours(-2), now.AddHours(-1)),
            "foreign-key" => host.MintToken(restaurantId, Role.Kitchen, "e2e-foreign", now.AddMinutes(-1), now.AddHours(1), ForeignKey),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown kind."),
        };
    }

    [Theory]
    [MemberData(nameof(BadTokenKinds))]
    public async Task Seed_endpoint_closes_a_connection_with_a_bad_token_in_the_query_with_1008(string kind)
    {
        await using var client = await WsClient.ConnectAsync(host.SeedUri(BadToken(kind, Guid.NewGuid())), "bad-" + kind);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await client.WaitForCloseAsync());
        Assert.DoesNotContain(client.Received, m => m.Type == "connected" && m.Data.GetProperty("authenticated").GetBoolean());
    }

    [Theory]
    [MemberData(nameof(BadTokenKinds))]
    public async Task Seed_endpoint_closes_a_connection_with_a_bad_token_in_the_header_with_1008(string kind)
    {
        var headers = new Dictionary<string, string> { ["Authorization"] = "Bearer " + BadToken(kind, Guid.NewGuid()) };
        await using var client = await WsClient.ConnectAsync(host.WsUri, "bad-header-" + kind, headers);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await client.WaitForCloseAsync());
    }

    [Theory]
    [MemberData(nameof(BadTokenKinds))]
    public async Task A_bad_token_in_the_auth_message_gets_UNAUTHORIZED_then_1008(string kind)
    {
        await using var client = await WsClient.ConnectAsync(host.WsUri, "bad-auth-" + kind);
        await client.ExpectConnectedAsync(authenticated: false);
        await client.SendAsync($$"""{"type":"auth","token":"{{BadToken(kind, Guid.NewGuid())}}"}""");
        await client.ReceiveErrorAsync("UNAUTHORIZED");
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await client.WaitForCloseAsync());
    }

    [Theory]
    [MemberData(nameof(BadTokenKinds))]
    public async Task Azure_endpoint_refuses_the_upgrade_with_401_for_a_bad_app_token(string kind)
    {
        var r = Guid.NewGuid();
        var url = await host.NegotiateAsync(await host.TokenAsync(r, "kitchen"));
        // Control: the negotiated URL itself works.
        await using (var ok = await WsClient.ConnectAsync(url, "negotiated"))
        {
            await ok.ExpectConnectedAsync(authenticated: true);
        }

        var query = System.Web.HttpUtility.ParseQueryString(url.Query);
        query["token"] = BadToken(kind, r);
        var bad = new UriBuilder(url) { Query = query.ToString() }.Uri;
        Assert.Equal(HttpStatusCode.Unauthorized, await WsClient.TryConnectStatusAsync(bad));
    }

    [Fact]
    public async Task Azure_endpoint_refuses_the_upgrade_with_401_for_a_bad_service_token()
    {
        var url = await host.NegotiateAsync(await host.TokenAsync(Guid.NewGuid(), "kitchen"));
        var query = System.Web.HttpUtility.ParseQueryString(url.Query);
        query["access_token"] = "not-a-service-token";
        var bad = new UriBuilder(url) { Query = query.ToString() }.Uri;
        Assert.Equal(HttpStatusCode.Unauthorized, await WsClient.TryConnectStatusAsync(bad));
    }

    [Fact]
    public async Task No_auth_within_the_grace_period_gets_AUTH_TIMEOUT_then_1008()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using var client = await WsClient.ConnectAsync(host.WsUri, "silent");
        var hello = await client.ExpectConnectedAsync(authenticated: false);
        Assert.Equal(DevHostFixture.AuthGraceSeconds, hello.Data.GetProperty("auth_timeout_seconds").GetInt32());
        // Grace (2 s) + bucket (2 s) + sweep period (2 s), with room for a loaded machine.
        await client.ReceiveErrorAsync("AUTH_TIMEOUT", TimeSpan.FromSeconds(15));
        // Never before the deadline (a lower bound: load can only make it later). The clock started before the
        // server fixed the deadline, so it reads at least the server's elapsed time.
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(DevHostFixture.AuthGraceSeconds) - TimeSpan.FromMilliseconds(50), $"closed after {clock.Elapsed}, before the grace period ended");
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await client.WaitForCloseAsync());
    }

    [Fact]
    public async Task A_connection_that_authenticates_in_time_is_not_closed_by_the_grace_sweep()
    {
        var r = Guid.NewGuid();
        await using var client = await WsClient.ConnectAsync(host.WsUri, "prompt");
        await client.ExpectConnectedAsync(authenticated: false);
        await client.SendAsync($$"""{"type":"auth","token":"{{await host.TokenAsync(r, "kitchen")}}"}""");
        await client.ReceiveTypeAsync("authenticated");
        // Outlive the grace period and two sweeps, then prove the socket still works.
        await Task.Delay(TimeSpan.FromSeconds(DevHostFixture.AuthGraceSeconds + 4), TestContext.Current.CancellationToken);
        await client.SendAsync("""{"type":"ping"}""");
        await client.ReceiveTypeAsync("pong");
        Assert.DoesNotContain(client.Received, m => m.Type == "error");
    }

    [Fact]
    public async Task A_frame_over_64_KB_closes_with_1009()
    {
        await using var client = await host.ConnectAsync(await host.TokenAsync(Guid.NewGuid(), "server"), "big");
        var padding = new string('x', (64 * 1024) + 16);
        try
        {
            await client.SendBytesAsync(Encoding.UTF8.GetBytes($$"""{"type":"ping","pad":"{{padding}}"}"""));
        }
        catch (WebSocketException)
        {
            // The server may close while the frame is still going out; the close code is what counts.
        }

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await client.WaitForCloseAsync());
    }

    [Fact]
    public async Task A_frame_of_exactly_64_KB_is_accepted()
    {
        await using var client = await host.ConnectAsync(await host.TokenAsync(Guid.NewGuid(), "server"), "just-fits");
        const string prefix = "{\"type\":\"ping\",\"pad\":\"";
        var padding = new string('x', (64 * 1024) - Encoding.UTF8.GetByteCount(prefix) - 2);
        var frame = Encoding.UTF8.GetBytes(prefix + padding + "\"}");
        Assert.Equal(64 * 1024, frame.Length);
        await client.SendBytesAsync(frame);
        await client.ReceiveTypeAsync("pong");
    }

    [Fact]
    public async Task The_101st_message_in_a_minute_gets_RATE_LIMITED()
    {
        await using var client = await host.ConnectAsync(await host.TokenAsync(Guid.NewGuid(), "server"), "chatty");
        for (var i = 0; i < 100; i++)
        {
            await client.SendAsync("""{"type":"ping"}""");
        }

        await client.ReceiveUntilAsync(_ => client.All(m => m.Type == "pong").Count >= 100, TimeSpan.FromSeconds(30), "100 pongs");
        Assert.DoesNotContain(client.Received, m => m.Type == "error");

        await client.SendAsync("""{"type":"ping"}""");
        await client.ReceiveErrorAsync("RATE_LIMITED");
        Assert.Equal(100, client.All(m => m.Type == "pong").Count);
    }

    [Fact]
    public async Task An_11th_subscription_gets_SUBSCRIPTION_LIMIT_and_changes_nothing()
    {
        await using var client = await host.ConnectAsync(await host.TokenAsync(Guid.NewGuid(), "server"), "subscriber");
        foreach (var table in new[] { "T1", "T2" })
        {
            await client.SendAsync($$$"""{"type":"subscribe","events":["order:created","order:updated","order:status","table:updated","notification:kitchen"],"filters":{"table_number":"{{{table}}}"}}""");
            var ack = await client.ReceiveUntilAsync(m => m.Type is "subscribed" or "error", what: "subscribed");
            Assert.True(ack.Type == "subscribed", ack.ToString());
        }

        var full = client.All(m => m.Type == "subscribed")[^1];
        Assert.Equal(10, full.Data.GetProperty("active").GetArrayLength());

        await client.SendAsync("""{"type":"subscribe","events":["order:created"],"filters":{"table_number":"T3"}}""");
        await client.ReceiveErrorAsync("SUBSCRIPTION_LIMIT");

        // Unchanged: unsubscribing one event reports the ten minus that event's two.
        await client.SendAsync("""{"type":"unsubscribe","events":["notification:kitchen"]}""");
        var after = await client.ReceiveTypeAsync("unsubscribed");
        var active = after.Data.GetProperty("active").EnumerateArray().Select(a => a.GetString()).ToList();
        Assert.Equal(8, active.Count);
        Assert.DoesNotContain("order:created@T3", active);
    }

    [Fact]
    public async Task Malformed_JSON_gets_INVALID_MESSAGE_and_the_connection_stays_open()
    {
        await using var client = await host.ConnectAsync(await host.TokenAsync(Guid.NewGuid(), "server"), "garbled");
        await client.SendAsync("{\"type\":\"ping\"");
        await client.ReceiveErrorAsync("INVALID_MESSAGE");
        await client.SendAsync("[1,2,3]");
        await client.ReceiveErrorAsync("INVALID_MESSAGE");
        await client.SendAsync("""{"type":"ping"}""");
        await client.ReceiveTypeAsync("pong");
    }

    [Fact]
    public async Task An_unknown_type_gets_UNKNOWN_TYPE()
    {
        await using var client = await host.ConnectAsync(await host.TokenAsync(Guid.NewGuid(), "server"), "curious");
        await client.SendAsync("""{"type":"teleport"}""");
        await client.ReceiveErrorAsync("UNKNOWN_TYPE");
        await client.SendAsync("""{"type":"ping"}""");
        await client.ReceiveTypeAsync("pong");
    }

    [Fact]
    public async Task Auth_naming_another_restaurant_gets_TENANT_VIOLATION_then_1008()
    {
        await using var client = await WsClient.ConnectAsync(host.WsUri, "tenant-auth");
        await client.ExpectConnectedAsync(authenticated: false);
        var token = await host.TokenAsync(Guid.NewGuid(), "manager");
        await client.SendAsync($$"""{"type":"auth","token":"{{token}}","restaurant_id":"{{Guid.NewGuid()}}"}""");
        await client.ReceiveErrorAsync("TENANT_VIOLATION");
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await client.WaitForCloseAsync());
    }

    [Fact]
    public async Task Subscribe_naming_another_restaurant_gets_TENANT_VIOLATION_then_1008()
    {
        await using var client = await host.ConnectAsync(await host.TokenAsync(Guid.NewGuid(), "manager"), "tenant-subscribe");
        await client.SendAsync($$"""{"type":"subscribe","events":["order:created"],"restaurant_id":"{{Guid.NewGuid()}}"}""");
        await client.ReceiveErrorAsync("TENANT_VIOLATION");
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await client.WaitForCloseAsync());
    }

    [Fact]
    public async Task Azure_endpoint_reports_TENANT_VIOLATION_before_closing()
    {
        // A REST close cannot choose the WebSocket close code, so the error message is what tells the client.
        var url = await host.NegotiateAsync(await host.TokenAsync(Guid.NewGuid(), "manager"));
        await using var client = await WsClient.ConnectAsync(url, "azure-tenant");
        await client.ExpectConnectedAsync(authenticated: true);
        await client.SendAsync($$"""{"type":"subscribe","events":["order:created"],"restaurant_id":"{{Guid.NewGuid()}}"}""");
        await client.ReceiveErrorAsync("TENANT_VIOLATION");
        // docs/events.md, Transports: the emulator's REST close is 1000 with the code as the reason.
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await client.WaitForCloseAsync());
        Assert.StartsWith("TENANT_VIOLATION", client.CloseDescription ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task Azure_endpoint_without_auth_in_time_gets_AUTH_TIMEOUT_and_is_closed()
    {
        // The hub allows anonymous connects so seed-style clients can send auth first (docs/events.md, Transports).
        var hub = new UriBuilder(host.BaseUri) { Scheme = "ws", Path = "/client/hubs/restaurant" }.Uri;
        await using var client = await WsClient.ConnectAsync(hub, "azure-silent");
        await client.ExpectConnectedAsync(authenticated: false);
        await client.ReceiveErrorAsync("AUTH_TIMEOUT", TimeSpan.FromSeconds(15));
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await client.WaitForCloseAsync());
        Assert.StartsWith("AUTH_TIMEOUT", client.CloseDescription ?? "", StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BadTokenKinds))]
    public async Task Azure_endpoint_answers_a_bad_token_in_the_auth_message_with_UNAUTHORIZED_and_closes(string kind)
    {
        var hub = new UriBuilder(host.BaseUri) { Scheme = "ws", Path = "/client/hubs/restaurant" }.Uri;
        await using var client = await WsClient.ConnectAsync(hub, "azure-bad-auth-" + kind);
        await client.ExpectConnectedAsync(authenticated: false);
        await client.SendAsync($$"""{"type":"auth","token":"{{BadToken(kind, Guid.NewGuid())}}"}""");
        await client.ReceiveErrorAsync("UNAUTHORIZED");
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await client.WaitForCloseAsync());
        Assert.StartsWith("UNAUTHORIZED", client.CloseDescription ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task Azure_endpoint_accepts_auth_as_the_first_message()
    {
        var r = Guid.NewGuid();
        var hub = new UriBuilder(host.BaseUri) { Scheme = "ws", Path = "/client/hubs/restaurant" }.Uri;
        await using var client = await WsClient.ConnectAsync(hub, "azure-auth-first");
        await client.ExpectConnectedAsync(authenticated: false);
        await client.SendAsync($$"""{"type":"auth","token":"{{await host.TokenAsync(r, "kitchen")}}"}""");
        await client.ReceiveTypeAsync("authenticated");
        var order = Guid.NewGuid();
        await host.CreateOrderAsync(await host.TokenAsync(r, "manager"), order);
        await client.ReceiveUntilAsync(m => m.Type == "order:created" && m.Data.GetProperty("order").GetProperty("id").GetGuid() == order, what: "the order");
    }

    [Fact]
    public async Task Azure_endpoint_answers_a_frame_over_64_KB_with_MESSAGE_TOO_BIG_and_closes()
    {
        var url = await host.NegotiateAsync(await host.TokenAsync(Guid.NewGuid(), "server"));
        await using var client = await WsClient.ConnectAsync(url, "azure-big");
        await client.ExpectConnectedAsync(authenticated: true);
        await client.SendBytesAsync(Encoding.UTF8.GetBytes($$"""{"type":"ping","pad":"{{new string('x', (64 * 1024) + 16)}}"}"""));
        await client.ReceiveErrorAsync("MESSAGE_TOO_BIG");
        await client.WaitForCloseAsync();
        Assert.DoesNotContain(client.Received, m => m.Type == "pong");
    }

    [Fact]
    public async Task Sustained_flooding_closes_with_RATE_LIMITED_and_1008()
    {
        await using var client = await host.ConnectAsync(await host.TokenAsync(Guid.NewGuid(), "server"), "flooder");
        for (var i = 0; i < 200 && !client.IsClosed; i++)
        {
            try
            {
                await client.SendAsync("""{"type":"ping"}""");
            }
            catch (WebSocketException)
            {
                break; // closed under us: the close status below tells why
            }
        }

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await client.WaitForCloseAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(100, client.All(m => m.Type == "pong").Count);
        Assert.Contains(client.Received, m => m.ErrorCode == "RATE_LIMITED");
    }

    [Fact]
    public async Task Invalid_subscriptions_get_their_codes_and_change_nothing()
    {
        var r = Guid.NewGuid();
        await using var staff = await host.ConnectAsync(await host.TokenAsync(r, "server"), "filters");
        await staff.SendAsync("""{"type":"subscribe","events":["kds:update"],"filters":{"table_number":"T5"}}""");
        await staff.ReceiveErrorAsync("INVALID_FILTER");
        await staff.SendAsync("""{"type":"subscribe","events":["order:created"],"filters":{"seat":"2"}}""");
        await staff.ReceiveErrorAsync("INVALID_FILTER");
        await staff.SendAsync("""{"type":"subscribe","events":["order:teleported"]}""");
        await staff.ReceiveErrorAsync("UNKNOWN_EVENT");
        await staff.SendAsync("""{"type":"subscribe","events":["order:created"],"filters":{"table_number":"T5' in groups or 'x"}}""");
        await staff.ReceiveErrorAsync("INVALID_FILTER");
        await staff.SendAsync("""{"type":"subscribe","events":"order:created"}""");
        await staff.ReceiveErrorAsync("INVALID_MESSAGE");

        // Still the default set: every event of the role.
        await staff.SendAsync("""{"type":"unsubscribe","events":["kds:update"]}""");
        var ack = await staff.ReceiveTypeAsync("unsubscribed");
        Assert.Equal(8, ack.Data.GetProperty("active").GetArrayLength());

        var order = Guid.NewGuid();
        await using var customer = await host.ConnectAsync(await host.TokenAsync(r, "customer", "guest", order), "customer-filter");
        await customer.SendAsync("""{"type":"subscribe","events":["order:created"],"filters":{"table_number":"T5"}}""");
        await customer.ReceiveErrorAsync("INVALID_FILTER");
    }

    [Fact]
    public async Task Resume_from_a_seq_the_server_never_assigned_gets_resync()
    {
        await using var client = await host.ConnectAsync(await host.TokenAsync(Guid.NewGuid(), "server"), "from-the-future");
        await client.SendAsync("""{"type":"resume","since":123456}""");
        var resync = await client.ReceiveTypeAsync("resync");
        Assert.Equal(123456, resync.Data.GetProperty("since").GetInt64());
        Assert.Equal(0, resync.Data.GetProperty("latest_seq").GetInt64());

        await client.SendAsync("""{"type":"resume","since":0}""");
        var empty = await client.ReceiveTypeAsync("replay");
        Assert.Equal(0, empty.Data.GetProperty("events").GetArrayLength());
    }

    [Fact]
    public async Task Seed_endpoint_answers_at_the_root_path_as_the_seed_clients_expect()
    {
        // The seed's clients connect to ws://host:3001/ itself (websocket-events.md); /ws is DevHost's alias.
        var root = new UriBuilder(host.BaseUri) { Scheme = "ws", Path = "/" }.Uri;
        var token = await host.TokenAsync(Guid.NewGuid(), "kitchen");
        var status = await WsClient.TryConnectStatusAsync(new Uri(root, "?token=" + Uri.EscapeDataString(token)));
        Assert.True(
            status == HttpStatusCode.SwitchingProtocols,
            $"A WebSocket upgrade to '/' returned HTTP {(int)status}; the seed-compatible endpoint must answer at '/' (DevHostApp must rewrite '/' to '/ws' before routing matches).");
        await using var client = await DevHostFixture.ConnectAsyncAt(root, token, "root");
        await client.SendAsync("""{"type":"ping"}""");
        await client.ReceiveTypeAsync("pong");
    }

    [Fact]
    public async Task A_token_that_expires_on_an_open_socket_closes_it_at_the_next_message_with_UNAUTHORIZED()
    {
        var r = Guid.NewGuid();
        var now = DateTimeOffset.UtcNow;
        var shortLived = host.MintToken(r, Role.Server, "e2e-short", now.AddSeconds(-1), now.AddSeconds(2));
        await using var client = await host.ConnectAsync(shortLived, "short-lived");
        await client.SendAsync("""{"type":"ping"}""");
        await client.ReceiveTypeAsync("pong");

        await Task.Delay(TimeSpan.FromSeconds(2.5), TestContext.Current.CancellationToken);
        await client.SendAsync("""{"type":"ping"}""");
        await client.ReceiveErrorAsync("UNAUTHORIZED");
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await client.WaitForCloseAsync());
    }

    [Fact]
    public async Task Refreshing_a_token_before_it_expires_keeps_the_socket_usable()
    {
        var r = Guid.NewGuid();
        var now = DateTimeOffset.UtcNow;
        var shortLived = host.MintToken(r, Role.Server, "e2e-refresh", now.AddSeconds(-1), now.AddSeconds(2));
        await using var client = await host.ConnectAsync(shortLived, "refreshed");
        await client.SendAsync($$"""{"type":"auth","token":"{{host.MintToken(r, Role.Server, "e2e-refresh", now.AddSeconds(-1), now.AddMinutes(10))}}"}""");
        await client.ReceiveTypeAsync("authenticated");

        await Task.Delay(TimeSpan.FromSeconds(2.5), TestContext.Current.CancellationToken);
        await client.SendAsync("""{"type":"ping"}""");
        await client.ReceiveTypeAsync("pong");
        Assert.DoesNotContain(client.Received, m => m.Type == "error");
    }

    [Fact]
    public async Task Refreshing_with_another_users_token_gets_TENANT_VIOLATION_then_1008()
    {
        var r = Guid.NewGuid();
        await using var client = await host.ConnectAsync(await host.TokenAsync(r, "server", "alice"), "alice");
        await client.SendAsync($$"""{"type":"auth","token":"{{await host.TokenAsync(r, "server", "mallory")}}"}""");
        await client.ReceiveErrorAsync("TENANT_VIOLATION");
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await client.WaitForCloseAsync());
    }

    [Fact]
    public async Task Naming_its_own_restaurant_is_fine()
    {
        var r = Guid.NewGuid();
        await using var client = await host.ConnectAsync(await host.TokenAsync(r, "manager"), "tenant-own");
        await client.SendAsync($$"""{"type":"subscribe","events":["order:created"],"restaurant_id":"{{r}}"}""");
        await client.ReceiveTypeAsync("subscribed");
    }

    [Fact]
    public async Task Messages_before_auth_get_NOT_AUTHENTICATED()
    {
        await using var client = await WsClient.ConnectAsync(host.WsUri, "early");
        await client.ExpectConnectedAsync(authenticated: false);
        await client.SendAsync("""{"type":"subscribe","events":["order:created"]}""");
        await client.ReceiveErrorAsync("NOT_AUTHENTICATED");

        // And it receives no events meanwhile: a connection of the same restaurant gets the order, it does not.
        var r = Guid.NewGuid();
        await using var staff = await host.ConnectAsync(await host.TokenAsync(r, "owner"), "staff");
        var order = Guid.NewGuid();
        await host.CreateOrderAsync(await host.TokenAsync(r, "manager"), order);
        await staff.ReceiveUntilAsync(m => m.Type == "order:created", what: "the order");
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.Equal(["connected", "error"], client.Received.Select(m => m.Type));
    }

    [Fact]
    public async Task A_role_subscribing_to_an_event_it_may_not_receive_gets_FORBIDDEN()
    {
        await using var client = await host.ConnectAsync(await host.TokenAsync(Guid.NewGuid(), "kitchen"), "nosy-kitchen");
        await client.SendAsync("""{"type":"subscribe","events":["payment:processed"]}""");
        await client.ReceiveErrorAsync("FORBIDDEN");
    }
}
