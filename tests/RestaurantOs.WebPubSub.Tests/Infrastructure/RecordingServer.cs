using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace RestaurantOs.WebPubSub.Tests.Infrastructure;

/// <summary>One request as Kestrel received it: the raw target keeps colons and escaping exactly as sent.</summary>
internal sealed record RecordedRequest(
    string Method,
    string RawTarget,
    string Path,
    IReadOnlyDictionary<string, string[]> Query,
    string? Authorization,
    string? ContentType,
    byte[] Body,
    string BaseUrl,
    long ReceivedAtTimestamp)
{
    /// <summary>The absolute URL the client requested (what an access-key JWT's aud must equal).</summary>
    public string AbsoluteUrl => BaseUrl + RawTarget;
}

/// <summary>A scripted answer; <see cref="Hang"/> never answers (until the client gives up).</summary>
internal sealed record ScriptedResponse(int Status, IReadOnlyDictionary<string, string>? Headers = null, string? Body = null, string? ContentType = null, bool Hang = false);

/// <summary>A real Kestrel server on 127.0.0.1:0 that records every request and answers from a script.</summary>
internal sealed class RecordingServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ScriptedResponse> _script = new();
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly CancellationTokenSource _stopping = new();

    private RecordingServer(WebApplication app)
    {
        _app = app;
    }

    public Uri BaseUri { get; private set; } = null!;

    public IReadOnlyList<RecordedRequest> Requests => _requests.ToArray();

    /// <summary>Status used when the script is empty (0 = by verb: POST 202, PUT 200, DELETE 204, HEAD 200).</summary>
    public int DefaultStatus { get; set; }

    public static async Task<RecordingServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new RecordingServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        server.BaseUri = new Uri(address);
        return server;
    }

    public void Enqueue(params ScriptedResponse[] responses)
    {
        foreach (var response in responses)
        {
            _script.Enqueue(response);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _app.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await _app.DisposeAsync();
        _stopping.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, context.RequestAborted);
        var rawTarget = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        var query = request.Query.ToDictionary(pair => pair.Key, pair => pair.Value.Select(v => v ?? string.Empty).ToArray(), StringComparer.Ordinal);
        _requests.Enqueue(new RecordedRequest(
            request.Method,
            rawTarget,
            request.Path.Value ?? string.Empty,
            query,
            request.Headers.Authorization.ToString(),
            request.ContentType,
            body.ToArray(),
            $"{request.Scheme}://{request.Host}",
            Stopwatch.GetTimestamp()));

        if (!_script.TryDequeue(out var scripted))
        {
            scripted = new ScriptedResponse(DefaultStatus != 0 ? DefaultStatus : request.Method switch
            {
                "POST" => 202,
                "DELETE" => 204,
                _ => 200,
            });
        }

        if (scripted.Hang)
        {
            try
            {
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
                await Task.Delay(Timeout.Infinite, linked.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        context.Response.StatusCode = scripted.Status;
        foreach (var (name, value) in scripted.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }

        if (scripted.Body is not null)
        {
            context.Response.ContentType = scripted.ContentType ?? "application/json";
            await context.Response.WriteAsync(scripted.Body, context.RequestAborted);
        }
    }
}
