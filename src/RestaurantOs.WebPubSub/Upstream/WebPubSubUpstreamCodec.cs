using System.Buffers;
using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RestaurantOs.WebPubSub.Protocol;
using CloudEventHeaders = RestaurantOs.WebPubSub.Protocol.WebPubSubConstants.Headers.CloudEvents;

namespace RestaurantOs.WebPubSub.Upstream;

/// <summary>
/// Reads and answers Azure Web PubSub event-handler (upstream) requests over ASP.NET Core: abuse-protection preflight,
/// origin and <c>ce-signature</c> checks, CloudEvents parsing into <see cref="UpstreamRequest"/> records, and the
/// connect / user-event / error responses including <c>ce-connectionState</c>.
/// </summary>
/// <remarks>
/// Usage: <c>var request = await codec.ReadRequestAsync(httpRequest, ct); if (request is null) return;</c> — null means
/// the codec already wrote the response (preflight answered, or the request rejected with 400/401/405/413 and a text
/// body) and nothing else must happen. Otherwise switch on the record type and answer with one static Write* method.
/// Thread-safe; one instance per process.
/// </remarks>
public sealed class WebPubSubUpstreamCodec : IDisposable
{
    private readonly string[] _accessKeys;
    private readonly string[] _allowedOrigins;
    private readonly bool _allowAnyOrigin;
    private readonly int _maxBodyBytes;
    private readonly ILogger _logger;
    private readonly WebPubSubMetrics _metrics;
    private readonly IUpstreamRequestAuthenticator? _authenticator;

    /// <param name="options">Access keys, origins and limits.</param>
    /// <param name="logger">Optional logger.</param>
    /// <param name="meterFactory">Optional meter factory.</param>
    /// <param name="authenticator">
    /// Required in identity mode (no access key): checks the bearer token Web PubSub sends. Without one, and without
    /// an access key, nothing would authenticate the caller, so construction fails.
    /// </param>
    /// <exception cref="InvalidOperationException">No access key and no <paramref name="authenticator"/>.</exception>
    public WebPubSubUpstreamCodec(
        IOptions<WebPubSubUpstreamOptions> options,
        ILogger<WebPubSubUpstreamCodec>? logger = null,
        IMeterFactory? meterFactory = null,
        IUpstreamRequestAuthenticator? authenticator = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var value = options.Value;
        var validation = new WebPubSubUpstreamOptionsValidator().Validate(null, value);
        if (validation.Failed)
        {
            throw new OptionsValidationException(WebPubSubUpstreamOptions.SectionName, typeof(WebPubSubUpstreamOptions), validation.Failures);
        }

        _accessKeys = value.AccessKeys.Where(key => !string.IsNullOrEmpty(key)).Distinct(StringComparer.Ordinal).ToArray();
        var origins = value.AllowedOrigins.Where(origin => !string.IsNullOrWhiteSpace(origin)).Select(NormalizeOrigin).ToList();
        _allowAnyOrigin = origins.Contains("*");
        _allowedOrigins = origins.Where(origin => origin != "*").Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        _maxBodyBytes = value.MaxRequestBodyBytes;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _metrics = new WebPubSubMetrics(meterFactory);

        _authenticator = authenticator;
        if (_accessKeys.Length == 0)
        {
            if (authenticator is null)
            {
                throw new InvalidOperationException("The Web PubSub event handler has no access key (WebPubSub:Upstream:AccessKeys or the AccessKey of WebPubSub:ConnectionString) to check ce-signature with, and no bearer-token check for identity mode (WebPubSub:Upstream:Token): every upstream request would be trusted. Configure one of them.");
            }

            var allowed = _allowAnyOrigin ? "*" : string.Join(",", _allowedOrigins);
            WebPubSubLog.UpstreamIdentityMode(_logger, allowed);
        }
    }

    /// <summary>True when the request is the abuse-protection handshake (OPTIONS, or the GET fallback, with <c>WebHook-Request-Origin</c>).</summary>
    public static bool IsAbuseProtectionRequest(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.Headers.ContainsKey(WebPubSubConstants.Headers.WebHookRequestOrigin))
        {
            return false;
        }

        return HttpMethods.IsOptions(request.Method)
            || (HttpMethods.IsGet(request.Method) && !request.Headers.ContainsKey(CloudEventHeaders.Type));
    }

    /// <summary>
    /// Validates and parses an upstream request. Returns null after writing the response itself for the
    /// abuse-protection preflight (200 + <c>WebHook-Allowed-Origin</c>, or 401) and for rejected requests: unknown or
    /// missing origin, missing/invalid signature (401); missing headers, bad body or connection state (400); wrong
    /// method (405); body too large (413). A rejected request has no other effect.
    /// </summary>
    public async Task<UpstreamRequest?> ReadRequestAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = request.HttpContext.Response;

        if (IsAbuseProtectionRequest(request))
        {
            await AnswerPreflightAsync(request, response, cancellationToken).ConfigureAwait(false);
            return null;
        }

        var headers = request.Headers;
        var eventType = First(headers, CloudEventHeaders.Type);
        var hub = First(headers, CloudEventHeaders.Hub);
        var connectionId = First(headers, CloudEventHeaders.ConnectionId);

        if (!HttpMethods.IsPost(request.Method))
        {
            response.Headers.Allow = "POST, OPTIONS";
            return await RejectAsync(request, eventType, hub, connectionId, StatusCodes.Status405MethodNotAllowed, "Web PubSub events are delivered with POST.", cancellationToken).ConfigureAwait(false);
        }

        var origin = MatchOrigin(headers);
        if (origin is null)
        {
            return await RejectAsync(request, eventType, hub, connectionId, StatusCodes.Status401Unauthorized, "The WebHook-Request-Origin header is missing or not an allowed Web PubSub host.", cancellationToken).ConfigureAwait(false);
        }

        if (_accessKeys.Length == 0)
        {
            // Identity mode: no key to verify a signature with, so the request itself must prove where it comes from:
            // Web PubSub's Entra ID bearer token. The origin header and the function key are not credentials.
            if (string.IsNullOrEmpty(First(headers, CloudEventHeaders.AwpsVersion)))
            {
                return await RejectAsync(request, eventType, hub, connectionId, StatusCodes.Status401Unauthorized, "The ce-awpsversion header is missing.", cancellationToken).ConfigureAwait(false);
            }

            var authentication = await _authenticator!.AuthenticateAsync(request, cancellationToken).ConfigureAwait(false);
            if (!authentication.Succeeded)
            {
                var status = authentication.ServerFault ? StatusCodes.Status500InternalServerError : StatusCodes.Status401Unauthorized;
                return await RejectAsync(request, eventType, hub, connectionId, status, authentication.Error ?? "The request is not authenticated.", cancellationToken).ConfigureAwait(false);
            }
        }

        if (string.IsNullOrEmpty(connectionId))
        {
            return await RejectAsync(request, eventType, hub, connectionId, StatusCodes.Status400BadRequest, "The ce-connectionId header is missing.", cancellationToken).ConfigureAwait(false);
        }

        if (_accessKeys.Length > 0 && !UpstreamSignature.Validate(connectionId, headers[CloudEventHeaders.Signature].ToString(), _accessKeys))
        {
            return await RejectAsync(request, eventType, hub, connectionId, StatusCodes.Status401Unauthorized, "The ce-signature header is missing or invalid.", cancellationToken).ConfigureAwait(false);
        }

        var eventName = First(headers, CloudEventHeaders.EventName);
        if (string.IsNullOrEmpty(eventType) || string.IsNullOrEmpty(hub) || string.IsNullOrEmpty(eventName))
        {
            return await RejectAsync(request, eventType, hub, connectionId, StatusCodes.Status400BadRequest, "A required CloudEvents header is missing (ce-type, ce-hub, ce-eventName).", cancellationToken).ConfigureAwait(false);
        }

        if (!ConnectionStateCodec.TryDecode(headers[CloudEventHeaders.ConnectionState].ToString(), out var state, out var stateError))
        {
            return await RejectAsync(request, eventType, hub, connectionId, StatusCodes.Status400BadRequest, "Invalid ce-connectionState: " + stateError, cancellationToken).ConfigureAwait(false);
        }

        if (request.ContentLength > _maxBodyBytes)
        {
            return await RejectAsync(request, eventType, hub, connectionId, StatusCodes.Status413PayloadTooLarge, $"The request body exceeds {_maxBodyBytes} bytes.", cancellationToken).ConfigureAwait(false);
        }

        var body = await ReadBodyAsync(request, _maxBodyBytes, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return await RejectAsync(request, eventType, hub, connectionId, StatusCodes.Status413PayloadTooLarge, $"The request body exceeds {_maxBodyBytes} bytes.", cancellationToken).ConfigureAwait(false);
        }

        // An empty optional header means "none" (e.g. an anonymous connection's ce-userId).
        var userId = NullIfEmpty(First(headers, CloudEventHeaders.UserId));
        var subprotocol = NullIfEmpty(First(headers, CloudEventHeaders.Subprotocol));
        var eventId = NullIfEmpty(First(headers, CloudEventHeaders.Id));

        UpstreamRequest? parsed;
        string? parseError;
        switch (eventType)
        {
            case WebPubSubConstants.EventTypes.Connect:
                parsed = TryParseConnect(body, out parseError) is { } connect
                    ? connect with { Hub = hub, ConnectionId = connectionId, UserId = userId, EventType = eventType, EventName = eventName, Subprotocol = subprotocol, EventId = eventId, ConnectionState = state, Origin = origin }
                    : null;
                break;
            case WebPubSubConstants.EventTypes.Connected:
                parsed = new ConnectedRequest { Hub = hub, ConnectionId = connectionId, UserId = userId, EventType = eventType, EventName = eventName, Subprotocol = subprotocol, EventId = eventId, ConnectionState = state, Origin = origin };
                parseError = null;
                break;
            case WebPubSubConstants.EventTypes.Disconnected:
                parsed = TryParseReason(body, out var reason, out parseError)
                    ? new DisconnectedRequest { Hub = hub, ConnectionId = connectionId, UserId = userId, EventType = eventType, EventName = eventName, Subprotocol = subprotocol, EventId = eventId, ConnectionState = state, Origin = origin, Reason = reason }
                    : null;
                break;
            case var userType when userType.StartsWith(WebPubSubConstants.EventTypes.UserPrefix, StringComparison.Ordinal):
                if (WebPubSubDataTypes.TryFromContentType(request.ContentType, out var dataType))
                {
                    parsed = new UserEventRequest { Hub = hub, ConnectionId = connectionId, UserId = userId, EventType = eventType, EventName = eventName, Subprotocol = subprotocol, EventId = eventId, ConnectionState = state, Origin = origin, Data = body, DataType = dataType };
                    parseError = null;
                }
                else
                {
                    parsed = null;
                    parseError = $"Unsupported Content-Type '{request.ContentType}' for a user event; expected text/plain, application/json or application/octet-stream.";
                }

                break;
            default:
                parsed = null;
                parseError = $"Unknown ce-type '{eventType}'.";
                break;
        }

        if (parsed is null)
        {
            return await RejectAsync(request, eventType, hub, connectionId, StatusCodes.Status400BadRequest, parseError ?? "Invalid request.", cancellationToken).ConfigureAwait(false);
        }

        _metrics.Upstream(MetricEventType(eventType), "accepted");
        WebPubSubLog.UpstreamAccepted(_logger, eventType, hub, connectionId);
        return parsed;
    }

    /// <summary>
    /// Answers <c>connect</c>: 204 when <paramref name="result"/> is null or sets nothing, else 200 with
    /// <c>{"userId","groups","roles","subprotocol"}</c> (only the members that are set). Connection state updates go in
    /// <c>ce-connectionState</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The subprotocol was not offered by the client (a handler bug: the service would fail the connection).</exception>
    public static async Task WriteConnectResponseAsync(HttpResponse response, ConnectRequest request, ConnectEventResponse? result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(request);
        if (result?.Subprotocol is { Length: > 0 } chosen && !request.Subprotocols.Contains(chosen, StringComparer.Ordinal))
        {
            throw new ArgumentException($"Subprotocol '{chosen}' was not offered by the client; offered: [{string.Join(", ", request.Subprotocols)}].", nameof(result));
        }

        WriteState(response, request, result?.ConnectionStateUpdates);
        if (result is null || (result.UserId is null && result.Groups is null && result.Roles is null && string.IsNullOrEmpty(result.Subprotocol)))
        {
            response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (result.UserId is not null)
            {
                writer.WriteString("userId", result.UserId);
            }

            WriteArray(writer, "groups", result.Groups);
            WriteArray(writer, "roles", result.Roles);
            if (!string.IsNullOrEmpty(result.Subprotocol))
            {
                writer.WriteString("subprotocol", result.Subprotocol);
            }

            writer.WriteEndObject();
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = buffer.WrittenCount;
        await response.Body.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Answers a user event: 204 when there is no message, else 200 with the message bytes and the Content-Type of its
    /// data type (which the service maps back to <c>dataType</c>). State updates are merged into the incoming state.
    /// </summary>
    public static async Task WriteUserEventResponseAsync(HttpResponse response, UserEventRequest request, UserEventResponse? result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(request);
        WriteState(response, request, result?.ConnectionStateUpdates);
        if (result?.Message is not { } message)
        {
            response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = message.ContentType;
        response.ContentLength = message.Data.Length;
        await response.Body.WriteAsync(message.Data, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Answers <c>connected</c>/<c>disconnected</c> (or any event without a reply) with 204.</summary>
    public static Task WriteAcceptedAsync(HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }

    /// <summary>
    /// Answers a blocking event with an error: <see cref="UpstreamErrorCode.Unauthorized"/> → 401,
    /// <see cref="UpstreamErrorCode.UserError"/> → 400, <see cref="UpstreamErrorCode.ServerError"/> → 500, with a text
    /// body. For <c>connect</c> the client's upgrade fails with the same status.
    /// </summary>
    public static async Task WriteErrorAsync(HttpResponse response, UpstreamErrorCode code, string message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.StatusCode = code switch
        {
            UpstreamErrorCode.Unauthorized => StatusCodes.Status401Unauthorized,
            UpstreamErrorCode.UserError => StatusCodes.Status400BadRequest,
            UpstreamErrorCode.ServerError => StatusCodes.Status500InternalServerError,
            _ => throw new ArgumentOutOfRangeException(nameof(code), code, "Unknown upstream error code."),
        };
        await WriteTextAsync(response, message ?? string.Empty, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _metrics.Dispose();

    private static string? First(IHeaderDictionary headers, string name)
    {
        var values = headers[name];
        return values.Count == 0 ? null : values[0];
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static string NormalizeOrigin(string origin)
    {
        var trimmed = origin.Trim();
        if (trimmed == "*")
        {
            return trimmed;
        }

        return Uri.TryCreate(trimmed, UriKind.Absolute, out var uri) && !string.IsNullOrEmpty(uri.Host)
            ? (uri.IsDefaultPort ? uri.Host : uri.Authority)
            : trimmed.TrimEnd('/');
    }

    private static string MetricEventType(string? eventType) => eventType switch
    {
        WebPubSubConstants.EventTypes.Connect => "connect",
        WebPubSubConstants.EventTypes.Connected => "connected",
        WebPubSubConstants.EventTypes.Disconnected => "disconnected",
        not null when eventType.StartsWith(WebPubSubConstants.EventTypes.UserPrefix, StringComparison.Ordinal) => "user",
        _ => "unknown",
    };

    private static async Task WriteTextAsync(HttpResponse response, string text, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        response.ContentType = "text/plain; charset=utf-8";
        response.ContentLength = bytes.Length;
        await response.Body.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
    }

    private static void WriteArray(Utf8JsonWriter writer, string name, IReadOnlyList<string>? values)
    {
        if (values is null)
        {
            return;
        }

        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    private static void WriteState(HttpResponse response, UpstreamRequest request, IReadOnlyDictionary<string, JsonElement?>? updates)
    {
        // Absent header = the service keeps the state; so only write when the handler changed something.
        if (updates is null || updates.Count == 0)
        {
            return;
        }

        var merged = ConnectionStateCodec.Merge(request.ConnectionState, updates);
        response.Headers[CloudEventHeaders.ConnectionState] = ConnectionStateCodec.Encode(merged);
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                {
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return buffer.ToArray();
    }

    private static ConnectRequest? TryParseConnect(byte[] body, out string? error)
    {
        error = null;
        if (body.Length == 0)
        {
            return new ConnectRequest { Hub = string.Empty, ConnectionId = string.Empty, EventType = string.Empty, EventName = string.Empty };
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "The connect body is not a JSON object.";
                return null;
            }

            var certificates = new List<WebPubSubClientCertificate>();
            if (root.TryGetProperty("clientCertificates", out var certs) && certs.ValueKind == JsonValueKind.Array)
            {
                foreach (var cert in certs.EnumerateArray())
                {
                    if (cert.ValueKind == JsonValueKind.Object && cert.TryGetProperty("thumbprint", out var thumbprint) && thumbprint.ValueKind == JsonValueKind.String)
                    {
                        var content = cert.TryGetProperty("content", out var contentElement) && contentElement.ValueKind == JsonValueKind.String ? contentElement.GetString() : null;
                        certificates.Add(new WebPubSubClientCertificate(thumbprint.GetString()!, content));
                    }
                }
            }

            return new ConnectRequest
            {
                Hub = string.Empty,
                ConnectionId = string.Empty,
                EventType = string.Empty,
                EventName = string.Empty,
                Claims = ReadMultiMap(root, "claims", StringComparer.Ordinal),
                Query = ReadMultiMap(root, "query", StringComparer.Ordinal),
                Headers = ReadMultiMap(root, "headers", StringComparer.OrdinalIgnoreCase),
                Subprotocols = root.TryGetProperty("subprotocols", out var protocols) ? ReadStrings(protocols) : [],
                ClientCertificates = certificates,
            };
        }
        catch (JsonException)
        {
            error = "The connect body is not valid JSON.";
            return null;
        }
    }

    private static bool TryParseReason(byte[] body, out string? reason, out string? error)
    {
        reason = null;
        error = null;
        if (body.Length == 0)
        {
            return true;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                error = "The disconnected body is not a JSON object.";
                return false;
            }

            if (document.RootElement.TryGetProperty("reason", out var reasonElement) && reasonElement.ValueKind == JsonValueKind.String)
            {
                reason = reasonElement.GetString();
            }

            return true;
        }
        catch (JsonException)
        {
            error = "The disconnected body is not valid JSON.";
            return false;
        }
    }

    private static Dictionary<string, IReadOnlyList<string>> ReadMultiMap(JsonElement root, string name, StringComparer comparer)
    {
        var result = new Dictionary<string, IReadOnlyList<string>>(comparer);
        if (root.TryGetProperty(name, out var map) && map.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in map.EnumerateObject())
            {
                // The service sends arrays; a single string is tolerated. Repeated names are concatenated.
                var values = ReadStrings(property.Value);
                result[property.Name] = result.TryGetValue(property.Name, out var existing) ? [.. existing, .. values] : values;
            }
        }

        return result;
    }

    private static string[] ReadStrings(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Array => element.EnumerateArray().Select(item => item.ValueKind == JsonValueKind.String ? item.GetString()! : item.GetRawText()).ToArray(),
        JsonValueKind.String => [element.GetString()!],
        JsonValueKind.Null or JsonValueKind.Undefined => [],
        _ => [element.GetRawText()],
    };

    private async Task AnswerPreflightAsync(HttpRequest request, HttpResponse response, CancellationToken cancellationToken)
    {
        var requested = request.Headers[WebPubSubConstants.Headers.WebHookRequestOrigin].ToString();
        var origin = MatchOrigin(request.Headers);
        if (origin is null)
        {
            _metrics.Upstream("preflight", "rejected");
            WebPubSubLog.AbuseProtection(_logger, requested, "rejected");
            response.StatusCode = StatusCodes.Status401Unauthorized;
            await WriteTextAsync(response, "The WebHook-Request-Origin is not an allowed Web PubSub host.", cancellationToken).ConfigureAwait(false);
            return;
        }

        _metrics.Upstream("preflight", "accepted");
        WebPubSubLog.AbuseProtection(_logger, origin, "accepted");
        response.StatusCode = StatusCodes.Status200OK;
        response.Headers[WebPubSubConstants.Headers.WebHookAllowedOrigin] = _allowAnyOrigin ? "*" : origin;
    }

    private string? MatchOrigin(IHeaderDictionary headers)
    {
        foreach (var value in headers[WebPubSubConstants.Headers.WebHookRequestOrigin])
        {
            if (string.IsNullOrEmpty(value))
            {
                continue;
            }

            foreach (var candidate in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (_allowAnyOrigin || _allowedOrigins.Contains(candidate, StringComparer.OrdinalIgnoreCase))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    private async Task<UpstreamRequest?> RejectAsync(HttpRequest request, string? eventType, string? hub, string? connectionId, int status, string reason, CancellationToken cancellationToken)
    {
        _metrics.Upstream(MetricEventType(eventType), "rejected");
        WebPubSubLog.UpstreamRejected(_logger, request.Method, eventType, hub, connectionId, status, reason);
        var response = request.HttpContext.Response;
        response.StatusCode = status;
        await WriteTextAsync(response, reason, cancellationToken).ConfigureAwait(false);
        return null;
    }
}
