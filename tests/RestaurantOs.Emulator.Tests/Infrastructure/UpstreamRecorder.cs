using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace RestaurantOs.Emulator.Tests.Infrastructure;

/// <summary>A request the emulator made to the upstream handler.</summary>
public sealed record RecordedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body, string? ContentType)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    public string EventName => Header("ce-eventName") ?? "";

    public string ConnectionId => Header("ce-connectionId") ?? "";

    public string BodyText => System.Text.Encoding.UTF8.GetString(Body);
}

/// <summary>What the handler answers.</summary>
public sealed record UpstreamReply(int Status, byte[]? Body = null, string? ContentType = null, IReadOnlyDictionary<string, string>? Headers = null)
{
    public static UpstreamReply NoContent { get; } = new(204);

    public static UpstreamReply Json(string json, IReadOnlyDictionary<string, string>? headers = null) =>
        new(200, System.Text.Encoding.UTF8.GetBytes(json), "application/json", headers);

    public static UpstreamReply Text(string text, int status = 200) => new(status, System.Text.Encoding.UTF8.GetBytes(text), "text/plain");
}

/// <summary>
/// A real Kestrel app that plays the upstream event handler: it records every request and answers with
/// <see cref="Responder"/>. Validation (OPTIONS) is accepted with <c>WebHook-Allowed-Origin: *</c> unless the
/// path contains <c>/novalidate/</c>.
/// </summary>
public sealed class UpstreamRecorder : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<RecordedRequest> _requests = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebApplication? _app;

    public Uri BaseUrl { get; private set; } = null!;

    public Func<RecordedRequest, UpstreamReply> Responder { get; set; } = DefaultReply;

    public static UpstreamReply DefaultReply(RecordedRequest request) => request.Method switch
    {
        "OPTIONS" when request.Path.Contains("/novalidate/", StringComparison.Ordinal) => new UpstreamReply(200),
        "OPTIONS" => new UpstreamReply(200, Headers: new Dictionary<string, string> { ["WebHook-Allowed-Origin"] = "*" }),
        _ => UpstreamReply.NoContent,
    };

    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    public void Reset()
    {
        lock (_gate)
        {
            _requests.Clear();
        }

        Responder = DefaultReply;
    }

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Map("/{**path}", HandleAsync);
        await _app.StartAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = new Uri(address);
    }

    /// <summary>Waits for a recorded request matching <paramref name="predicate"/> (including ones already recorded).</summary>
    public async Task<RecordedRequest> WaitForAsync(Func<RecordedRequest, bool> predicate, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                var match = _requests.FirstOrDefault(predicate);
                if (match is not null)
                {
                    return match;
                }

                changed = _changed.Task;
            }

            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException("The expected upstream request did not arrive.");
            }

            try
            {
                await changed.WaitAsync(remaining);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException("The expected upstream request did not arrive.");
            }
        }
    }

    public Task<RecordedRequest> WaitForEventAsync(string connectionId, string eventName) =>
        WaitForAsync(r => r.Method == "POST" && r.ConnectionId == connectionId && r.EventName == eventName);

    private async Task HandleAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var recorded = new RecordedRequest(context.Request.Method, context.Request.Path.Value ?? "", headers, body.ToArray(), context.Request.ContentType);
        UpstreamReply reply;
        try
        {
            reply = Responder(recorded);
        }
        catch (Exception ex)
        {
            reply = UpstreamReply.Text(ex.Message, 500);
        }

        TaskCompletionSource changed;
        lock (_gate)
        {
            _requests.Add(recorded);
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
        context.Response.StatusCode = reply.Status;
        foreach (var (name, value) in reply.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }

        if (reply.Body is not null)
        {
            if (reply.ContentType is not null)
            {
                context.Response.ContentType = reply.ContentType;
            }

            await context.Response.Body.WriteAsync(reply.Body);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
