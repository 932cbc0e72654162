using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using RestaurantOs.Functions.Http;
using RestaurantOs.Realtime.Connections;
using RestaurantOs.Realtime.Events;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Protocol;
using RestaurantOs.Realtime.Services;
using RestaurantOs.WebPubSub.Protocol;
using RestaurantOs.WebPubSub.Upstream;

namespace RestaurantOs.Functions.Functions;

/// <summary>
/// <c>OPTIONS|POST /api/webpubsub</c>: Web PubSub's event handler. The codec answers the abuse-protection handshake
/// and rejects unauthenticated or foreign requests (401) before anything else. The connection state is then verified
/// with <see cref="ConnectionStateProtector"/>: a state the app did not issue for this connection is refused (401, the
/// connection is told <c>UNAUTHORIZED</c> and closed), so <see cref="ConnectionService"/> only ever sees verified
/// state. Each event goes to <see cref="ConnectionService"/>, and its state travels back, protected, in
/// <c>ce-connectionState</c>.
/// </summary>
public sealed partial class WebPubSubEventHandlerFunction(
    WebPubSubUpstreamCodec codec,
    ConnectionStateProtector protector,
    ConnectionService connections,
    IEventPublisher publisher,
    IConnectionManager connectionManager,
    TimeProvider time,
    ILogger<WebPubSubEventHandlerFunction> logger)
{
    /// <summary>The key under which our protected <see cref="ConnectionState"/> lives in Web PubSub's connection state.</summary>
    public const string StateKey = "rt";

    [Function(nameof(WebPubSubEvents))]
    public async Task<IActionResult> WebPubSubEvents(
        [HttpTrigger(AuthorizationLevel.Function, "options", "post", Route = "webpubsub")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var upstream = await codec.ReadRequestAsync(request, cancellationToken);
        var response = request.HttpContext.Response;
        ConnectionState? state;
        switch (upstream)
        {
            case null:
                break; // the codec answered: preflight or rejection
            case ConnectRequest connect:
                // Web PubSub sends no state with connect; whatever arrives is ignored, the decision makes the state.
                await OnConnectAsync(response, connect, cancellationToken);
                break;
            case ConnectedRequest connected when (state = ReadState(connected)) is not null:
                await connections.ConnectedAsync(connected.ConnectionId, state, connected.Subprotocol, cancellationToken);
                await WebPubSubUpstreamCodec.WriteAcceptedAsync(response);
                break;
            case UserEventRequest message when (state = ReadState(message)) is not null:
                await OnMessageAsync(response, message, state, cancellationToken);
                break;
            case DisconnectedRequest disconnected when (state = ReadState(disconnected)) is not null:
                await connections.DisconnectedAsync(disconnected.ConnectionId, state, cancellationToken);
                await WebPubSubUpstreamCodec.WriteAcceptedAsync(response);
                break;
            case ConnectedRequest or UserEventRequest or DisconnectedRequest:
                await RefuseStateAsync(response, upstream, cancellationToken);
                break;
            default:
                await WebPubSubUpstreamCodec.WriteAcceptedAsync(response);
                break;
        }

        return ApiResults.Written();
    }

    private async Task OnConnectAsync(HttpResponse response, ConnectRequest connect, CancellationToken cancellationToken)
    {
        var attempt = new ConnectAttempt(connect.ConnectionId, ToArrays(connect.Query), ToArrays(connect.Headers));
        var decision = await connections.ConnectAsync(attempt, cancellationToken);
        if (!decision.Accepted)
        {
            var code = decision.RejectStatus >= 500 ? UpstreamErrorCode.ServerError : UpstreamErrorCode.Unauthorized;
            await WebPubSubUpstreamCodec.WriteErrorAsync(response, code, $"{decision.RejectCode}: {decision.RejectMessage}", cancellationToken);
            return;
        }

        // The request's own state is dropped: only what this decision says becomes the connection's state.
        await WebPubSubUpstreamCodec.WriteConnectResponseAsync(response, connect with { ConnectionState = NoState }, new ConnectEventResponse
        {
            UserId = decision.UserId,
            Groups = decision.Groups,
            ConnectionStateUpdates = StateUpdate(connect, decision.State),
        }, cancellationToken);
    }

    private async Task OnMessageAsync(HttpResponse response, UserEventRequest message, ConnectionState state, CancellationToken cancellationToken)
    {
        var outcome = await connections.MessageAsync(message.ConnectionId, state, message.Data, message.Subprotocol, cancellationToken);
        // The state is written back on every message, so one protected with a previous key moves to the current one.
        await WebPubSubUpstreamCodec.WriteUserEventResponseAsync(response, message, new UserEventResponse
        {
            Message = outcome.Reply is { } reply ? WebPubSubMessage.Json(EventSerializer.ToUtf8(reply)) : null,
            ConnectionStateUpdates = outcome.Closed ? null : StateUpdate(message, outcome.State),
        }, cancellationToken);
    }

    /// <summary>
    /// Refuses an event whose state the app did not issue for this connection: 401, and for a live connection an
    /// <c>UNAUTHORIZED</c> error message followed by a REST close (Azure also drops a connection whose user event fails,
    /// but <c>connected</c> is non-blocking and the subprotocol path only nacks, so the app closes it itself).
    /// </summary>
    private async Task RefuseStateAsync(HttpResponse response, UpstreamRequest request, CancellationToken cancellationToken)
    {
        Log.StateRefused(logger, request.Hub, request.ConnectionId, request.EventName);
        if (request is not DisconnectedRequest)
        {
            var error = EventFactory.Error(ErrorCodes.Unauthorized, "The connection state could not be verified; reconnect with a valid token.", time.GetUtcNow());
            await publisher.SendToConnectionAsync(request.ConnectionId, error, cancellationToken);
            await connectionManager.CloseConnectionAsync(request.ConnectionId, ErrorCodes.Unauthorized, cancellationToken);
        }

        await WebPubSubUpstreamCodec.WriteErrorAsync(response, UpstreamErrorCode.Unauthorized, "The connection state could not be verified.", cancellationToken);
    }

    /// <summary>The verified state of the request's connection, or null when it is missing or fails verification.</summary>
    private ConnectionState? ReadState(UpstreamRequest request)
    {
        if (!request.ConnectionState.TryGetValue(StateKey, out var element) || element.ValueKind != JsonValueKind.String
            || protector.TryUnprotect(request.Hub, request.ConnectionId, element.GetString(), out var payload) == StateVerification.Invalid)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(payload);
            return ConnectionState.TryRead(document.RootElement, out var state) ? state : null;
        }
        catch (JsonException)
        {
            return null; // a state we MACed is always JSON; kept only so no input can throw here
        }
    }

    private Dictionary<string, JsonElement?>? StateUpdate(UpstreamRequest request, ConnectionState? state)
    {
        if (state is null)
        {
            return null;
        }

        var payload = Encoding.UTF8.GetBytes(state.ToJsonElement().GetRawText());
        var protectedState = protector.Protect(request.Hub, request.ConnectionId, payload);
        // The protected form is base64url and dots: a JSON string that needs no escaping.
        using var document = JsonDocument.Parse($"\"{protectedState}\"");
        return new() { [StateKey] = document.RootElement.Clone() };
    }

    private static readonly IReadOnlyDictionary<string, JsonElement> NoState = new Dictionary<string, JsonElement>(StringComparer.Ordinal);

    private static Dictionary<string, string[]> ToArrays(IReadOnlyDictionary<string, IReadOnlyList<string>> values) =>
        values.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.OrdinalIgnoreCase);

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Upstream {EventName} for connection {ConnectionId} of hub {Hub} refused: its connection state is missing or was not issued by this app for this connection")]
        public static partial void StateRefused(ILogger logger, string hub, string connectionId, string eventName);
    }
}
