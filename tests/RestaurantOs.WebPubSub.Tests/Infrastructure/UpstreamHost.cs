using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RestaurantOs.WebPubSub.Protocol;
using RestaurantOs.WebPubSub.Upstream;

namespace RestaurantOs.WebPubSub.Tests.Infrastructure;

/// <summary>A real Kestrel app whose only endpoint runs the upstream codec, the way the Functions app will.</summary>
internal sealed class UpstreamHost : IAsyncDisposable
{
    public const string Key = "7aab239577fd4f24bc919802fb629f5f";
    public const string Origin = "demo.webpubsub.azure.com";

    private readonly WebApplication _app;

    private UpstreamHost(WebApplication app, HttpClient client)
    {
        _app = app;
        Client = client;
    }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public ConcurrentQueue<UpstreamRequest> Received { get; } = new();

    /// <summary>Answer for connect; null → 204.</summary>
    public Func<ConnectRequest, ConnectEventResponse?> OnConnect { get; set; } = _ => null;

    /// <summary>Error to answer connect with instead, if set.</summary>
    public (UpstreamErrorCode Code, string Message)? ConnectError { get; set; }

    /// <summary>Answer for user events; default echoes the payload and counts calls in the connection state.</summary>
    public Func<UserEventRequest, UserEventResponse?> OnUserEvent { get; set; } = DefaultUserEvent;

    public static async Task<UpstreamHost> StartAsync(Dictionary<string, string?> settings, Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddWebPubSubUpstream(builder.Configuration);
        configureServices?.Invoke(builder.Services);
        var app = builder.Build();
        UpstreamHost? host = null;
        app.Run(context => host!.HandleAsync(context));
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        host = new UpstreamHost(app, new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(10) });
        return host;
    }

    public static Task<UpstreamHost> StartWithKeyAsync(params string[] extraKeys)
    {
        var settings = new Dictionary<string, string?> { ["WebPubSub:ConnectionString"] = $"Endpoint=https://{Origin};AccessKey={Key};Version=1.0;" };
        for (var i = 0; i < extraKeys.Length; i++)
        {
            // Explicit keys replace the connection string default, so list the primary too.
            settings["WebPubSub:Upstream:AccessKeys:0"] = Key;
            settings[$"WebPubSub:Upstream:AccessKeys:{i + 1}"] = extraKeys[i];
        }

        return StartAsync(settings);
    }

    /// <summary>A request as the service sends it: CloudEvents headers, origin and signature.</summary>
    public static HttpRequestMessage Event(
        string eventType,
        string eventName,
        byte[]? body = null,
        string? contentType = "application/json; charset=utf-8",
        string connectionId = "conn-1",
        string? userId = "user-1",
        string? state = null,
        string? signature = "compute",
        string? origin = Origin,
        string? subprotocol = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/upstream");
        request.Headers.TryAddWithoutValidation("ce-specversion", "1.0");
        request.Headers.TryAddWithoutValidation("ce-awpsversion", "1.0");
        request.Headers.TryAddWithoutValidation("ce-type", eventType);
        request.Headers.TryAddWithoutValidation("ce-source", $"/hubs/restaurant/client/{connectionId}");
        request.Headers.TryAddWithoutValidation("ce-id", Guid.NewGuid().ToString("N"));
        request.Headers.TryAddWithoutValidation("ce-time", "2026-11-26T15:00:00Z");
        request.Headers.TryAddWithoutValidation("ce-hub", "restaurant");
        request.Headers.TryAddWithoutValidation("ce-connectionId", connectionId);
        request.Headers.TryAddWithoutValidation("ce-eventName", eventName);
        if (userId is not null)
        {
            request.Headers.TryAddWithoutValidation("ce-userId", userId);
        }

        if (subprotocol is not null)
        {
            request.Headers.TryAddWithoutValidation("ce-subprotocol", subprotocol);
        }

        if (state is not null)
        {
            request.Headers.TryAddWithoutValidation("ce-connectionState", state);
        }

        if (signature is not null)
        {
            request.Headers.TryAddWithoutValidation("ce-signature", signature == "compute" ? UpstreamSignature.Compute(connectionId, [Key]) : signature);
        }

        if (origin is not null)
        {
            request.Headers.TryAddWithoutValidation("WebHook-Request-Origin", origin);
        }

        var content = new ByteArrayContent(body ?? []);
        if (contentType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        request.Content = content;
        return request;
    }

    public static HttpRequestMessage User(string eventName, string contentType, byte[] body, string? state = null) =>
        Event(WebPubSubConstants.EventTypes.User(eventName), eventName, body, contentType, state: state, subprotocol: "json.webpubsub.azure.v1");

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await _app.DisposeAsync();
    }

    private static UserEventResponse DefaultUserEvent(UserEventRequest request)
    {
        var count = request.ConnectionState.TryGetValue("count", out var value) ? value.GetInt32() : 0;
        using var document = System.Text.Json.JsonDocument.Parse((count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        return new UserEventResponse
        {
            Message = new WebPubSubMessage(request.Data, request.DataType),
            ConnectionStateUpdates = new Dictionary<string, System.Text.Json.JsonElement?> { ["count"] = document.RootElement.Clone(), ["drop"] = null },
        };
    }

    private async Task HandleAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        var request = await context.RequestServices.GetRequiredService<WebPubSubUpstreamCodec>().ReadRequestAsync(context.Request, ct);
        if (request is null)
        {
            return;
        }

        Received.Enqueue(request);
        switch (request)
        {
            case ConnectRequest connect when ConnectError is { } error:
                await WebPubSubUpstreamCodec.WriteErrorAsync(context.Response, error.Code, error.Message, ct);
                break;
            case ConnectRequest connect:
                await WebPubSubUpstreamCodec.WriteConnectResponseAsync(context.Response, connect, OnConnect(connect), ct);
                break;
            case UserEventRequest user:
                await WebPubSubUpstreamCodec.WriteUserEventResponseAsync(context.Response, user, OnUserEvent(user), ct);
                break;
            default:
                await WebPubSubUpstreamCodec.WriteAcceptedAsync(context.Response);
                break;
        }
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
