using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using RestaurantOs.Emulator.Tests.Infrastructure;
using RestaurantOs.WebPubSub.Protocol;

namespace RestaurantOs.Emulator.Tests;

/// <summary>
/// The conformance suite: every test drives a Web PubSub service only through its public protocols (REST with
/// access-key JWTs, WebSockets), so the same tests run against the emulator and against Azure. Tests that need
/// emulator-only control call <see cref="RequireEmulator"/> and are skipped on Azure.
/// </summary>
public abstract class ServiceConformanceTests : IDisposable
{
    private const string ApiVersion = "2024-12-01";
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];
    private TestClient? _client;

    protected abstract IServiceTarget Target { get; }

    protected TestClient Client => _client ??= new TestClient(Target);

    protected string Hub => Target.Hub;

    protected string Id(string prefix) => prefix + _run;

    protected string Api(string path, string query = "") => $"api/hubs/{Hub}/{path}?api-version={ApiVersion}{query}";

    protected void RequireEmulator(string why)
    {
        if (!Target.IsEmulator)
        {
            Assert.Skip("Emulator only: " + why);
        }
    }

    public void Dispose()
    {
        _client?.Dispose();
        GC.SuppressFinalize(this);
    }

    // ---- 1. JWT keys and audiences -------------------------------------------------------------

    [Theory]
    [InlineData(AudienceForm.FullUrl)]
    [InlineData(AudienceForm.WithoutQuery)]
    [InlineData(AudienceForm.UpperCaseSchemeAndHost)]
    public async Task Rest_token_audience_with_or_without_query_and_any_case_is_accepted(AudienceForm form)
    {
        using var response = await Client.RestAsync(HttpMethod.Head, Api($"users/{Id("nobody")}"), form: form);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Rest_token_audience_is_compared_case_insensitively_in_the_emulator()
    {
        RequireEmulator("Azure's handling of a path in another case is not documented; the emulator ignores case");
        using var response = await Client.RestAsync(HttpMethod.Head, Api($"users/{Id("nobody")}"), form: AudienceForm.UpperCase);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Rest_token_signed_with_another_key_is_rejected_with_401_and_error_code()
    {
        var url = Client.Url(Api(":send"));
        var token = Client.RestToken(url, key: "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ");
        using var response = await Client.RestAsync(HttpMethod.Post, Api(":send"), new StringContent("x"), token: token);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        if (Target.IsEmulator)
        {
            Assert.Equal("Error.Unauthorized", response.Headers.GetValues("x-ms-error-code").Single());
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            Assert.Equal("Error.Unauthorized", body.RootElement.GetProperty("code").GetString());
            Assert.False(string.IsNullOrEmpty(body.RootElement.GetProperty("message").GetString()));
        }
    }

    [Fact]
    public async Task Rest_token_for_another_url_or_expired_or_missing_is_rejected_with_401()
    {
        var otherUrl = Client.RestToken(Client.Url(Api("users/someone-else/:send")));
        using var wrongAudience = await Client.RestAsync(HttpMethod.Post, Api(":send"), new StringContent("x"), token: otherUrl);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongAudience.StatusCode);

        var expired = Client.RestToken(Client.Url(Api(":send")), lifetime: TimeSpan.FromMinutes(1), now: DateTimeOffset.UtcNow.AddMinutes(-30));
        using var expiredResponse = await Client.RestAsync(HttpMethod.Post, Api(":send"), new StringContent("x"), token: expired);
        Assert.Equal(HttpStatusCode.Unauthorized, expiredResponse.StatusCode);

        using var missing = await Client.RestAsync(HttpMethod.Post, Api(":send"), new StringContent("x"), token: "");
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
    }

    [Fact]
    public async Task Client_token_with_wrong_key_or_audience_is_refused_with_401()
    {
        var wrongKey = Client.ClientToken(Hub, "u", key: "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ");
        var (status, _) = await TestSocket.TryConnectAsync(Client.ClientUrl(Hub, wrongKey), [WebPubSubConstants.Subprotocols.Json]);
        Assert.Equal(401, status);

        var otherHub = Client.ClientToken("otherhub", "u");
        (status, _) = await TestSocket.TryConnectAsync(Client.ClientUrl(Hub, otherHub), [WebPubSubConstants.Subprotocols.Json]);
        Assert.Equal(401, status);
    }

    [Fact]
    public async Task Client_token_in_authorization_header_is_accepted()
    {
        var token = Client.ClientToken(Hub, Id("hdr"));
        await using var socket = await TestSocket.ConnectAsync(Client.ClientUrl(Hub, token: null), [WebPubSubConstants.Subprotocols.Json],
            o => o.SetRequestHeader("Authorization", "Bearer " + token));
        var connected = await socket.ReceiveJsonAsync();
        Assert.Equal(Id("hdr"), connected.GetProperty("userId").GetString());
    }

    [Fact]
    public async Task Client_endpoint_also_accepts_the_hub_as_a_query_parameter()
    {
        var token = Client.ClientToken(Hub, Id("q"));
        var url = new UriBuilder(Client.ClientUrl(Hub, token)) { Path = "/client/" };
        url.Query = url.Query.TrimStart('?') + "&hub=" + Uri.EscapeDataString(Hub);
        await using var socket = await TestSocket.ConnectAsync(url.Uri, [WebPubSubConstants.Subprotocols.Json]);
        Assert.Equal(Id("q"), (await socket.ReceiveJsonAsync()).GetProperty("userId").GetString());
    }

    // ---- 2. REST surface and status codes ------------------------------------------------------

    [Theory]
    [InlineData(":send")]
    [InlineData("groups/{group}/:send")]
    [InlineData("users/{user}/:send")]
    [InlineData("connections/{connection}/:send")]
    public async Task Sends_are_accepted_with_202_even_without_recipients(string path)
    {
        var relative = path.Replace("{group}", Id("nogroup"), StringComparison.Ordinal)
            .Replace("{user}", Id("nouser"), StringComparison.Ordinal)
            .Replace("{connection}", Id("noconn"), StringComparison.Ordinal);
        var extra = path == ":send" ? $"&filter={Uri.EscapeDataString($"userId eq '{Id("nobody")}'")}" : "";
        using var response = await Client.SendTextAsync(Api(relative, extra), "hello");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task Head_checks_answer_404_then_200_once_a_connection_exists()
    {
        var user = Id("exists");
        var group = Id("grp");
        using (var before = await Client.RestAsync(HttpMethod.Head, Api($"users/{user}")))
        {
            Assert.Equal(HttpStatusCode.NotFound, before.StatusCode);
        }

        await using var socket = await Client.ConnectAsync(Hub, user, groups: [group]);
        foreach (var path in new[] { $"users/{user}", $"groups/{group}", $"connections/{socket.ConnectionId}" })
        {
            using var response = await Client.RestAsync(HttpMethod.Head, Api(path));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using var missingGroup = await Client.RestAsync(HttpMethod.Head, Api($"groups/{Id("empty")}"));
        Assert.Equal(HttpStatusCode.NotFound, missingGroup.StatusCode);
        using var missingConnection = await Client.RestAsync(HttpMethod.Head, Api($"connections/{Id("gone")}"));
        Assert.Equal(HttpStatusCode.NotFound, missingConnection.StatusCode);
    }

    [Fact]
    public async Task Group_membership_operations_use_the_documented_status_codes()
    {
        var user = Id("member");
        var group = Id("grp");
        await using var socket = await Client.ConnectAsync(Hub, user);

        using (var add = await Client.RestAsync(HttpMethod.Put, Api($"groups/{group}/connections/{socket.ConnectionId}")))
        {
            Assert.Equal(HttpStatusCode.OK, add.StatusCode);
        }

        using (var exists = await Client.RestAsync(HttpMethod.Head, Api($"groups/{group}")))
        {
            Assert.Equal(HttpStatusCode.OK, exists.StatusCode);
        }

        using (var remove = await Client.RestAsync(HttpMethod.Delete, Api($"groups/{group}/connections/{socket.ConnectionId}")))
        {
            Assert.Equal(HttpStatusCode.NoContent, remove.StatusCode);
        }

        using (var gone = await Client.RestAsync(HttpMethod.Head, Api($"groups/{group}")))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        using (var addUser = await Client.RestAsync(HttpMethod.Put, Api($"users/{user}/groups/{group}")))
        {
            Assert.Equal(HttpStatusCode.OK, addUser.StatusCode);
        }

        using (var present = await Client.RestAsync(HttpMethod.Head, Api($"groups/{group}")))
        {
            Assert.Equal(HttpStatusCode.OK, present.StatusCode);
        }

        using (var removeUser = await Client.RestAsync(HttpMethod.Delete, Api($"users/{user}/groups/{group}")))
        {
            Assert.Equal(HttpStatusCode.NoContent, removeUser.StatusCode);
        }

        using (var removeAll = await Client.RestAsync(HttpMethod.Delete, Api($"users/{user}/groups")))
        {
            Assert.Equal(HttpStatusCode.NoContent, removeAll.StatusCode);
        }

        using (var removeConnectionAll = await Client.RestAsync(HttpMethod.Delete, Api($"connections/{socket.ConnectionId}/groups")))
        {
            Assert.Equal(HttpStatusCode.NoContent, removeConnectionAll.StatusCode);
        }
    }

    [Fact]
    public async Task Adding_an_unknown_connection_to_a_group_is_404()
    {
        using var response = await Client.RestAsync(HttpMethod.Put, Api($"groups/{Id("grp")}/connections/{Id("ghost")}"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        if (Target.IsEmulator)
        {
            Assert.Equal("Error.Connection.NotExisted", response.Headers.GetValues("x-ms-error-code").Single());
        }
    }

    [Fact]
    public async Task Unknown_api_version_is_400()
    {
        using var response = await Client.RestAsync(HttpMethod.Head, $"api/hubs/{Hub}/users/{Id("u")}?api-version=1999-01-01");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Missing_api_version_means_latest_in_the_emulator()
    {
        RequireEmulator("the service requires api-version; the emulator treats a missing one as the latest");
        using var response = await Client.RestAsync(HttpMethod.Head, $"api/hubs/{Hub}/users/{Id("u")}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Invalid_hub_or_group_names_and_out_of_range_ttl_are_400()
    {
        using (var badHub = await Client.SendTextAsync($"api/hubs/9starts-with-digit/:send?api-version={ApiVersion}", "x"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badHub.StatusCode);
        }

        using (var longGroup = await Client.SendTextAsync(Api($"groups/{new string('g', 1025)}/:send"), "x"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, longGroup.StatusCode);
        }

        using var ttl = await Client.SendTextAsync(Api($"users/{Id("u")}/:send", "&messageTtlSeconds=301"), "x");
        Assert.Equal(HttpStatusCode.BadRequest, ttl.StatusCode);
    }

    [Fact]
    public async Task Unknown_routes_wrong_verbs_and_oversized_bodies_get_error_details_in_the_emulator()
    {
        RequireEmulator("the service's codes for these cases are not documented");
        using (var unknown = await Client.RestAsync(HttpMethod.Post, Api(":nosuchaction")))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Equal("Error.NotFound", unknown.Headers.GetValues("x-ms-error-code").Single());
        }

        using (var wrongVerb = await Client.RestAsync(HttpMethod.Get, Api(":send")))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongVerb.StatusCode);
        }

        using var tooBig = await Client.SendTextAsync(Api($"users/{Id("u")}/:send"), new string('x', (1024 * 1024) + 1));
        Assert.Equal(HttpStatusCode.BadRequest, tooBig.StatusCode);
        using var body = JsonDocument.Parse(await tooBig.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("Error.BadRequest", body.RootElement.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Text_in_another_charset_reaches_clients_as_utf8()
    {
        var user = Id("charset");
        await using var socket = await Client.ConnectAsync(Hub, user, json: false);
        var content = new ByteArrayContent(Encoding.Unicode.GetBytes("grüße"));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("text/plain; charset=utf-16");
        using var response = await Client.RestAsync(HttpMethod.Post, Api($"users/{user}/:send"), content);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("grüße", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task Json_client_sending_a_non_object_or_binary_frame_is_closed_in_the_emulator()
    {
        RequireEmulator("the service's close codes for invalid frames are not documented");
        await using (var socket = await Client.ConnectAsync(Hub, Id("badjson")))
        {
            await socket.SendTextAsync("not json");
            Assert.Equal("disconnected", (await socket.ReceiveJsonAsync()).GetProperty("event").GetString());
            Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, (await socket.ReceiveCloseAsync()).Status);
        }

        await using var binary = await Client.ConnectAsync(Hub, Id("binjson"));
        await binary.SendBinaryAsync([1, 2, 3]);
        Assert.Equal("disconnected", (await binary.ReceiveJsonAsync()).GetProperty("event").GetString());
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, (await binary.ReceiveCloseAsync()).Status);
    }

    [Fact]
    public async Task Generated_token_connects_with_its_user_and_groups()
    {
        var user = Id("gen");
        var group = Id("grp");
        using var response = await Client.RestAsync(HttpMethod.Post, Api(":generateToken", $"&userId={user}&group={group}&role=webpubsub.joinLeaveGroup&minutesToExpire=5"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var token = body.RootElement.GetProperty("token").GetString()!;

        await using var socket = await TestSocket.ConnectAsync(Client.ClientUrl(Hub, token), [WebPubSubConstants.Subprotocols.Json]);
        var connected = await socket.ReceiveJsonAsync();
        Assert.Equal(user, connected.GetProperty("userId").GetString());
        using var inGroup = await Client.RestAsync(HttpMethod.Head, Api($"groups/{group}"));
        Assert.Equal(HttpStatusCode.OK, inGroup.StatusCode);
    }

    [Fact]
    public async Task Close_connection_with_reason_sends_disconnected_then_closes()
    {
        await using var socket = await Client.ConnectAsync(Hub, Id("closing"));
        using var response = await Client.RestAsync(HttpMethod.Delete, Api($"connections/{socket.ConnectionId}", "&reason=bye-now"));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);

        var disconnected = await socket.ReceiveJsonAsync();
        Assert.Equal("system", disconnected.GetProperty("type").GetString());
        Assert.Equal("disconnected", disconnected.GetProperty("event").GetString());
        Assert.Equal("bye-now", disconnected.GetProperty("message").GetString());
        var (status, _) = await socket.ReceiveCloseAsync();
        if (Target.IsEmulator)
        {
            Assert.Equal(WebSocketCloseStatus.NormalClosure, status);
        }
    }

    [Fact]
    public async Task Close_user_and_group_connections_honours_excluded()
    {
        var user = Id("many");
        await using var first = await Client.ConnectAsync(Hub, user);
        await using var second = await Client.ConnectAsync(Hub, user);
        using var response = await Client.RestAsync(HttpMethod.Post, Api($"users/{user}/:closeConnections", $"&excluded={second.ConnectionId}&reason=r"));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);

        Assert.Equal("disconnected", (await first.ReceiveJsonAsync()).GetProperty("event").GetString());
        using var stillThere = await Client.RestAsync(HttpMethod.Head, Api($"connections/{second.ConnectionId}"));
        Assert.Equal(HttpStatusCode.OK, stillThere.StatusCode);
    }

    [Fact]
    public async Task List_group_connections_pages_with_next_link()
    {
        var group = Id("listed");
        await using var a = await Client.ConnectAsync(Hub, Id("la"), groups: [group]);
        await using var b = await Client.ConnectAsync(Hub, Id("lb"), groups: [group]);
        await using var c = await Client.ConnectAsync(Hub, Id("lc"), groups: [group]);

        var seen = new List<string>();
        string? next = Api($"groups/{group}/connections", "&maxpagesize=2");
        var pages = 0;
        while (next is not null && pages++ < 5)
        {
            using var response = await Client.RestAsync(HttpMethod.Get, next);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            var values = body.RootElement.GetProperty("value");
            Assert.True(values.GetArrayLength() <= 2);
            seen.AddRange(values.EnumerateArray().Select(v => v.GetProperty("connectionId").GetString()!));
            next = body.RootElement.TryGetProperty("nextLink", out var link) && link.ValueKind == JsonValueKind.String ? link.GetString() : null;
            if (next is not null)
            {
                next = new Uri(next).PathAndQuery.TrimStart('/');
            }
        }

        Assert.Equal(new[] { a.ConnectionId, b.ConnectionId, c.ConnectionId }.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Excluded_connections_do_not_receive_a_group_send()
    {
        var group = Id("ex");
        await using var a = await Client.ConnectAsync(Hub, Id("ea"), groups: [group]);
        await using var b = await Client.ConnectAsync(Hub, Id("eb"), groups: [group]);
        await using var c = await Client.ConnectAsync(Hub, Id("ec"), groups: [group]);
        using var send = await Client.SendTextAsync(Api($"groups/{group}/:send", $"&excluded={a.ConnectionId}&excluded={b.ConnectionId}"), "only-c");
        Assert.Equal(HttpStatusCode.Accepted, send.StatusCode);
        using var marker = await Client.SendTextAsync(Api($"groups/{group}/:send"), "marker");

        Assert.Equal("marker", (await a.ReceiveJsonAsync()).GetProperty("data").GetString());
        Assert.Equal("marker", (await b.ReceiveJsonAsync()).GetProperty("data").GetString());
        Assert.Equal("only-c", (await c.ReceiveJsonAsync()).GetProperty("data").GetString());
    }

    // ---- 3. Content-Type → dataType ------------------------------------------------------------

    [Theory]
    [InlineData("text/plain", "hello", WebSocketMessageType.Text)]
    [InlineData("application/json", "\"quoted\"", WebSocketMessageType.Text)]
    [InlineData("application/octet-stream", "raw-bytes", WebSocketMessageType.Binary)]
    public async Task Plain_clients_receive_raw_frames_by_content_type(string contentType, string body, WebSocketMessageType expectedType)
    {
        var user = Id("plain");
        await using var socket = await Client.ConnectAsync(Hub, user, json: false);
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var response = await Client.RestAsync(HttpMethod.Post, Api($"users/{user}/:send"), content);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var (type, data) = await socket.ReceiveAsync();
        Assert.Equal(expectedType, type);
        Assert.Equal(body, Encoding.UTF8.GetString(data));
    }

    [Theory]
    [InlineData("text/plain", "hello", "text", "\"hello\"")]
    [InlineData("application/json", "{\"a\":[1,2]}", "json", "{\"a\":[1,2]}")]
    [InlineData("application/json", "\"s\"", "json", "\"s\"")]
    [InlineData("application/octet-stream", "AB", "binary", "\"QUI=\"")]
    public async Task Json_clients_receive_message_envelopes_by_content_type(string contentType, string body, string dataType, string expectedData)
    {
        await using var socket = await Client.ConnectAsync(Hub, Id("json"));
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var response = await Client.RestAsync(HttpMethod.Post, Api($"connections/{socket.ConnectionId}/:send"), content);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var message = await socket.ReceiveJsonAsync();
        Assert.Equal("message", message.GetProperty("type").GetString());
        Assert.Equal("server", message.GetProperty("from").GetString());
        Assert.Equal(dataType, message.GetProperty("dataType").GetString());
        Assert.Equal(expectedData, message.GetProperty("data").GetRawText());
    }

    [Fact]
    public async Task Unsupported_content_type_is_415_and_invalid_json_is_400()
    {
        using var xml = await Client.SendTextAsync(Api(":send", "&filter=" + Uri.EscapeDataString($"userId eq '{Id("none")}'")), "<a/>", "application/xml");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, xml.StatusCode);
        using var badJson = await Client.SendTextAsync(Api($"users/{Id("none")}/:send"), "{not json", "application/json");
        Assert.Equal(HttpStatusCode.BadRequest, badJson.StatusCode);
    }

    // ---- 4. OData filter -----------------------------------------------------------------------

    /// <summary>
    /// Three JSON clients in one group: A = "Alice{r}" in g1; B = "bob{r}" in g1 and g2; C = "o'carol{r}" in no
    /// extra group. Each row sends one filtered message to the group, then an unfiltered marker; a client whose
    /// first message is the marker did not match.
    /// </summary>
    [Theory]
    [InlineData("userId eq 'Alice{r}'", "A")]
    [InlineData("userId eq 'alice{r}'", "")]
    [InlineData("tolower(userId) eq 'alice{r}'", "A")]
    [InlineData("toupper(userId) eq 'BOB{R}'", "B")]
    [InlineData("userId ne 'Alice{r}'", "BC")]
    [InlineData("'g1{r}' in groups", "AB")]
    [InlineData("'g2{r}' in groups or userId eq 'o''carol{r}'", "BC")]
    [InlineData("userId in ('Alice{r}', 'o''carol{r}')", "AC")]
    [InlineData("not ('g1{r}' in groups)", "C")]
    [InlineData("userId eq 'bob{r}' and (not ('g2{r}' in groups))", "")]
    [InlineData("userId eq 'o''carol{r}' or userId eq 'bob{r}' and 'g2{r}' in groups", "BC")]
    [InlineData("(userId eq 'o''carol{r}' or userId eq 'bob{r}') and 'g1{r}' in groups", "B")]
    [InlineData("startswith(userId, 'Al')", "A")]
    [InlineData("endswith(userId, '{r}') and contains(userId, 'ob')", "B")]
    [InlineData("length(groups) gt 2", "B")]
    [InlineData("length(groups) le 2 and length(userId) eq length('Alice{r}')", "A")]
    [InlineData("substring(userId, 1) eq 'lice{r}'", "A")]
    [InlineData("substring(userId, 0, 3) eq 'bob'", "B")]
    [InlineData("indexof(userId, '''') eq 1", "C")]
    [InlineData("concat(userId, '!') eq 'bob{r}!'", "B")]
    [InlineData("trim('  bob{r} ') eq userId", "B")]
    [InlineData("connectionId eq '{cA}' or connectionId eq '{cC}'", "AC")]
    [InlineData("USERID EQ 'Alice{r}'", "A")]
    public async Task Filter_selects_the_matching_connections(string filterTemplate, string expected)
    {
        var r = _run;
        var all = "all" + r;
        await using var a = await Client.ConnectAsync(Hub, $"Alice{r}", groups: [all, "g1" + r]);
        await using var b = await Client.ConnectAsync(Hub, $"bob{r}", groups: [all, "g1" + r, "g2" + r]);
        await using var c = await Client.ConnectAsync(Hub, $"o'carol{r}", groups: [all]);
        var filter = filterTemplate.Replace("{r}", r, StringComparison.Ordinal).Replace("{R}", r.ToUpperInvariant(), StringComparison.Ordinal)
            .Replace("{cA}", a.ConnectionId, StringComparison.Ordinal).Replace("{cC}", c.ConnectionId, StringComparison.Ordinal);

        using var filtered = await Client.SendTextAsync(Api($"groups/{all}/:send", "&filter=" + Uri.EscapeDataString(filter)), "filtered");
        Assert.Equal(HttpStatusCode.Accepted, filtered.StatusCode);
        using var marker = await Client.SendTextAsync(Api($"groups/{all}/:send"), "marker");
        Assert.Equal(HttpStatusCode.Accepted, marker.StatusCode);

        var matched = "";
        foreach (var (name, socket) in new[] { ("A", a), ("B", b), ("C", c) })
        {
            if ((await socket.ReceiveJsonAsync()).GetProperty("data").GetString() == "filtered")
            {
                matched += name;
            }
        }

        Assert.Equal(expected, matched);
    }

    [Theory]
    [InlineData("not length(userId) gt 5")]
    [InlineData("userId eq")]
    [InlineData("nickname eq 'x'")]
    [InlineData("userId eq 'unterminated")]
    [InlineData("'a' in userId")]
    [InlineData("userId eq 'a' and")]
    [InlineData("length(userId, groups) eq 1")]
    public async Task Invalid_filter_is_400(string filter)
    {
        using var response = await Client.SendTextAsync(Api($"groups/{Id("none")}/:send", "&filter=" + Uri.EscapeDataString(filter)), "x");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Add_and_remove_filtered_connections_to_groups()
    {
        var r = _run;
        await using var a = await Client.ConnectAsync(Hub, "fa" + r);
        await using var b = await Client.ConnectAsync(Hub, "fb" + r);
        var target = "target" + r;
        var body = JsonContent($"{{\"groups\":[\"{target}\"],\"filter\":\"userId eq 'fa{r}'\"}}");
        using (var add = await Client.RestAsync(HttpMethod.Post, Api(":addToGroups"), body))
        {
            Assert.Equal(HttpStatusCode.OK, add.StatusCode);
        }

        using (var send = await Client.SendTextAsync(Api($"groups/{target}/:send"), "to-target"))
        {
            Assert.Equal(HttpStatusCode.Accepted, send.StatusCode);
        }

        Assert.Equal("to-target", (await a.ReceiveJsonAsync()).GetProperty("data").GetString());

        using (var remove = await Client.RestAsync(HttpMethod.Post, Api(":removeFromGroups"), JsonContent($"{{\"groups\":[\"{target}\"],\"filter\":\"userId eq 'fa{r}'\"}}")))
        {
            Assert.Equal(HttpStatusCode.OK, remove.StatusCode);
        }

        using var gone = await Client.RestAsync(HttpMethod.Head, Api($"groups/{target}"));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);

        using var empty = await Client.RestAsync(HttpMethod.Post, Api(":addToGroups"), JsonContent("{\"groups\":[]}"));
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
    }

    // ---- 9. JSON subprotocol framing -----------------------------------------------------------

    [Fact]
    public async Task Connected_frame_is_first_and_carries_user_and_connection()
    {
        var user = Id("first");
        await using var socket = await TestSocket.ConnectAsync(Client.ClientUrl(Hub, Client.ClientToken(Hub, user)), [WebPubSubConstants.Subprotocols.Json]);
        Assert.Equal(WebPubSubConstants.Subprotocols.Json, socket.Socket.SubProtocol);
        var connected = await socket.ReceiveJsonAsync();
        Assert.Equal("system", connected.GetProperty("type").GetString());
        Assert.Equal("connected", connected.GetProperty("event").GetString());
        Assert.Equal(user, connected.GetProperty("userId").GetString());
        Assert.False(string.IsNullOrEmpty(connected.GetProperty("connectionId").GetString()));
    }

    [Fact]
    public async Task Join_without_role_is_forbidden_and_literal_role_allows_only_its_group()
    {
        var allowed = Id("ok");
        await using var socket = await Client.ConnectAsync(Hub, Id("roles"), roles: [$"webpubsub.joinLeaveGroup.{allowed}"]);
        await socket.SendTextAsync($"{{\"type\":\"joinGroup\",\"group\":\"{Id("other")}\",\"ackId\":1}}");
        var forbidden = await socket.ReceiveJsonAsync();
        Assert.Equal("ack", forbidden.GetProperty("type").GetString());
        Assert.Equal(1, forbidden.GetProperty("ackId").GetInt32());
        Assert.False(forbidden.GetProperty("success").GetBoolean());
        Assert.Equal("Forbidden", forbidden.GetProperty("error").GetProperty("name").GetString());

        await socket.SendTextAsync($"{{\"type\":\"joinGroup\",\"group\":\"{allowed}\",\"ackId\":2}}");
        var ok = await socket.ReceiveJsonAsync();
        Assert.True(ok.GetProperty("success").GetBoolean());
        using var inGroup = await Client.RestAsync(HttpMethod.Head, Api($"groups/{allowed}"));
        Assert.Equal(HttpStatusCode.OK, inGroup.StatusCode);
    }

    [Fact]
    public async Task Send_to_group_reaches_members_with_from_group_and_no_echo_skips_the_sender()
    {
        var group = Id("chat");
        string[] roles = ["webpubsub.sendToGroup", "webpubsub.joinLeaveGroup"];
        await using var sender = await Client.ConnectAsync(Hub, Id("sender"), roles, [group]);
        await using var receiver = await Client.ConnectAsync(Hub, Id("receiver"), groups: [group]);

        await sender.SendTextAsync($"{{\"type\":\"sendToGroup\",\"group\":\"{group}\",\"ackId\":7,\"noEcho\":true,\"dataType\":\"json\",\"data\":{{\"n\":1}}}}");
        var ack = await sender.ReceiveJsonAsync();
        Assert.Equal("ack", ack.GetProperty("type").GetString());
        Assert.True(ack.GetProperty("success").GetBoolean());

        var message = await receiver.ReceiveJsonAsync();
        Assert.Equal("message", message.GetProperty("type").GetString());
        Assert.Equal("group", message.GetProperty("from").GetString());
        Assert.Equal(group, message.GetProperty("group").GetString());
        Assert.Equal(Id("sender"), message.GetProperty("fromUserId").GetString());
        Assert.Equal("json", message.GetProperty("dataType").GetString());
        Assert.Equal(1, message.GetProperty("data").GetProperty("n").GetInt32());

        // With noEcho the sender's next frame is the pong, not its own message.
        await sender.SendTextAsync("{\"type\":\"ping\"}");
        Assert.Equal("pong", (await sender.ReceiveJsonAsync()).GetProperty("type").GetString());

        await sender.SendTextAsync($"{{\"type\":\"sendToGroup\",\"group\":\"{group}\",\"dataType\":\"binary\",\"data\":\"AQI=\"}}");
        var echoed = await sender.ReceiveJsonAsync();
        Assert.Equal("binary", echoed.GetProperty("dataType").GetString());
        Assert.Equal("AQI=", echoed.GetProperty("data").GetString());
    }

    [Fact]
    public async Task Send_to_group_without_permission_is_forbidden_and_not_delivered()
    {
        var group = Id("closed");
        await using var sender = await Client.ConnectAsync(Hub, Id("nosend"), groups: [group]);
        await sender.SendTextAsync($"{{\"type\":\"sendToGroup\",\"group\":\"{group}\",\"ackId\":3,\"dataType\":\"text\",\"data\":\"x\"}}");
        var ack = await sender.ReceiveJsonAsync();
        Assert.Equal("Forbidden", ack.GetProperty("error").GetProperty("name").GetString());

        using var marker = await Client.SendTextAsync(Api($"groups/{group}/:send"), "marker");
        Assert.Equal("marker", (await sender.ReceiveJsonAsync()).GetProperty("data").GetString());
    }

    [Fact]
    public async Task Reused_ack_id_is_acknowledged_as_duplicate_and_not_published_twice()
    {
        var group = Id("dup");
        await using var sender = await Client.ConnectAsync(Hub, Id("dupsender"), ["webpubsub.sendToGroup"]);
        await using var receiver = await Client.ConnectAsync(Hub, Id("dupreceiver"), groups: [group]);
        var frame = $"{{\"type\":\"sendToGroup\",\"group\":\"{group}\",\"ackId\":42,\"dataType\":\"text\",\"data\":\"once\"}}";
        await sender.SendTextAsync(frame);
        Assert.True((await sender.ReceiveJsonAsync()).GetProperty("success").GetBoolean());
        await sender.SendTextAsync(frame);
        var duplicate = await sender.ReceiveJsonAsync();
        Assert.False(duplicate.GetProperty("success").GetBoolean());
        Assert.Equal("Duplicate", duplicate.GetProperty("error").GetProperty("name").GetString());

        using var marker = await Client.SendTextAsync(Api($"groups/{group}/:send"), "marker");
        Assert.Equal("once", (await receiver.ReceiveJsonAsync()).GetProperty("data").GetString());
        Assert.Equal("marker", (await receiver.ReceiveJsonAsync()).GetProperty("data").GetString());
    }

    [Fact]
    public async Task Ping_gets_pong_and_unknown_types_are_ignored()
    {
        await using var socket = await Client.ConnectAsync(Hub, Id("pinger"));
        await socket.SendTextAsync("{\"type\":\"somethingNew\",\"x\":1}");
        await socket.SendTextAsync("{\"type\":\"ping\"}");
        Assert.Equal("pong", (await socket.ReceiveJsonAsync()).GetProperty("type").GetString());
    }

    [Fact]
    public async Task Wildcard_role_allows_matching_groups_only()
    {
        var r = _run;
        await using var socket = await Client.ConnectAsync(Hub, Id("wild"), [$"webpubsub.joinLeaveGroups.room{r}.*"]);
        await socket.SendTextAsync($"{{\"type\":\"joinGroup\",\"group\":\"room{r}.a\",\"ackId\":1}}");
        Assert.True((await socket.ReceiveJsonAsync()).GetProperty("success").GetBoolean());
        await socket.SendTextAsync($"{{\"type\":\"joinGroup\",\"group\":\"room{r}.a.b\",\"ackId\":2}}");
        Assert.Equal("Forbidden", (await socket.ReceiveJsonAsync()).GetProperty("error").GetProperty("name").GetString());
    }

    [Fact]
    public async Task Granted_permission_is_checked_and_allows_send_to_group()
    {
        var group = Id("perm");
        await using var socket = await Client.ConnectAsync(Hub, Id("granted"), groups: [group]);
        var path = $"permissions/sendToGroup/connections/{socket.ConnectionId}";
        using (var before = await Client.RestAsync(HttpMethod.Head, Api(path, $"&targetName={group}")))
        {
            Assert.Equal(HttpStatusCode.NotFound, before.StatusCode);
        }

        using (var grant = await Client.RestAsync(HttpMethod.Put, Api(path, $"&targetName={group}")))
        {
            Assert.Equal(HttpStatusCode.OK, grant.StatusCode);
        }

        using (var after = await Client.RestAsync(HttpMethod.Head, Api(path, $"&targetName={group}")))
        {
            Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        }

        await socket.SendTextAsync($"{{\"type\":\"sendToGroup\",\"group\":\"{group}\",\"ackId\":1,\"noEcho\":true,\"dataType\":\"text\",\"data\":\"hi\"}}");
        Assert.True((await socket.ReceiveJsonAsync()).GetProperty("success").GetBoolean());

        using (var revoke = await Client.RestAsync(HttpMethod.Delete, Api(path, $"&targetName={group}")))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        }

        using var revoked = await Client.RestAsync(HttpMethod.Head, Api(path, $"&targetName={group}"));
        Assert.Equal(HttpStatusCode.NotFound, revoked.StatusCode);
    }

    [Fact]
    public async Task Plain_client_in_send_to_group_mode_publishes_every_frame()
    {
        var group = Id("mode");
        await using var receiver = await Client.ConnectAsync(Hub, Id("moderecv"), groups: [group]);
        await using var publisher = await Client.ConnectAsync(Hub, Id("modepub"), [$"webpubsub.sendToGroup.{group}"], json: false,
            extraQuery: $"webpubsub_mode=sendToGroup&group={group}");
        await publisher.SendTextAsync("from-plain");
        var message = await receiver.ReceiveJsonAsync();
        Assert.Equal("text", message.GetProperty("dataType").GetString());
        Assert.Equal("from-plain", message.GetProperty("data").GetString());
    }

    private static ByteArrayContent JsonContent(string json)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(json));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }
}

/// <summary>The suite against the emulator.</summary>
public sealed class EmulatorConformanceTests(EmulatorFixture fixture) : ServiceConformanceTests, IClassFixture<EmulatorFixture>
{
    protected override IServiceTarget Target => fixture;
}

/// <summary>The same suite against Azure when <c>WEBPUBSUB_CONNECTION_STRING</c> is set; skipped otherwise.</summary>
public sealed class AzureConformanceTests : ServiceConformanceTests
{
    private readonly AzureTarget _target = new();

    protected override IServiceTarget Target
    {
        get
        {
            if (!_target.IsConfigured)
            {
                Assert.Skip($"{AzureTarget.ConnectionStringVariable} not set");
            }

            return _target;
        }
    }
}
