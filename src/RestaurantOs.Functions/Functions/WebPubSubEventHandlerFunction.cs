using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using RestaurantOs.Functions.Http;
using RestaurantOs.Realtime.Connections;
using RestaurantOs.Realtime.Events;
using RestaurantOs.Realtime.Services;
using RestaurantOs.WebPubSub.Protocol;
using RestaurantOs.WebPubSub.Upstream;

namespace RestaurantOs.Functions.Functions;

/// <summary>
/// <c>OPTIONS|POST /api/webpubsub</c>: Web PubSub's event handler. The codec answers the abuse-protection handshake
/// and rejects unsigned or foreign requests (401) before anything else; each event then goes to
/// <see cref="ConnectionService"/>, and its state travels back in <c>ce-connectionState</c>.
/// </summary>
public sealed class WebPubSubEventHandlerFunction(WebPubSubUpstreamCodec codec, ConnectionService connections)
{
    /// <summary>The key under which our <see cref="ConnectionState"/> lives in Web PubSub's connection state.</summary>
    public const string StateKey = "rt";

    [Function(nameof(WebPubSubEvents))]
    public async Task<IActionResult> WebPubSubEvents(
        [HttpTrigger(AuthorizationLevel.Function, "options", "post", Route = "webpubsub")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var upstream = await codec.ReadRequestAsync(request, cancellationToken);
        var response = request.HttpContext.Response;
        switch (upstream)
        {
            case null:
                break; // the codec answered: preflight or rejection
            case ConnectRequest connect:
                await OnConnectAsync(response, connect, cancellationToken);
                break;
            case ConnectedRequest connected:
                await connections.ConnectedAsync(connected.ConnectionId, ReadState(connected), cancellationToken);
                await WebPubSubUpstreamCodec.WriteAcceptedAsync(response);
                break;
            case UserEventRequest message:
                await OnMessageAsync(response, message, cancellationToken);
                break;
            case DisconnectedRequest disconnected:
                connections.Disconnected(disconnected.ConnectionId, ReadState(disconnected));
                await WebPubSubUpstreamCodec.WriteAcceptedAsync(response);
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

        await WebPubSubUpstreamCodec.WriteConnectResponseAsync(response, connect, new ConnectEventResponse
        {
            UserId = decision.UserId,
            Groups = decision.Groups,
            ConnectionStateUpdates = StateUpdate(decision.State),
        }, cancellationToken);
    }

    private async Task OnMessageAsync(HttpResponse response, UserEventRequest message, CancellationToken cancellationToken)
    {
        var outcome = await connections.MessageAsync(message.ConnectionId, ReadState(message), message.Data, cancellationToken);
        await WebPubSubUpstreamCodec.WriteUserEventResponseAsync(response, message, new UserEventResponse
        {
            Message = outcome.Reply is { } reply ? WebPubSubMessage.Json(EventSerializer.ToUtf8(reply)) : null,
            ConnectionStateUpdates = outcome.Closed ? null : StateUpdate(outcome.State),
        }, cancellationToken);
    }

    private static ConnectionState? ReadState(UpstreamRequest request) =>
        request.ConnectionState.TryGetValue(StateKey, out var element) && ConnectionState.TryRead(element, out var state)
            ? state
            : null;

    private static Dictionary<string, JsonElement?>? StateUpdate(ConnectionState? state) =>
        state is null ? null : new() { [StateKey] = state.ToJsonElement() };

    private static Dictionary<string, string[]> ToArrays(IReadOnlyDictionary<string, IReadOnlyList<string>> values) =>
        values.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.OrdinalIgnoreCase);
}
