using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RestaurantOs.Emulator.Connections;
using RestaurantOs.Emulator.Hosting;
using RestaurantOs.Emulator.Protocol;
using RestaurantOs.WebPubSub.Protocol;
using Ce = RestaurantOs.WebPubSub.Protocol.WebPubSubConstants.Headers.CloudEvents;

namespace RestaurantOs.Emulator.Upstream;

/// <summary>Who an upstream event is about.</summary>
internal sealed record UpstreamTarget(string Hub, string ConnectionId, string? UserId, string Origin, string? Subprotocol, string? ConnectionState);

/// <summary>Result of the blocking <c>connect</c> event.</summary>
internal sealed record ConnectOutcome(bool Accepted, int StatusCode, string Reason, ConnectEventResponse? Response, bool HasState, string? State)
{
    public static readonly ConnectOutcome NoHandler = new(true, 204, "", null, false, null);
}

internal enum UserEventStatus
{
    /// <summary>No handler is configured for the event.</summary>
    NoHandler,
    /// <summary>The handler failed (non-2xx, network, timeout, unsupported reply, or failed validation).</summary>
    Failed,
    Succeeded,
}

/// <summary>Result of a blocking user event; <see cref="Data"/> is null when there is nothing to send back.</summary>
internal sealed record UserEventOutcome(UserEventStatus Status, int StatusCode, string Reason, DataType DataType, byte[]? Data, bool HasState, string? State);

/// <summary>
/// Calls the hub's event handlers with CloudEvents in HTTP binary mode: the first handler whose settings match the
/// event gets it; each handler URL is validated once (abuse protection) before its first event, successes cached for
/// the process lifetime, failures retried after <see cref="RetryFailedValidationAfter"/>.
/// </summary>
internal sealed class UpstreamDispatcher
{
    public const string HttpClientName = "RestaurantOs.Emulator.Upstream";
    public static readonly TimeSpan RetryFailedValidationAfter = TimeSpan.FromSeconds(5);
    private const int MaxResponseBytes = 16 * 1024 * 1024;
    private static readonly MediaTypeHeaderValue JsonUtf8 = MediaTypeHeaderValue.Parse("application/json; charset=utf-8");

    private readonly IHttpClientFactory _httpClientFactory;
    private readonly EmulatorOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<UpstreamDispatcher> _logger;
    private readonly EmulatorMetrics _metrics;
    private readonly ConcurrentDictionary<string, Lazy<Validation>> _validations = new(StringComparer.Ordinal);

    public UpstreamDispatcher(IHttpClientFactory httpClientFactory, IOptions<EmulatorOptions> options, TimeProvider timeProvider, ILogger<UpstreamDispatcher> logger, EmulatorMetrics metrics)
    {
        _httpClientFactory = httpClientFactory;
        _options = options.Value;
        _timeProvider = timeProvider;
        _logger = logger;
        _metrics = metrics;
    }

    public bool HasHandler(string hub, string eventName, bool isSystem) => FindHandler(hub, eventName, isSystem) is not null;

    public async Task<ConnectOutcome> ConnectAsync(UpstreamTarget target, ConnectEventRequest body, CancellationToken cancellationToken)
    {
        const string EventName = WebPubSubConstants.EventTypes.ConnectEventName;
        var handler = FindHandler(target.Hub, EventName, isSystem: true);
        if (handler is null)
        {
            return ConnectOutcome.NoHandler;
        }

        var content = JsonContent(JsonSerializer.SerializeToUtf8Bytes(body, EmulatorJsonContext.Default.ConnectEventRequest));
        // connect carries neither ce-subprotocol nor ce-connectionState: the connection does not exist yet.
        var call = await CallAsync(handler, target with { Subprotocol = null, ConnectionState = null }, EventName, isSystem: true, content, cancellationToken).ConfigureAwait(false);
        if (call.Failure is not null)
        {
            return new ConnectOutcome(false, call.StatusCode == 0 ? 500 : call.StatusCode, call.Failure, null, false, null);
        }

        ConnectEventResponse? response = null;
        if (call.StatusCode == 200 && call.Body.Length > 0)
        {
            try
            {
                response = JsonSerializer.Deserialize(call.Body, EmulatorJsonContext.Default.ConnectEventResponse);
            }
            catch (JsonException ex)
            {
                return new ConnectOutcome(false, 500, "The connect handler returned invalid JSON: " + ex.Message, null, false, null);
            }
        }

        return new ConnectOutcome(true, call.StatusCode, "", response, call.HasState, call.State);
    }

    public async Task<UserEventOutcome> UserEventAsync(UpstreamTarget target, string eventName, DataType dataType, byte[] data, CancellationToken cancellationToken)
    {
        var handler = FindHandler(target.Hub, eventName, isSystem: false);
        if (handler is null)
        {
            return new UserEventOutcome(UserEventStatus.NoHandler, 0, $"No event handler for user event '{eventName}'.", DataType.Binary, null, false, null);
        }

        var content = new ByteArrayContent(data);
        content.Headers.ContentType = dataType == DataType.Binary
            ? new MediaTypeHeaderValue(DataTypes.ContentType(dataType))
            : MediaTypeHeaderValue.Parse(DataTypes.ContentType(dataType) + "; charset=utf-8");
        var call = await CallAsync(handler, target, eventName, isSystem: false, content, cancellationToken).ConfigureAwait(false);
        if (call.Failure is not null)
        {
            return new UserEventOutcome(UserEventStatus.Failed, call.StatusCode, call.Failure, DataType.Binary, null, false, null);
        }

        if (call.StatusCode == 204 || call.Body.Length == 0)
        {
            return new UserEventOutcome(UserEventStatus.Succeeded, call.StatusCode, "", DataType.Binary, null, call.HasState, call.State);
        }

        var error = DataTypes.TryReadBody(call.ContentType, call.Body, out var replyType, out var replyData);
        if (error != DataTypes.BodyError.None)
        {
            var reason = $"The event handler replied with an unsupported body ({error}, Content-Type '{call.ContentType}').";
            EmulatorLog.UpstreamFailed(_logger, eventName, target.ConnectionId, target.Hub, reason);
            return new UserEventOutcome(UserEventStatus.Failed, 500, reason, DataType.Binary, null, false, null);
        }

        return new UserEventOutcome(UserEventStatus.Succeeded, call.StatusCode, "", replyType, replyData, call.HasState, call.State);
    }

    /// <summary>Sends connected/disconnected; failures are only logged (the events are not blocking).</summary>
    public async Task SystemEventAsync(UpstreamTarget target, string eventName, string? reason, CancellationToken cancellationToken)
    {
        var handler = FindHandler(target.Hub, eventName, isSystem: true);
        if (handler is null)
        {
            return;
        }

        var body = eventName == WebPubSubConstants.EventTypes.DisconnectedEventName
            ? JsonSerializer.SerializeToUtf8Bytes(new DisconnectedEventRequest(reason), EmulatorJsonContext.Default.DisconnectedEventRequest)
            : "{}"u8.ToArray();
        await CallAsync(handler, target, eventName, isSystem: true, JsonContent(body), cancellationToken).ConfigureAwait(false);
    }

    private EmulatorEventHandlerOptions? FindHandler(string hub, string eventName, bool isSystem)
    {
        if (!_options.Hubs.TryGetValue(hub, out var hubOptions))
        {
            return null;
        }

        foreach (var handler in hubOptions.EventHandlers)
        {
            if (isSystem ? handler.SystemEvents.Contains(eventName, StringComparer.OrdinalIgnoreCase) : MatchesUserEvent(handler.UserEventPattern, eventName))
            {
                return handler;
            }
        }

        return null;
    }

    internal static bool MatchesUserEvent(string? pattern, string eventName)
    {
        if (string.IsNullOrWhiteSpace(pattern))
        {
            return false;
        }

        foreach (var part in pattern.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == "*" || string.Equals(part, eventName, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static ByteArrayContent JsonContent(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = JsonUtf8;
        return content;
    }

    private static string ExpandTemplate(string template, string hub, string eventName) =>
        template.Replace("{hub}", Uri.EscapeDataString(hub), StringComparison.OrdinalIgnoreCase)
            .Replace("{event}", Uri.EscapeDataString(eventName), StringComparison.OrdinalIgnoreCase);

    private readonly record struct CallResult(int StatusCode, string? Failure, byte[] Body, string? ContentType, bool HasState, string? State);

    private async Task<CallResult> CallAsync(EmulatorEventHandlerOptions handler, UpstreamTarget target, string eventName, bool isSystem, HttpContent content, CancellationToken cancellationToken)
    {
        using (content)
        {
            if (!await IsValidatedAsync(handler, target.Hub, target.Origin).ConfigureAwait(false))
            {
                const string Reason = "The event handler failed abuse-protection validation.";
                EmulatorLog.UpstreamFailed(_logger, eventName, target.ConnectionId, target.Hub, Reason);
                _metrics.UpstreamCall(eventName, 0);
                return new CallResult(0, Reason, [], null, false, null);
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, ExpandTemplate(handler.UrlTemplate, target.Hub, eventName)) { Content = content };
            AddCloudEventHeaders(request, target, eventName, isSystem);

            using var timeout = new CancellationTokenSource(_options.UpstreamTimeout, _timeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            try
            {
                var client = _httpClientFactory.CreateClient(HttpClientName);
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
                var status = (int)response.StatusCode;
                _metrics.UpstreamCall(eventName, status);
                EmulatorLog.UpstreamCalled(_logger, eventName, target.ConnectionId, target.Hub, status);
                var body = await ReadLimitedAsync(response.Content, linked.Token).ConfigureAwait(false);
                if (body is null)
                {
                    return new CallResult(500, "The event handler's reply exceeded 16 MiB.", [], null, false, null);
                }

                if (!response.IsSuccessStatusCode)
                {
                    var reason = body.Length > 0 ? System.Text.Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 512)) : response.ReasonPhrase ?? status.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    EmulatorLog.UpstreamFailed(_logger, eventName, target.ConnectionId, target.Hub, $"HTTP {status}: {reason}");
                    return new CallResult(status, reason, body, null, false, null);
                }

                var hasState = response.Headers.TryGetValues(Ce.ConnectionState, out var stateValues);
                var state = hasState ? stateValues!.FirstOrDefault() : null;
                return new CallResult(status, null, body, response.Content.Headers.ContentType?.ToString(), hasState, string.IsNullOrEmpty(state) ? null : state);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                var reason = $"The event handler did not answer within {_options.UpstreamTimeout}.";
                EmulatorLog.UpstreamFailed(_logger, eventName, target.ConnectionId, target.Hub, reason);
                _metrics.UpstreamCall(eventName, 0);
                return new CallResult(0, reason, [], null, false, null);
            }
            catch (HttpRequestException ex)
            {
                EmulatorLog.UpstreamFailed(_logger, eventName, target.ConnectionId, target.Hub, ex.Message);
                _metrics.UpstreamCall(eventName, 0);
                return new CallResult(0, "The event handler could not be reached: " + ex.Message, [], null, false, null);
            }
        }
    }

    private void AddCloudEventHeaders(HttpRequestMessage request, UpstreamTarget target, string eventName, bool isSystem)
    {
        var headers = request.Headers;
        headers.TryAddWithoutValidation(WebPubSubConstants.Headers.WebHookRequestOrigin, target.Origin);
        headers.TryAddWithoutValidation(Ce.SpecVersion, Ce.SpecVersionValue);
        headers.TryAddWithoutValidation(Ce.AwpsVersion, Ce.AwpsVersionValue);
        headers.TryAddWithoutValidation(Ce.Type, isSystem ? WebPubSubConstants.EventTypes.SystemPrefix + eventName : WebPubSubConstants.EventTypes.User(eventName));
        headers.TryAddWithoutValidation(Ce.Source, $"/hubs/{target.Hub}/client/{target.ConnectionId}");
        headers.TryAddWithoutValidation(Ce.Id, Guid.NewGuid().ToString("N"));
        headers.TryAddWithoutValidation(Ce.Time, _timeProvider.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
        headers.TryAddWithoutValidation(Ce.Signature, UpstreamSignature.Compute(target.ConnectionId, [_options.AccessKey]));
        headers.TryAddWithoutValidation(Ce.Hub, target.Hub);
        headers.TryAddWithoutValidation(Ce.ConnectionId, target.ConnectionId);
        headers.TryAddWithoutValidation(Ce.EventName, eventName);
        if (target.UserId is not null)
        {
            headers.TryAddWithoutValidation(Ce.UserId, target.UserId);
        }

        if (target.Subprotocol is not null)
        {
            headers.TryAddWithoutValidation(Ce.Subprotocol, target.Subprotocol);
        }

        if (target.ConnectionState is not null)
        {
            headers.TryAddWithoutValidation(Ce.ConnectionState, target.ConnectionState);
        }

        headers.TryAddWithoutValidation(WebPubSubConstants.Headers.ClientRequestId, Guid.NewGuid().ToString());
    }

    private static async Task<byte[]?> ReadLimitedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > MaxResponseBytes)
        {
            return null;
        }

        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > MaxResponseBytes)
                {
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }

            return buffer.ToArray();
        }
    }

    private async Task<bool> IsValidatedAsync(EmulatorEventHandlerOptions handler, string hub, string origin)
    {
        var url = ExpandTemplate(handler.UrlTemplate, hub, "validate");
        var key = url + "\n" + origin;
        var now = _timeProvider.GetUtcNow();
        var lazy = _validations.AddOrUpdate(
            key,
            _ => new Lazy<Validation>(() => StartValidation(url, origin, now)),
            (_, existing) => existing.IsValueCreated && existing.Value.Failed && now - existing.Value.StartedAt >= RetryFailedValidationAfter
                ? new Lazy<Validation>(() => StartValidation(url, origin, now))
                : existing);
        return await lazy.Value.Task.ConfigureAwait(false);
    }

    private Validation StartValidation(string url, string origin, DateTimeOffset startedAt)
    {
        var validation = new Validation(startedAt);
        validation.Task = ValidateAsync(url, origin, validation);
        return validation;
    }

    private async Task<bool> ValidateAsync(string url, string origin, Validation validation)
    {
        // Shared by every caller, so it runs on its own timeout rather than any one caller's token.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10), _timeProvider);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Options, url);
            request.Headers.TryAddWithoutValidation(WebPubSubConstants.Headers.WebHookRequestOrigin, origin);
            request.Headers.TryAddWithoutValidation(Ce.AwpsVersion, Ce.AwpsVersionValue);
            var client = _httpClientFactory.CreateClient(HttpClientName);
            using var response = await client.SendAsync(request, timeout.Token).ConfigureAwait(false);
            _metrics.UpstreamCall("validate", (int)response.StatusCode);
            var allowed = response.Headers.TryGetValues(WebPubSubConstants.Headers.WebHookAllowedOrigin, out var values)
                ? values.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries)).ToArray()
                : [];
            var ok = response.IsSuccessStatusCode
                && allowed.Any(value => value == "*" || string.Equals(value, origin, StringComparison.OrdinalIgnoreCase));
            if (ok)
            {
                EmulatorLog.ValidationSucceeded(_logger, url);
            }
            else
            {
                EmulatorLog.ValidationFailed(_logger, url, response.StatusCode != HttpStatusCode.OK && !response.IsSuccessStatusCode
                    ? $"HTTP {(int)response.StatusCode}"
                    : $"WebHook-Allowed-Origin '{string.Join(",", allowed)}' does not allow '{origin}'");
            }

            validation.Failed = !ok;
            return ok;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            EmulatorLog.ValidationFailed(_logger, url, ex.Message);
            _metrics.UpstreamCall("validate", 0);
            validation.Failed = true;
            return false;
        }
    }

    private sealed class Validation(DateTimeOffset startedAt)
    {
        public DateTimeOffset StartedAt { get; } = startedAt;

        public Task<bool> Task { get; set; } = System.Threading.Tasks.Task.FromResult(false);

        public volatile bool Failed;
    }
}
