using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RestaurantOs.DevHost;
using RestaurantOs.Realtime.Auth;

namespace RestaurantOs.EndToEnd.Tests.Infrastructure;

[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class TestJsonContext : JsonSerializerContext;

/// <summary>
/// The whole system (DevHost: emulator, functions, timers, SQLite, pages) on a real Kestrel port of 127.0.0.1,
/// started once per test class. Tests use their own restaurant ids, so they stay independent on a shared instance.
/// </summary>
public class DevHostFixture : IAsyncLifetime
{
    private readonly string[] _extraArgs;

    public DevHostFixture()
        : this([])
    {
    }

    /// <param name="extraArgs">More command-line settings for a host that needs them (e.g. a small history).</param>
    protected DevHostFixture(string[] extraArgs)
    {
        _extraArgs = extraArgs;
    }

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "ros-e2e-" + Guid.NewGuid().ToString("N"));
    private WebApplication? _app;
    private HttpClient? _http;

    /// <summary>The auth grace period the host runs with (seconds).</summary>
    public const int AuthGraceSeconds = 2;

    public Uri BaseUri { get; private set; } = null!;

    /// <summary><c>ws://127.0.0.1:port/ws</c>, the seed-compatible endpoint (also meant to answer at <c>/</c>; see the root-path test).</summary>
    public Uri WsUri { get; private set; } = null!;

    public HttpClient Http => _http ?? throw new InvalidOperationException("The host is not started.");

    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("The host is not started.");

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _app = DevHostApp.Create(
        [
            "--urls", "http://127.0.0.1:0",
            $"--Storage:Sqlite:Path={Path.Combine(_directory, "e2e.db")}",
            $"--Auth:AuthGraceSeconds={AuthGraceSeconds}",
            // No clock skew, so a token minted to expire in two seconds really does (same process, same clock).
            "--Auth:ClockSkewSeconds=0",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Microsoft.AspNetCore=Warning",
            .. _extraArgs,
        ]);
        using var cts = new CancellationTokenSource(StartTimeout);
        await _app.StartAsync(cts.Token).WaitAsync(StartTimeout);
        var address = _app.Urls.FirstOrDefault() ?? throw new InvalidOperationException("DevHost started without an address.");
        BaseUri = new Uri(address.TrimEnd('/') + "/");
        WsUri = new UriBuilder(BaseUri) { Scheme = "ws", Path = "/ws" }.Uri;
        _http = new HttpClient { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(15) };
    }

    public async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        _http?.Dispose();
        if (_app is not null)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _app.StopAsync(cts.Token).WaitAsync(TimeSpan.FromSeconds(20));
            }
            finally
            {
                await _app.DisposeAsync();
            }
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may hold the file for a moment after dispose; the temp folder is cleaned by the OS eventually.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
    }

    /// <summary>A token from <c>GET /dev/token</c>, as the pages get theirs.</summary>
    public Task<string> TokenAsync(Guid restaurantId, string role, string? sub = null, params Guid[] orderIds)
    {
        var query = $"restaurant_id={restaurantId}&role={role}";
        if (sub is not null)
        {
            query += "&sub=" + Uri.EscapeDataString(sub);
        }

        if (orderIds.Length > 0)
        {
            query += "&order_ids=" + string.Join(',', orderIds);
        }

        return DevTokenAsync(query);
    }

    /// <summary>A token from <c>GET /dev/token</c> for a named station (a KDS screen, say).</summary>
    public Task<string> StationTokenAsync(Guid restaurantId, string role, string station) =>
        DevTokenAsync($"restaurant_id={restaurantId}&role={role}&station={Uri.EscapeDataString(station)}");

    private async Task<string> DevTokenAsync(string query)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var response = await Http.GetAsync(new Uri("dev/token?" + query, UriKind.Relative), cts.Token);
        var body = await response.Content.ReadAsStringAsync(cts.Token);
        Assert.True(response.IsSuccessStatusCode, $"/dev/token failed: {(int)response.StatusCode} {body}");
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("token").GetString()!;
    }

    /// <summary>A token signed like the host's own, with chosen lifetime (for expired tokens).</summary>
    public string MintToken(Guid restaurantId, Role role, string subject, DateTimeOffset notBefore, DateTimeOffset expires, string? signingKey = null, IEnumerable<Guid>? orderIds = null)
    {
        var jwt = Services.GetRequiredService<IOptions<AppJwtOptions>>().Value;
        return AppTokenIssuer.CreateHs256(signingKey ?? jwt.SigningKey!, jwt.Issuer!, jwt.Audience!, subject, restaurantId, role, orderIds, notBefore, expires);
    }

    public Uri SeedUri(string? token = null) => token is null ? WsUri : new Uri(WsUri, "?token=" + Uri.EscapeDataString(token));

    /// <summary>Connects to the seed endpoint with <c>?token=</c> and waits for an authenticated <c>connected</c>.</summary>
    public Task<WsClient> ConnectAsync(string token, string name) => ConnectAsyncAt(WsUri, token, name);

    /// <summary>Connects to <paramref name="endpoint"/> with <c>?token=</c> and waits for an authenticated <c>connected</c>.</summary>
    public static async Task<WsClient> ConnectAsyncAt(Uri endpoint, string token, string name)
    {
        var client = await WsClient.ConnectAsync(new Uri(endpoint, "?token=" + Uri.EscapeDataString(token)), name);
        await client.ExpectConnectedAsync(authenticated: true);
        return client;
    }

    /// <summary><c>GET /api/negotiate</c> → the Azure-compatible client URL.</summary>
    public async Task<Uri> NegotiateAsync(string token)
    {
        using var response = await SendAsync(HttpMethod.Get, "api/negotiate", token);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"negotiate failed: {(int)response.StatusCode} {body}");
        using var json = JsonDocument.Parse(body);
        var url = json.RootElement.GetProperty("url").GetString()!;
        Assert.StartsWith("ws://", url, StringComparison.Ordinal);
        Assert.True(json.RootElement.TryGetProperty("baseUrl", out _), $"negotiate answer has no baseUrl: {body}");
        Assert.True(json.RootElement.TryGetProperty("accessToken", out _), $"negotiate answer has no accessToken: {body}");
        return new Uri(url);
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token, JsonNode? body = null, string? rawBody = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (body is not null || rawBody is not null)
        {
            request.Content = new StringContent(rawBody ?? body!.ToJsonString(), Encoding.UTF8, "application/json");
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        return await Http.SendAsync(request, cts.Token);
    }

    /// <summary>Sends and asserts the status; returns the parsed JSON body.</summary>
    public async Task<JsonElement> CallAsync(HttpMethod method, string path, string token, JsonNode? body, int expectedStatus)
    {
        using var response = await SendAsync(method, path, token, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == expectedStatus, $"{method} /{path} returned {(int)response.StatusCode}, expected {expectedStatus}: {text}");
        if (text.Length == 0)
        {
            return default;
        }

        using var json = JsonDocument.Parse(text);
        return json.RootElement.Clone();
    }

    public Task<JsonElement> CreateOrderAsync(string token, Guid? id = null, string? table = null, long price = 1250, string item = "Burger") =>
        CallAsync(HttpMethod.Post, "api/orders", token, Bodies.Order(id, table, price, item), 201);

    public Task<JsonElement> ChangeStatusAsync(string token, Guid orderId, string status, int? expectedVersion = null) =>
        CallAsync(HttpMethod.Post, $"api/orders/{orderId}/status", token, Bodies.Status(status, expectedVersion), 200);

    public Task<JsonElement> PayAsync(string token, Guid orderId, long amount, string method = "card") =>
        CallAsync(HttpMethod.Post, $"api/orders/{orderId}/payments", token, new JsonObject { ["amount"] = amount, ["payment_method"] = method }, 201);

    public Task<JsonElement> PatchNotesAsync(string token, Guid orderId, int expectedVersion, string notes) =>
        CallAsync(HttpMethod.Patch, $"api/orders/{orderId}", token, new JsonObject { ["expected_version"] = expectedVersion, ["notes"] = notes }, 200);
}

/// <summary>Request bodies (snake_case, as the API documents them).</summary>
internal static class Bodies
{
    public static JsonObject Order(Guid? id = null, string? table = null, long price = 1250, string item = "Burger")
    {
        var body = new JsonObject
        {
            ["items"] = new JsonArray(new JsonObject { ["name"] = item, ["quantity"] = 2, ["price"] = price }),
        };
        if (id is { } value)
        {
            body["id"] = value.ToString();
        }

        if (table is not null)
        {
            body["table_number"] = table;
        }

        return body;
    }

    public static JsonObject Status(string status, int? expectedVersion = null)
    {
        var body = new JsonObject { ["status"] = status };
        if (expectedVersion is { } v)
        {
            body["expected_version"] = v;
        }

        return body;
    }

    public static JsonObject Table(string label, string status, Guid? currentOrder = null, int? expectedVersion = null)
    {
        var body = new JsonObject
        {
            ["label"] = label,
            ["seats"] = 4,
            ["status"] = status,
            ["x"] = 10,
            ["y"] = 20,
            ["width"] = 80,
            ["height"] = 80,
            ["rotation"] = 0,
        };
        if (currentOrder is { } order)
        {
            body["current_order_id"] = order.ToString();
        }

        if (expectedVersion is { } v)
        {
            body["expected_version"] = v;
        }

        return body;
    }

    public static JsonObject Notification(string kind, string message, Guid? orderId = null, string? table = null)
    {
        var body = new JsonObject { ["kind"] = kind, ["message"] = message };
        if (orderId is { } id)
        {
            body["order_id"] = id.ToString();
        }

        if (table is not null)
        {
            body["table_number"] = table;
        }

        return body;
    }
}

/// <summary>A host whose history keeps only <see cref="MaxEvents"/> events per restaurant, to reach <c>resync</c> quickly.</summary>
public sealed class SmallHistoryHostFixture : DevHostFixture
{
    public const int MaxEvents = 20;

    public SmallHistoryHostFixture()
        : base([$"--Storage:History:MaxEventsPerRestaurant={MaxEvents}"])
    {
    }
}

/// <summary>DevHost with <c>--worker</c>: the Functions app runs as its own process over the Functions host protocol.</summary>
public sealed class WorkerModeHostFixture : DevHostFixture
{
    public WorkerModeHostFixture()
        : base(["--worker"])
    {
    }
}

/// <summary>DevHost with <c>--demo</c>: the simulator runs a lunch rush in the demo restaurants.</summary>
public sealed class DemoHostFixture : DevHostFixture
{
    public DemoHostFixture()
        : base(["--demo"])
    {
    }
}

/// <summary>
/// A host whose presence timer runs every second with a 2 s grace, and which calls a screen silent after 3 s and
/// behind after 1 s, so station alerts can be seen in a test without waiting half a minute.
/// </summary>
public sealed class QuickPresenceHostFixture : DevHostFixture
{
    public const int GraceSeconds = 2;

    public QuickPresenceHostFixture()
        : base([$"--Presence:Grace=00:00:0{GraceSeconds}", "--Presence:SilentAfter=00:00:03", "--Presence:BehindAfter=00:00:01", "--PresenceSchedule=*/1 * * * * *"])
    {
    }
}
