using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace RestaurantOs.EndToEnd.Tests.Infrastructure;

/// <summary>One message the server sent: the parsed envelope and the raw text.</summary>
public sealed class WsMessage
{
    public WsMessage(string raw)
    {
        Raw = raw;
        using var document = JsonDocument.Parse(raw);
        Root = document.RootElement.Clone();
        Type = Root.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String ? type.GetString()! : "";
    }

    public string Raw { get; }

    public JsonElement Root { get; }

    public string Type { get; }

    public string? Id => Root.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;

    public long? Seq => Root.TryGetProperty("seq", out var seq) && seq.ValueKind == JsonValueKind.Number ? seq.GetInt64() : null;

    public Guid? RestaurantId => Root.TryGetProperty("restaurant_id", out var r) && r.ValueKind == JsonValueKind.String ? r.GetGuid() : null;

    public JsonElement Data => Root.TryGetProperty("data", out var data) ? data : default;

    /// <summary><c>data.code</c> of an <c>error</c> message.</summary>
    public string? ErrorCode => Type == "error" && Data.ValueKind == JsonValueKind.Object && Data.TryGetProperty("code", out var code) ? code.GetString() : null;

    public override string ToString() => Raw.Length > 400 ? Raw[..400] + "…" : Raw;
}

/// <summary>
/// A real <see cref="ClientWebSocket"/> with a background reader: every server message is kept in order, so a test
/// can wait for a message (bounded), inspect everything received, and learn how (and with what code) the socket closed.
/// </summary>
public sealed class WsClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly ClientWebSocket _socket;
    private readonly List<WsMessage> _messages = [];
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _reader;
    private int _cursor;

    private WsClient(ClientWebSocket socket, string name)
    {
        _socket = socket;
        Name = name;
    }

    public string Name { get; }

    public WebSocketCloseStatus? CloseStatus { get; private set; }

    public string? CloseDescription { get; private set; }

    /// <summary>Set when the connection ended without a close frame (reset, abort).</summary>
    public Exception? Fault { get; private set; }

    public bool IsClosed => _closed.Task.IsCompleted;

    public WebSocketState State => _socket.State;

    /// <summary>Connects and starts reading. Throws <see cref="WebSocketException"/> when the upgrade is refused.</summary>
    public static async Task<WsClient> ConnectAsync(Uri uri, string name, IReadOnlyDictionary<string, string>? headers = null, TimeSpan? timeout = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        foreach (var (key, value) in headers ?? new Dictionary<string, string>())
        {
            socket.Options.SetRequestHeader(key, value);
        }

        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            await socket.ConnectAsync(uri, cts.Token);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var client = new WsClient(socket, name);
        client._reader = Task.Run(client.ReadLoopAsync);
        return client;
    }

    /// <summary>Tries to connect and returns the HTTP status of a refused upgrade (or 101 when it succeeded).</summary>
    public static async Task<HttpStatusCode> TryConnectStatusAsync(Uri uri, TimeSpan? timeout = null)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            await socket.ConnectAsync(uri, cts.Token);
            socket.Abort();
            return HttpStatusCode.SwitchingProtocols;
        }
        catch (WebSocketException)
        {
            return socket.HttpStatusCode;
        }
    }

    public Task SendAsync(string text) => SendBytesAsync(Encoding.UTF8.GetBytes(text));

    public async Task SendBytesAsync(byte[] payload)
    {
        using var cts = new CancellationTokenSource(DefaultTimeout);
        await _socket.SendAsync(payload, WebSocketMessageType.Text, endOfMessage: true, cts.Token);
    }

    /// <summary>Everything received so far, in order.</summary>
    public IReadOnlyList<WsMessage> Received
    {
        get
        {
            lock (_lock)
            {
                return [.. _messages];
            }
        }
    }

    /// <summary>
    /// Waits for the next message (after the ones already consumed by this method) matching <paramref name="predicate"/>;
    /// messages skipped on the way stay in <see cref="Received"/>. Fails with the messages seen when the time runs out
    /// or the socket closes first.
    /// </summary>
    public async Task<WsMessage> ReceiveUntilAsync(Func<WsMessage, bool> predicate, TimeSpan? timeout = null, string? what = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            Task arrived;
            lock (_lock)
            {
                for (; _cursor < _messages.Count; _cursor++)
                {
                    if (predicate(_messages[_cursor]))
                    {
                        return _messages[_cursor++];
                    }
                }

                arrived = _arrived.Task;
            }

            if (_closed.Task.IsCompleted)
            {
                Assert.Fail($"[{Name}] closed ({Describe()}) before {what ?? "the expected message"} arrived. Received:\n{Dump()}");
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                Assert.Fail($"[{Name}] timed out waiting for {what ?? "the expected message"}. Received:\n{Dump()}");
            }

            await Task.WhenAny(arrived, _closed.Task, Task.Delay(left));
        }
    }

    /// <summary>Waits for a message of <paramref name="type"/> (see <see cref="ReceiveUntilAsync"/>).</summary>
    public Task<WsMessage> ReceiveTypeAsync(string type, TimeSpan? timeout = null) =>
        ReceiveUntilAsync(m => m.Type == type, timeout, $"a '{type}' message");

    /// <summary>Waits for an <c>error</c> with <paramref name="code"/>.</summary>
    public Task<WsMessage> ReceiveErrorAsync(string code, TimeSpan? timeout = null) =>
        ReceiveUntilAsync(m => m.ErrorCode == code, timeout, $"an error {code}");

    /// <summary>The messages received so far that match <paramref name="predicate"/>.</summary>
    public IReadOnlyList<WsMessage> All(Func<WsMessage, bool> predicate) => [.. Received.Where(predicate)];

    /// <summary>Waits for the server to close; returns the close status (null when the socket was reset without a close frame).</summary>
    public async Task<WebSocketCloseStatus?> WaitForCloseAsync(TimeSpan? timeout = null)
    {
        var done = await Task.WhenAny(_closed.Task, Task.Delay(timeout ?? DefaultTimeout));
        if (done != _closed.Task)
        {
            Assert.Fail($"[{Name}] was not closed in time (state {_socket.State}). Received:\n{Dump()}");
        }

        return CloseStatus;
    }

    /// <summary>Opens the connection and waits for <c>connected</c>; with a token it must say authenticated.</summary>
    public async Task<WsMessage> ExpectConnectedAsync(bool authenticated)
    {
        var hello = await ReceiveTypeAsync("connected");
        Assert.True(hello.Data.TryGetProperty("authenticated", out var flag), $"[{Name}] connected has no data.authenticated: {hello}");
        Assert.Equal(authenticated, flag.GetBoolean());
        return hello;
    }

    public async Task CloseAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "test done", cts.Token);
                await _closed.Task.WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or TimeoutException or ObjectDisposedException)
            {
                _socket.Abort();
            }
        }
    }

    public string Dump()
    {
        var all = Received;
        var sb = new StringBuilder();
        foreach (var m in all.TakeLast(60))
        {
            sb.Append("  ").AppendLine(m.ToString());
        }

        return all.Count == 0 ? "  (nothing)" : sb.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
        _socket.Abort();
        await _stop.CancelAsync();
        if (_reader is not null)
        {
            await _reader.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _socket.Dispose();
        _stop.Dispose();
    }

    private string Describe() => CloseStatus is { } s ? $"{(int)s} {CloseDescription}" : Fault?.Message ?? "no close frame";

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    CloseStatus = result.CloseStatus;
                    CloseDescription = result.CloseStatusDescription;
                    try
                    {
                        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
                    }
                    catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
                    {
                        // The server may already have dropped the TCP connection after its close frame.
                    }

                    return;
                }

                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                var text = Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length);
                message.SetLength(0);
                WsMessage parsed;
                try
                {
                    parsed = new WsMessage(text);
                }
                catch (JsonException)
                {
                    parsed = new WsMessage(JsonSerializer.Serialize(new Dictionary<string, string> { ["type"] = "<not json>", ["raw"] = text }, TestJsonContext.Default.DictionaryStringString));
                }

                TaskCompletionSource signal;
                lock (_lock)
                {
                    _messages.Add(parsed);
                    signal = _arrived;
                    _arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                signal.TrySetResult();
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            Fault = ex;
            // A close frame may have been read by the failing call; keep what the socket knows.
            CloseStatus ??= _socket.CloseStatus;
            CloseDescription ??= _socket.CloseStatusDescription;
        }
        finally
        {
            _closed.TrySetResult();
            lock (_lock)
            {
                _arrived.TrySetResult();
            }
        }
    }
}
