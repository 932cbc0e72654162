using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace RestaurantOs.WorkerHost;

/// <summary>
/// The host's public HTTP endpoint: what callers (a browser, Web PubSub's event handler) reach in Azure. Each request
/// becomes an invocation of the matching function in the worker, as <see cref="FunctionsWorkerHost.SendAsync"/> does it,
/// and the worker's answer is copied back. Unknown routes get the host's empty 404.
/// </summary>
public sealed class HostFront : IAsyncDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase) { "Connection", "Transfer-Encoding", "Keep-Alive", "Upgrade", "Host", "Content-Length" };

    private readonly WebApplication _app;

    private HostFront(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>Every request the front forwarded: method, path, the CloudEvents event name if any, and the answer's status.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<(string Method, string Path, string? EventName, int Status)> Forwarded { get; } = new();

    public static async Task<HostFront> StartAsync(FunctionsWorkerHost worker, int port, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        HostFront? front = null;
        app.Run(async context =>
        {
            try
            {
                await ForwardAsync(worker, context);
            }
            catch (Exception ex)
            {
                worker.Note($"front: {context.Request.Method} {context.Request.Path} failed: {ex}");
                throw;
            }
            finally
            {
                front?.Forwarded.Enqueue((context.Request.Method, context.Request.Path.Value ?? "", context.Request.Headers["ce-eventName"].FirstOrDefault(), context.Response.StatusCode));
            }
        });
        await app.StartAsync(cancellationToken);
        front = new HostFront(app, new Uri(app.Urls.Single()));
        return front;
    }

    /// <summary>Answers <paramref name="context"/> with the worker's answer to the same request (404 when no function matches).</summary>
    public static async Task ForwardAsync(FunctionsWorkerHost worker, HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(worker);
        ArgumentNullException.ThrowIfNull(context);
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), context.Request.Path + context.Request.QueryString);
        var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        if (body.Length > 0 || context.Request.ContentType is not null)
        {
            body.Position = 0;
            request.Content = new StreamContent(body);
        }

        foreach (var (name, values) in context.Request.Headers)
        {
            if (HopByHop.Contains(name))
            {
                continue;
            }

            if (!request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        HttpResponseMessage response;
        try
        {
            response = await worker.SendAsync(request, context.RequestAborted);
        }
        catch (InvalidOperationException)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        using (response)
        {
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                if (!HopByHop.Contains(name) && !string.Equals(name, FunctionsWorkerHost.InvocationStatusHeader, StringComparison.OrdinalIgnoreCase))
                {
                    context.Response.Headers[name] = values.ToArray();
                }
            }

            if (response.StatusCode is not (HttpStatusCode.NoContent or HttpStatusCode.NotModified))
            {
                await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
