using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RestaurantOs.Emulator.Connections;
using RestaurantOs.Emulator.Hosting;
using RestaurantOs.Emulator.Protocol;
using RestaurantOs.Emulator.Rest;
using RestaurantOs.Emulator.Transport;
using RestaurantOs.Emulator.Upstream;
using RestaurantOs.WebPubSub.Protocol;

namespace RestaurantOs.Emulator.Endpoints;

/// <summary>
/// The WebSocket edges: the Azure-faithful client endpoint (<c>/client/hubs/{hub}</c>) and seed-compatible
/// endpoints. Both authenticate, run the upstream <c>connect</c> event, accept, and hand the socket to
/// <see cref="ClientConnectionHandler"/>; they differ in authentication and in how a rejection is reported.
/// </summary>
internal sealed class ClientWebSocketEndpoint
{
    /// <summary>Web PubSub subprotocols this emulator does not implement; offering only these is refused with 400.</summary>
    internal static readonly string[] UnsupportedServiceSubprotocols =
        ["protobuf.webpubsub.azure.v1", "protobuf.reliable.webpubsub.azure.v1"];

    /// <summary>The Web PubSub subprotocols this emulator speaks; without a choice by the connect handler the client's first one wins.</summary>
    internal static readonly string[] SupportedServiceSubprotocols =
        [WebPubSubConstants.Subprotocols.Json, WebPubSubConstants.Subprotocols.JsonReliable];

    private const string RecoveryConnectionIdQuery = "awps_connection_id";
    private const string RecoveryTokenQuery = "awps_reconnection_token";

    private readonly EmulatorOptions _options;
    private readonly UpstreamDispatcher _upstream;
    private readonly ClientConnectionHandler _handler;
    private readonly ConnectionManager _connections;
    private readonly TimeProvider _timeProvider;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<ClientWebSocketEndpoint> _logger;

    public ClientWebSocketEndpoint(IOptions<EmulatorOptions> options, UpstreamDispatcher upstream, ClientConnectionHandler handler, ConnectionManager connections, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    {
        _connections = connections;
        _options = options.Value;
        _upstream = upstream;
        _handler = handler;
        _timeProvider = timeProvider;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<ClientWebSocketEndpoint>();
    }

    /// <summary><c>/client/hubs/{hub}</c> and <c>/client/?hub=</c>: Web PubSub client tokens, HTTP status on rejection.</summary>
    public async Task HandleAzureAsync(HttpContext context, string? hub)
    {
        if (!HubNames.IsValidHub(hub))
        {
            await RestErrors.WriteAsync(context, StatusCodes.Status400BadRequest, "Error.BadRequest", $"Invalid hub name '{hub}'.", "hub").ConfigureAwait(false);
            return;
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            await RestErrors.WriteAsync(context, StatusCodes.Status400BadRequest, "Error.BadRequest", "This endpoint accepts only WebSocket upgrade requests.", null).ConfigureAwait(false);
            return;
        }

        var normalizedHub = HubNames.Normalize(hub);
        if (IsRecovery(context))
        {
            await RecoverAsync(context, normalizedHub, seed: false).ConfigureAwait(false);
            return;
        }

        var token = ReadToken(context, allowTokenQuery: false);
        AccessTokenPrincipal? principal = null;
        if (token is not null)
        {
            if (!AccessKeyToken.TryValidate(token, [_options.AccessKey], ClientAudiences(context, hub!), _timeProvider.GetUtcNow(), out principal, out var error))
            {
                await RejectAsync(context, normalizedHub, StatusCodes.Status401Unauthorized, error).ConfigureAwait(false);
                return;
            }
        }
        else if (!(_options.Hubs.TryGetValue(normalizedHub, out var hubOptions) && hubOptions.AllowAnonymous))
        {
            await RejectAsync(context, normalizedHub, StatusCodes.Status401Unauthorized, "An access token is required (query 'access_token' or 'Authorization: Bearer').").ConfigureAwait(false);
            return;
        }

        var offered = context.WebSockets.WebSocketRequestedProtocols;
        if (!offered.Any(p => SupportedServiceSubprotocols.Contains(p, StringComparer.Ordinal))
            && offered.FirstOrDefault(p => UnsupportedServiceSubprotocols.Contains(p, StringComparer.Ordinal)) is { } unsupported)
        {
            await RestErrors.WriteAsync(context, StatusCodes.Status400BadRequest, "Error.Subprotocol.NotSupported",
                $"Subprotocol '{unsupported}' is not supported by this emulator; use json.reliable.webpubsub.azure.v1, json.webpubsub.azure.v1 or a plain WebSocket.", "subprotocol").ConfigureAwait(false);
            return;
        }

        await ConnectAsync(context, normalizedHub, principal, seed: null).ConfigureAwait(false);
    }

    /// <summary>A seed-compatible endpoint: the app's JWT is passed through to the connect handler, not validated here.</summary>
    public async Task HandleSeedAsync(HttpContext context, string hub, SeedCompatibleEndpointOptions seed)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await RestErrors.WriteAsync(context, StatusCodes.Status400BadRequest, "Error.BadRequest", "This endpoint accepts only WebSocket upgrade requests.", null).ConfigureAwait(false);
            return;
        }

        var normalizedHub = HubNames.Normalize(hub);
        if (IsRecovery(context))
        {
            await RecoverAsync(context, normalizedHub, seed: true).ConfigureAwait(false);
            return;
        }

        // Claims are forwarded only when the token is a genuine Web PubSub client token for this hub, as Azure
        // (with anonymous connect) would; an app JWT reaches the handler verbatim in query/headers for it to verify.
        AccessTokenPrincipal? principal = null;
        if (ReadToken(context, allowTokenQuery: true) is { } token
            && AccessKeyToken.TryValidate(token, [_options.AccessKey], ClientAudiences(context, hub), _timeProvider.GetUtcNow(), out var validated, out _))
        {
            principal = validated;
        }

        await ConnectAsync(context, normalizedHub, principal, seed).ConfigureAwait(false);
    }

    private async Task ConnectAsync(HttpContext context, string hub, AccessTokenPrincipal? principal, SeedCompatibleEndpointOptions? seed)
    {
        var connectionId = Guid.NewGuid().ToString("N");
        var origin = _options.WebHookRequestOrigin ?? context.Request.Host.Host;
        var offered = context.WebSockets.WebSocketRequestedProtocols.ToArray();

        var request = new ConnectEventRequest(
            principal?.Claims ?? new Dictionary<string, IReadOnlyList<string>>(),
            context.Request.Query
                .Where(q => seed is not null || !string.Equals(q.Key, WebPubSubConstants.Client.AccessTokenQueryParameter, StringComparison.OrdinalIgnoreCase))
                .ToDictionary(q => q.Key, q => q.Value.Select(v => v ?? "").ToArray(), StringComparer.Ordinal),
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.Select(v => v ?? "").ToArray(), StringComparer.OrdinalIgnoreCase),
            offered,
            []);

        var outcome = await _upstream.ConnectAsync(new UpstreamTarget(hub, connectionId, principal?.UserId, origin, null, null), request, context.RequestAborted).ConfigureAwait(false);
        if (!outcome.Accepted)
        {
            EmulatorLog.ConnectRejected(_logger, hub, outcome.StatusCode, outcome.Reason);
            if (seed is { CloseRejectedConnectOverWebSocket: true })
            {
                await CloseRejectedAsync(context, outcome).ConfigureAwait(false);
            }
            else
            {
                await RejectAsync(context, hub, outcome.StatusCode, outcome.Reason).ConfigureAwait(false);
            }

            return;
        }

        var response = outcome.Response;
        var userId = response?.UserId ?? principal?.UserId;
        IEnumerable<string> roles = response?.Roles ?? principal?.Roles ?? [];
        IEnumerable<string> groups = response?.Groups is { Count: > 0 } responseGroups ? responseGroups : principal?.Groups ?? [];

        string? subprotocol;
        if (response?.Subprotocol is { Length: > 0 } chosen)
        {
            if (!offered.Contains(chosen, StringComparer.Ordinal))
            {
                await RejectAsync(context, hub, StatusCodes.Status500InternalServerError, $"The connect handler chose subprotocol '{chosen}', which the client did not offer.").ConfigureAwait(false);
                return;
            }

            subprotocol = chosen;
        }
        else
        {
            // The client's first Web PubSub JSON subprotocol, on both endpoints: a seed client offers none and stays
            // plain; a client that asks for the envelopes (Microsoft's SDK on the seed URL) gets them.
            subprotocol = offered.FirstOrDefault(p => SupportedServiceSubprotocols.Contains(p, StringComparer.Ordinal));
        }

        var reliable = subprotocol == WebPubSubConstants.Subprotocols.JsonReliable;
        var protocol = reliable || subprotocol == WebPubSubConstants.Subprotocols.Json ? ClientProtocol.Json : ClientProtocol.Plain;
        string? plainGroup = null;
        var plainNoEcho = false;
        if (seed is null && protocol == ClientProtocol.Plain
            && string.Equals(context.Request.Query["webpubsub_mode"], "sendToGroup", StringComparison.OrdinalIgnoreCase))
        {
            plainGroup = context.Request.Query["group"];
            plainNoEcho = string.Equals(context.Request.Query["noEcho"], "true", StringComparison.OrdinalIgnoreCase);
            if (!HubNames.IsValidGroup(plainGroup))
            {
                await RestErrors.WriteAsync(context, StatusCodes.Status400BadRequest, "Error.BadRequest", "webpubsub_mode=sendToGroup needs a valid 'group' query parameter.", "group").ConfigureAwait(false);
                return;
            }
        }

        var accept = new WebSocketAcceptContext
        {
            SubProtocol = subprotocol,
            KeepAliveInterval = _options.KeepAliveInterval,
            KeepAliveTimeout = _options.KeepAliveTimeout > TimeSpan.Zero ? _options.KeepAliveTimeout : Timeout.InfiniteTimeSpan,
        };

        // Seed endpoints check text frames for UTF-8 themselves, so a bad frame gets an error before 1007.
        var marked = seed is null ? null : await TextFrameMarkingStream.AcceptAsync(context, accept).ConfigureAwait(false);
        var socket = marked?.Socket ?? await context.WebSockets.AcceptWebSocketAsync(accept).ConfigureAwait(false);

        var transport = NewTransport(socket, connectionId, reliable);
        var connection = new ClientConnection(hub, connectionId, userId, roles)
        {
            Transport = transport,
            Reliable = reliable ? new ReliableSession(_options.ReliableBufferMaxMessages, _options.ReliableBufferMaxBytes, _options.ReliableRecoveryWindow, _timeProvider) : null,
            Protocol = protocol,
            Subprotocol = subprotocol,
            Endpoint = seed is null ? EndpointKind.Azure : EndpointKind.SeedCompatible,
            SeedOptions = seed,
            Origin = origin,
            PlainSendToGroup = plainGroup,
            PlainNoEcho = plainNoEcho,
            TextFrames = marked?.Marks,
        };
        if (outcome.HasState)
        {
            connection.ConnectionState = outcome.State;
        }

        var maxBytes = seed?.MaxInboundMessageBytes ?? _options.MaxClientMessageBytes;
        await _handler.RunAsync(connection, groups.Where(HubNames.IsValidGroup).Distinct(StringComparer.Ordinal).ToArray(), maxBytes, context.RequestAborted).ConfigureAwait(false);
    }

    private WebSocketTransport NewTransport(WebSocket socket, string connectionId, bool reliable)
    {
        // A reliable socket's queue must hold a whole replay (the buffer's limit) plus the control frames around it;
        // the buffer, not the queue, is what bounds a reliable connection.
        var maxMessages = reliable ? Math.Max(_options.SendQueueMaxMessages, _options.ReliableBufferMaxMessages + 64) : _options.SendQueueMaxMessages;
        var maxBytes = reliable ? Math.Max(_options.SendQueueMaxBytes, _options.ReliableBufferMaxBytes + (64 * 1024)) : _options.SendQueueMaxBytes;
        return new WebSocketTransport(socket, connectionId, maxMessages, maxBytes, _timeProvider, _loggerFactory.CreateLogger<WebSocketTransport>());
    }

    private static bool IsRecovery(HttpContext context) =>
        !string.IsNullOrEmpty(context.Request.Query[RecoveryConnectionIdQuery]);

    /// <summary>
    /// <c>?awps_connection_id=&amp;awps_reconnection_token=</c>: a reliable client comes back after a drop. The token
    /// is the credential (the access token in the same URL may have expired since), checked against the connection
    /// it names on this hub and endpoint. A refusal is accepted and closed with 1008, the code that tells a client
    /// to stop recovering and start a new connection; an HTTP error would make it retry until its window ends.
    /// </summary>
    private async Task RecoverAsync(HttpContext context, string hub, bool seed)
    {
        var connectionId = context.Request.Query[RecoveryConnectionIdQuery].ToString();
        var offered = context.WebSockets.WebSocketRequestedProtocols;
        string? refusal = null;
        if (!_connections.TryGet(hub, connectionId, out var connection) || connection.Reliable is not { } session || session.IsEnded)
        {
            refusal = "no recoverable connection with this id";
        }
        else if (seed != (connection.Endpoint == EndpointKind.SeedCompatible))
        {
            refusal = "the connection was opened on another endpoint";
        }
        else if (!session.TokenMatches(context.Request.Query[RecoveryTokenQuery]))
        {
            refusal = "wrong reconnection token";
        }
        else if (!offered.Contains(connection.Subprotocol, StringComparer.Ordinal))
        {
            refusal = $"the recovery must offer subprotocol '{connection.Subprotocol}'";
        }

        var accept = new WebSocketAcceptContext
        {
            // A client that offered subprotocols fails a handshake that picks none, and would then retry instead of
            // reading the 1008: echo one it offered.
            SubProtocol = refusal is null ? connection!.Subprotocol : offered.FirstOrDefault(p => SupportedServiceSubprotocols.Contains(p, StringComparer.Ordinal)) ?? offered.FirstOrDefault(),
            KeepAliveInterval = _options.KeepAliveInterval,
            KeepAliveTimeout = _options.KeepAliveTimeout > TimeSpan.Zero ? _options.KeepAliveTimeout : Timeout.InfiniteTimeSpan,
        };
        var socket = await context.WebSockets.AcceptWebSocketAsync(accept).ConfigureAwait(false);
        var transport = NewTransport(socket, connectionId, reliable: true);
        if (refusal is not null)
        {
            EmulatorLog.RecoveryRefused(_logger, connectionId, hub, refusal);
            await _handler.RefuseRecoveryAsync(transport, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        var maxBytes = connection!.SeedOptions?.MaxInboundMessageBytes ?? _options.MaxClientMessageBytes;
        await _handler.ResumeAsync(connection, transport, maxBytes, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Seed behaviour: accept, then close with 1008 (401/403/400) or 1011 (other statuses) and the handler's reason.</summary>
    private async Task CloseRejectedAsync(HttpContext context, ConnectOutcome outcome)
    {
        using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        var status = outcome.StatusCode is 400 or 401 or 403 ? WebSocketCloseStatus.PolicyViolation : WebSocketCloseStatus.InternalServerError;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5), _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, context.RequestAborted);
        try
        {
            await socket.CloseAsync(status, WebSocketTransport.Truncate(ReasonText(outcome.Reason)), linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException)
        {
            // The client left before the close handshake finished; nothing else to do.
        }
    }

    /// <summary>A handler's rejection body may be text or JSON with <c>errorMessage</c>/<c>message</c>; the close reason is that text.</summary>
    internal static string ReasonText(string body)
    {
        var trimmed = body.Trim();
        if (trimmed.StartsWith('{'))
        {
            try
            {
                using var document = JsonDocument.Parse(trimmed);
                foreach (var name in (string[])["errorMessage", "message", "code"])
                {
                    if (document.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String)
                    {
                        return value.GetString() ?? trimmed;
                    }
                }
            }
            catch (JsonException)
            {
                // Not JSON after all: use the text.
            }
        }

        return trimmed;
    }

    private async Task RejectAsync(HttpContext context, string hub, int statusCode, string reason)
    {
        EmulatorLog.ConnectRejected(_logger, hub, statusCode, reason);
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(reason, Encoding.UTF8, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The token may come as <c>?access_token=</c>, <c>Authorization: Bearer</c> and, on seed endpoints, <c>?token=</c>.</summary>
    private static string? ReadToken(HttpContext context, bool allowTokenQuery)
    {
        var query = context.Request.Query;
        if (query.TryGetValue(WebPubSubConstants.Client.AccessTokenQueryParameter, out var fromQuery) && !string.IsNullOrEmpty(fromQuery))
        {
            return fromQuery.ToString();
        }

        var authorization = context.Request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Bearer ".Length..].Trim();
        }

        return allowTokenQuery && query.TryGetValue("token", out var token) && !string.IsNullOrEmpty(token) ? token.ToString() : null;
    }

    /// <summary>The client audience as reached: <c>http(s)://host/client/hubs/{hub}</c> (either scheme, since TLS may end in front of us).</summary>
    private static string[] ClientAudiences(HttpContext context, string hub)
    {
        var host = context.Request.Host.Value;
        var path = "/client/hubs/" + Uri.EscapeDataString(hub);
        return ["http://" + host + path, "https://" + host + path];
    }
}
