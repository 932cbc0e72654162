using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using RestaurantOs.WebPubSub.Protocol;

namespace RestaurantOs.Emulator.Tests.Infrastructure;

public enum AudienceForm
{
    FullUrl,
    WithoutQuery,
    UpperCaseSchemeAndHost,
    UpperCase,
}

/// <summary>Talks to a <see cref="IServiceTarget"/> through its public protocols only: REST with access-key JWTs, and WebSockets.</summary>
public sealed class TestClient(IServiceTarget target) : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public IServiceTarget Target => target;

    public string RestToken(Uri url, AudienceForm form = AudienceForm.FullUrl, string? key = null, TimeSpan? lifetime = null, DateTimeOffset? now = null)
    {
        var audience = form switch
        {
            AudienceForm.FullUrl => url.AbsoluteUri,
            AudienceForm.WithoutQuery => url.GetLeftPart(UriPartial.Path),
            AudienceForm.UpperCaseSchemeAndHost => url.GetLeftPart(UriPartial.Authority).ToUpperInvariant() + url.PathAndQuery,
            AudienceForm.UpperCase => url.AbsoluteUri.ToUpperInvariant(),
            _ => throw new ArgumentOutOfRangeException(nameof(form)),
        };
        return AccessKeyToken.Create(key ?? target.AccessKey, audience, lifetime ?? TimeSpan.FromMinutes(5), now ?? DateTimeOffset.UtcNow);
    }

    public Uri Url(string relative) => new(target.Endpoint, relative);

    /// <summary>Calls the REST API; <paramref name="relative"/> is like <c>api/hubs/h/:send?api-version=2024-12-01</c>.</summary>
    public async Task<HttpResponseMessage> RestAsync(HttpMethod method, string relative, HttpContent? content = null, AudienceForm form = AudienceForm.FullUrl, string? token = null)
    {
        var url = Url(relative);
        using var request = new HttpRequestMessage(method, url) { Content = content };
        token ??= RestToken(url, form);
        if (token.Length > 0)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await _http.SendAsync(request).WaitAsync(Timeout);
    }

    public Task<HttpResponseMessage> SendTextAsync(string relative, string text, string contentType = "text/plain") =>
        RestAsync(HttpMethod.Post, relative, new StringContent(text, Encoding.UTF8, MediaTypeHeaderValue.Parse(contentType)));

    public string ClientToken(string hub, string? userId = null, IEnumerable<string>? roles = null, IEnumerable<string>? groups = null, string? key = null) =>
        AccessKeyToken.Create(key ?? target.AccessKey, AccessKeyToken.GetClientAudience(target.Endpoint, hub), TimeSpan.FromMinutes(60), DateTimeOffset.UtcNow, userId, roles, groups);

    public Uri ClientUrl(string hub, string? token, string extraQuery = "")
    {
        var builder = new UriBuilder(target.Endpoint) { Scheme = target.Endpoint.Scheme == "https" ? "wss" : "ws", Path = "/client/hubs/" + Uri.EscapeDataString(hub) };
        var query = token is null ? "" : "access_token=" + Uri.EscapeDataString(token);
        builder.Query = string.Join('&', new[] { query, extraQuery }.Where(q => q.Length > 0));
        return builder.Uri;
    }

    /// <summary>Connects a client; with the JSON subprotocol it reads the <c>connected</c> frame and exposes the connection id.</summary>
    public async Task<TestSocket> ConnectAsync(string hub, string? userId = null, IEnumerable<string>? roles = null, IEnumerable<string>? groups = null, bool json = true, string extraQuery = "", string[]? subprotocols = null)
    {
        var socket = await TestSocket.ConnectAsync(ClientUrl(hub, ClientToken(hub, userId, roles, groups), extraQuery), subprotocols ?? (json ? [WebPubSubConstants.Subprotocols.Json] : []));
        if (json)
        {
            var connected = await socket.ReceiveJsonAsync();
            Assert.Equal("system", connected.GetProperty("type").GetString());
            Assert.Equal("connected", connected.GetProperty("event").GetString());
            socket.ConnectionId = connected.GetProperty("connectionId").GetString()!;
        }
        else if (userId is not null)
        {
            // A plain client gets no frame to wait for: the socket is open before the service has registered the
            // connection, so a REST send to the user right away can find nobody. Wait until the service knows the user.
            await WaitForUserAsync(hub, userId);
        }

        return socket;
    }

    /// <summary>Polls <c>HEAD users/{user}</c> (bounded) until the service reports a connection of the user.</summary>
    private async Task WaitForUserAsync(string hub, string userId)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            using var response = await RestAsync(HttpMethod.Head, $"api/hubs/{Uri.EscapeDataString(hub)}/users/{Uri.EscapeDataString(userId)}?api-version=2024-12-01");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"The service never reported a connection of user '{userId}' (last answer {(int)response.StatusCode}).");
            await Task.Delay(20);
        }
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>A ClientWebSocket with bounded receives.</summary>
public sealed class TestSocket : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;

    private TestSocket(ClientWebSocket socket) => _socket = socket;

    public string ConnectionId { get; set; } = "";

    public ClientWebSocket Socket => _socket;

    /// <summary>
    /// Connects with a fixed 4 KB socket receive buffer (no autotuning), so a client that does not read stops
    /// accepting data after a small, predictable amount instead of tens of MB.
    /// </summary>
    public static async Task<TestSocket> ConnectWithSmallReceiveBufferAsync(Uri url)
    {
        var handler = new System.Net.Http.SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var raw = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { ReceiveBufferSize = 4096, NoDelay = true };
                try
                {
                    await raw.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new System.Net.Sockets.NetworkStream(raw, ownsSocket: true);
                }
                catch
                {
                    raw.Dispose();
                    throw;
                }
            },
        };
        var invoker = new HttpMessageInvoker(handler);
        var socket = new ClientWebSocket();
        try
        {
            await socket.ConnectAsync(url, invoker, CancellationToken.None).WaitAsync(TestClient.Timeout);
        }
        catch
        {
            socket.Dispose();
            invoker.Dispose();
            throw;
        }

        return new TestSocket(socket);
    }

    public static async Task<TestSocket> ConnectAsync(Uri url, IEnumerable<string> subprotocols, Action<ClientWebSocketOptions>? configure = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        foreach (var subprotocol in subprotocols)
        {
            socket.Options.AddSubProtocol(subprotocol);
        }

        configure?.Invoke(socket.Options);
        try
        {
            await socket.ConnectAsync(url, CancellationToken.None).WaitAsync(TestClient.Timeout);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new TestSocket(socket);
    }

    /// <summary>Tries to connect and returns the HTTP status of a refused upgrade (101 when accepted).</summary>
    public static async Task<(int Status, TestSocket? Socket)> TryConnectAsync(Uri url, IEnumerable<string> subprotocols, Action<ClientWebSocketOptions>? configure = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        foreach (var subprotocol in subprotocols)
        {
            socket.Options.AddSubProtocol(subprotocol);
        }

        configure?.Invoke(socket.Options);
        try
        {
            await socket.ConnectAsync(url, CancellationToken.None).WaitAsync(TestClient.Timeout);
            return (101, new TestSocket(socket));
        }
        catch (WebSocketException)
        {
            var status = (int)socket.HttpStatusCode;
            socket.Dispose();
            return (status, null);
        }
    }

    public async Task<(WebSocketMessageType Type, byte[] Data)> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        while (true)
        {
            var result = await _socket.ReceiveAsync(chunk, CancellationToken.None).WaitAsync(timeout ?? TestClient.Timeout);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return (WebSocketMessageType.Close, []);
            }

            buffer.Write(chunk, 0, result.Count);
            if (result.EndOfMessage)
            {
                return (result.MessageType, buffer.ToArray());
            }
        }
    }

    public async Task<string> ReceiveTextAsync()
    {
        var (type, data) = await ReceiveAsync();
        Assert.Equal(WebSocketMessageType.Text, type);
        return Encoding.UTF8.GetString(data);
    }

    public async Task<JsonElement> ReceiveJsonAsync()
    {
        var text = await ReceiveTextAsync();
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    /// <summary>Reads until the server's close frame, answers it as a browser would, and returns its status and description.</summary>
    public async Task<(WebSocketCloseStatus? Status, string? Description)> ReceiveCloseAsync(TimeSpan? timeout = null)
    {
        while (true)
        {
            var (type, _) = await ReceiveAsync(timeout);
            if (type == WebSocketMessageType.Close)
            {
                if (_socket.State == WebSocketState.CloseReceived)
                {
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).WaitAsync(TestClient.Timeout);
                }

                return (_socket.CloseStatus, _socket.CloseStatusDescription);
            }
        }
    }

    public Task SendTextAsync(string text) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None).WaitAsync(TestClient.Timeout);

    public Task SendBinaryAsync(byte[] data) =>
        _socket.SendAsync(data, WebSocketMessageType.Binary, true, CancellationToken.None).WaitAsync(TestClient.Timeout);

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(2));
            }
            catch (Exception ex) when (ex is WebSocketException or TimeoutException or OperationCanceledException)
            {
                // Best effort: the test is over.
            }
        }

        _socket.Dispose();
    }
}
