using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RestaurantOs.WorkerHost.Rpc;

namespace RestaurantOs.WorkerHost;

/// <summary>One function as the worker indexed it: id, name, trigger and the trigger binding's raw JSON.</summary>
public sealed record IndexedFunction(string Id, string Name, string TriggerType, string TriggerName, JsonElement Trigger, RpcFunctionMetadata Metadata);

/// <summary>
/// Does to the built RestaurantOs.Functions worker what the Azure Functions host does to an isolated worker: serves
/// the host side of FunctionRpc.EventStream over gRPC, starts the worker as its own process with the host's arguments
/// and app settings, initializes it, asks it to index its functions, loads them, and invokes them — HTTP functions the
/// ASP.NET Core integration's way (the request forwarded to the worker's own HTTP URI with the invocation id, the
/// invocation sent over gRPC), timers with their timer binding data. Worker output and logs are kept for failures.
/// </summary>
public sealed class FunctionsWorkerHost : IAsyncDisposable
{
    private const string InvocationIdHeader = "x-ms-invocation-id";

    /// <summary>
    /// Set by the harness on the worker's HTTP answer: the invocation's status as the worker reported it over gRPC. The
    /// real host has no such header, so <see cref="HostFront"/> drops it before answering a client.
    /// </summary>
    public const string InvocationStatusHeader = "x-functions-invocation-status";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    private readonly WebApplication _grpc;
    private readonly Process _worker;
    private readonly WorkerChannel _channel;
    private readonly StringBuilder _output;
    private readonly HttpClient _http = new() { Timeout = CallTimeout };

    private FunctionsWorkerHost(WebApplication grpc, Process worker, WorkerChannel channel, StringBuilder output)
    {
        _grpc = grpc;
        _worker = worker;
        _channel = channel;
        _output = output;
    }

    /// <summary>The worker's functions as it indexed them.</summary>
    public IReadOnlyList<IndexedFunction> Functions { get; private set; } = [];

    /// <summary>Where the worker's ASP.NET Core integration listens (its <c>HttpUri</c> capability).</summary>
    public Uri HttpUri { get; private set; } = null!;

    /// <summary>How long from starting the process to every function loaded.</summary>
    public TimeSpan StartTime { get; private set; }

    /// <summary>Everything the worker wrote and logged so far (for assertion messages).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Adds a line of the host's own to <see cref="Output"/>.</summary>
    public void Note(string line) => _channel.Append("host", line);

    /// <summary>The worker process id.</summary>
    public int ProcessId => _worker.Id;

    /// <param name="workerAssembly">The built worker (RestaurantOs.Functions.dll in its own output folder).</param>
    public static async Task<FunctionsWorkerHost> StartAsync(string workerAssembly, IReadOnlyDictionary<string, string> appSettings, CancellationToken cancellationToken)
    {
        var output = new StringBuilder();
        var channel = new WorkerChannel(output);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = int.MaxValue;
            o.MaxSendMessageSize = int.MaxValue;
        });
        builder.Services.AddSingleton(channel);
        var grpc = builder.Build();
        grpc.MapGrpcService<FunctionRpcService>();
        await grpc.StartAsync(cancellationToken);
        var port = new Uri(grpc.Urls.Single()).Port;

        workerAssembly = Path.GetFullPath(workerAssembly);
        if (!File.Exists(workerAssembly))
        {
            throw new FileNotFoundException($"The Functions worker is not built at {workerAssembly}: run 'dotnet build src/RestaurantOs.Functions'.", workerAssembly);
        }

        var directory = Path.GetDirectoryName(workerAssembly)!;
        var workerId = Guid.NewGuid().ToString();
        var requestId = Guid.NewGuid().ToString();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(workerAssembly);
        // The arguments the Functions host passes: the old names and the "functions-" ones workers prefer.
        foreach (var (name, value) in new[]
        {
            ("--host", "127.0.0.1"), ("--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("--workerId", workerId), ("--requestId", requestId), ("--grpcMaxMessageLength", int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("--functions-uri", $"http://127.0.0.1:{port}/"), ("--functions-worker-id", workerId),
            ("--functions-request-id", requestId), ("--functions-grpc-max-message-length", int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        })
        {
            start.ArgumentList.Add(name);
            start.ArgumentList.Add(value);
        }

        start.Environment["FUNCTIONS_WORKER_RUNTIME"] = "dotnet-isolated";
        start.Environment["AzureWebJobsScriptRoot"] = directory;
        start.Environment["FUNCTIONS_APPLICATION_DIRECTORY"] = directory;
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        foreach (var (key, value) in appSettings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var stopwatch = Stopwatch.StartNew();
        var worker = new Process { StartInfo = start };
        worker.OutputDataReceived += (_, e) => channel.Append("out", e.Data);
        worker.ErrorDataReceived += (_, e) => channel.Append("err", e.Data);
        worker.Start();
        worker.BeginOutputReadLine();
        worker.BeginErrorReadLine();

        var host = new FunctionsWorkerHost(grpc, worker, channel, output);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(StartTimeout);
            await host.InitializeAsync(directory, workerId, timeout.Token);
            host.StartTime = stopwatch.Elapsed;
            return host;
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or Grpc.Core.RpcException)
        {
            var text = host.Output;
            await host.DisposeAsync();
            throw new InvalidOperationException($"The worker did not start: {ex.Message}\n{text}", ex);
        }
    }

    private async Task InitializeAsync(string directory, string workerId, CancellationToken cancellationToken)
    {
        var started = await _channel.StartStream.Task.WaitAsync(cancellationToken);
        if (started.WorkerId != workerId)
        {
            throw new InvalidOperationException($"A worker with id {started.WorkerId} connected; started {workerId}.");
        }

        var init = new WorkerInitRequest { HostVersion = "4.1040.0", FunctionAppDirectory = directory, WorkerDirectory = directory };
        foreach (var capability in new[] { "RpcHttpBodyOnly", "RawHttpBodyBytes", "TypedDataCollection", "RpcHttpTriggerMetadataRemoved", "HandlesWorkerTerminateMessage" })
        {
            init.Capabilities[capability] = "true";
        }

        var initResponse = (await _channel.RequestAsync(new StreamingMessage { WorkerInitRequest = init }, cancellationToken)).WorkerInitResponse;
        EnsureSuccess(initResponse.Result, "WorkerInitRequest");
        if (!initResponse.Capabilities.TryGetValue("HttpUri", out var httpUri))
        {
            throw new InvalidOperationException("The worker announced no HttpUri: the ASP.NET Core integration is not configured.");
        }

        HttpUri = new Uri(httpUri);
        var metadata = (await _channel.RequestAsync(new StreamingMessage { FunctionsMetadataRequest = new FunctionsMetadataRequest { FunctionAppDirectory = directory } }, cancellationToken)).FunctionMetadataResponse;
        EnsureSuccess(metadata.Result, "FunctionsMetadataRequest");
        if (metadata.UseDefaultMetadataIndexing)
        {
            throw new InvalidOperationException("The worker asked the host to index its functions; it should index them itself.");
        }

        var functions = new List<IndexedFunction>();
        foreach (var function in metadata.FunctionMetadataResults)
        {
            var load = (await _channel.RequestAsync(new StreamingMessage { FunctionLoadRequest = new FunctionLoadRequest { FunctionId = function.FunctionId, Metadata = function } }, cancellationToken)).FunctionLoadResponse;
            EnsureSuccess(load.Result, $"FunctionLoadRequest {function.Name}");
            var trigger = function.RawBindings.Select(b => JsonDocument.Parse(b).RootElement.Clone())
                .Single(b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.OrdinalIgnoreCase));
            functions.Add(new IndexedFunction(function.FunctionId, function.Name, trigger.GetProperty("type").GetString()!, trigger.GetProperty("name").GetString()!, trigger, function));
        }

        Functions = functions;
        await WaitForHttpAsync(cancellationToken);
    }

    /// <summary>
    /// The worker announces its HTTP URI during initialization, before its server may accept connections; the host
    /// forwards nothing until the port answers.
    /// </summary>
    private async Task WaitForHttpAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                using var probe = new System.Net.Sockets.TcpClient();
                await probe.ConnectAsync(HttpUri.Host, HttpUri.Port, cancellationToken);
                return;
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(50, cancellationToken);
            }
        }
    }

    private static void EnsureSuccess(StatusResult? result, string what)
    {
        if (result?.Status != StatusResult.Types.Status.Success)
        {
            throw new InvalidOperationException($"{what} failed: {result?.Exception?.Message ?? result?.Result ?? "no result"}");
        }
    }

    /// <summary>
    /// Invokes the HTTP function whose route and method match <paramref name="request"/> (a path under /api), the way the
    /// host does for a worker with the ASP.NET Core integration, and returns the worker's HTTP response.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var path = request.RequestUri!.IsAbsoluteUri ? request.RequestUri.AbsolutePath : request.RequestUri.OriginalString.Split('?')[0];
        var (function, routeValues) = Match(request.Method.Method, path)
            ?? throw new InvalidOperationException($"No HTTP function of the worker answers {request.Method} {path}.");

        var invocationId = Guid.NewGuid().ToString();
        var invocation = new InvocationRequest
        {
            InvocationId = invocationId,
            FunctionId = function.Id,
            TraceContext = NewTraceContext(),
        };
        foreach (var (name, value) in routeValues)
        {
            invocation.InputData.Add(new ParameterBinding { Name = name, Data = new TypedData { String = value } });
            invocation.TriggerMetadata[name] = new TypedData { String = value };
        }

        invocation.InputData.Add(new ParameterBinding { Name = function.TriggerName, Data = new TypedData { Http = new RpcHttp() } });
        var pending = _channel.RequestAsync(new StreamingMessage { RequestId = invocationId, InvocationRequest = invocation }, cancellationToken, invocationId);

        var pathAndQuery = request.RequestUri.IsAbsoluteUri ? request.RequestUri.PathAndQuery : request.RequestUri.OriginalString;
        request.RequestUri = new Uri(HttpUri, pathAndQuery);
        request.Headers.Remove(InvocationIdHeader);
        request.Headers.Add(InvocationIdHeader, invocationId);
        var response = await _http.SendAsync(request, cancellationToken);
        await response.Content.LoadIntoBufferAsync(cancellationToken);
        var result = (await pending.WaitAsync(CallTimeout, cancellationToken)).InvocationResponse;
        response.Headers.TryAddWithoutValidation(InvocationStatusHeader, result.Result.Status.ToString());
        return response;
    }

    /// <summary>Invokes a timer function with the timer binding data the host sends.</summary>
    public async Task<InvocationResponse> InvokeTimerAsync(string name, CancellationToken cancellationToken)
    {
        var function = Functions.Single(f => f.Name == name && f.TriggerType == "timerTrigger");
        var invocationId = Guid.NewGuid().ToString();
        var invocation = new InvocationRequest { InvocationId = invocationId, FunctionId = function.Id, TraceContext = NewTraceContext() };
        invocation.InputData.Add(new ParameterBinding
        {
            Name = function.TriggerName,
            Data = new TypedData { Json = """{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":false}""" },
        });
        var response = await _channel.RequestAsync(new StreamingMessage { RequestId = invocationId, InvocationRequest = invocation }, cancellationToken, invocationId);
        return response.InvocationResponse;
    }

    /// <summary>The host always sends a trace context; the worker starts the invocation's activity from it.</summary>
    private static RpcTraceContext NewTraceContext() =>
        new() { TraceParent = $"00-{Guid.NewGuid():N}-{Guid.NewGuid().ToString("N")[..16]}-01" };

    private (IndexedFunction Function, Dictionary<string, string> RouteValues)? Match(string method, string path)
    {
        var segments = path.Trim('/').Split('/');
        if (segments.Length == 0 || segments[0] != "api")
        {
            return null;
        }

        foreach (var function in Functions.Where(f => f.TriggerType == "httpTrigger"))
        {
            var methods = function.Trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!);
            if (!methods.Contains(method, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            var template = function.Trigger.GetProperty("route").GetString()!.Split('/');
            if (template.Length != segments.Length - 1)
            {
                continue;
            }

            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            var matched = true;
            for (var i = 0; i < template.Length && matched; i++)
            {
                var part = template[i];
                if (part.StartsWith('{') && part.EndsWith('}'))
                {
                    values[part[1..^1].Split(':')[0]] = Uri.UnescapeDataString(segments[i + 1]);
                }
                else
                {
                    matched = string.Equals(part, segments[i + 1], StringComparison.OrdinalIgnoreCase);
                }
            }

            if (matched)
            {
                return (function, values);
            }
        }

        return null;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_worker.HasExited)
            {
                await _channel.SendAsync(new StreamingMessage { WorkerTerminate = new WorkerTerminate { GracePeriod = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(2)) } }, CancellationToken.None)
                    .WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
                using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _worker.WaitForExitAsync(exited.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException or InvalidOperationException or Grpc.Core.RpcException or IOException)
        {
            // The worker did not stop in time (or never connected): it is killed below.
        }
        finally
        {
            if (!_worker.HasExited)
            {
                _worker.Kill(entireProcessTree: true);
            }

            _worker.Dispose();
            _http.Dispose();
            _channel.Dispose();
            await _grpc.StopAsync().ConfigureAwait(false);
            await _grpc.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>The host's end of one worker's event stream: requests waiting for their answers, logs, and writes.</summary>
internal sealed class WorkerChannel(StringBuilder output) : IDisposable
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<StreamingMessage>> _pending = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private IServerStreamWriter<StreamingMessage>? _stream;

    public TaskCompletionSource<StartStream> StartStream { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Append(string source, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.Append('[').Append(source).Append("] ").AppendLine(line);
        }
    }

    public void Attach(IServerStreamWriter<StreamingMessage> stream) => _stream = stream;

    public async Task SendAsync(StreamingMessage message, CancellationToken cancellationToken)
    {
        var stream = _stream ?? throw new InvalidOperationException("The worker is not connected.");
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await stream.WriteAsync(message, cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Sends a request and waits for the answer with the same request id (or invocation id).</summary>
    public async Task<StreamingMessage> RequestAsync(StreamingMessage message, CancellationToken cancellationToken, string? answerKey = null)
    {
        if (string.IsNullOrEmpty(message.RequestId))
        {
            message.RequestId = Guid.NewGuid().ToString();
        }

        var key = answerKey ?? message.RequestId;
        var answer = new TaskCompletionSource<StreamingMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[key] = answer;
        try
        {
            await SendAsync(message, cancellationToken);
            return await answer.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            _pending.TryRemove(key, out _);
        }
    }

    public void Receive(StreamingMessage message)
    {
        switch (message.ContentCase)
        {
            case StreamingMessage.ContentOneofCase.StartStream:
                StartStream.TrySetResult(message.StartStream);
                return;
            case StreamingMessage.ContentOneofCase.RpcLog:
                Append("log " + message.RpcLog.Level, $"{message.RpcLog.Category}: {message.RpcLog.Message} {message.RpcLog.Exception?.Message}");
                return;
            case StreamingMessage.ContentOneofCase.InvocationResponse:
                Complete(message.InvocationResponse.InvocationId, message);
                return;
            default:
                Complete(message.RequestId, message);
                return;
        }
    }

    public void Dispose() => _writeLock.Dispose();

    private void Complete(string key, StreamingMessage message)
    {
        if (_pending.TryGetValue(key, out var waiting))
        {
            waiting.TrySetResult(message);
        }
        else
        {
            Append("host", $"unexpected {message.ContentCase} for {key}");
        }
    }
}

/// <summary>FunctionRpc.EventStream: the worker connects, and every message it sends goes to the channel.</summary>
internal sealed class FunctionRpcService(WorkerChannel channel) : FunctionRpc.FunctionRpcBase
{
    public override async Task EventStream(IAsyncStreamReader<StreamingMessage> requestStream, IServerStreamWriter<StreamingMessage> responseStream, ServerCallContext context)
    {
        channel.Attach(responseStream);
        await foreach (var message in requestStream.ReadAllAsync(context.CancellationToken))
        {
            channel.Receive(message);
        }
    }
}
