using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Events;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Routing;
using RestaurantOs.WebPubSub.Client;
using RestaurantOs.WebPubSub.Protocol;

namespace RestaurantOs.Functions.Adapters;

/// <summary>
/// Events to Web PubSub: one send-to-all call per event, with an OData filter that matches every connection in
/// any of the event's groups. The service evaluates the filter once per connection, so a connection in two of the
/// groups still receives the event once. Serialized once per event.
/// </summary>
internal sealed class WebPubSubEventPublisher(IWebPubSubServiceClient client) : IEventPublisher
{
    public Task PublishAsync(RealtimeEvent realtimeEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(realtimeEvent);
        var options = new WebPubSubSendOptions { Filter = GroupRouting.SendFilter(realtimeEvent) };
        return client.SendToAllAsync(WebPubSubMessage.Json(EventSerializer.ToUtf8(realtimeEvent)), options, cancellationToken);
    }

    public Task SendToConnectionAsync(string connectionId, RealtimeEvent message, CancellationToken cancellationToken) =>
        client.SendToConnectionAsync(connectionId, WebPubSubMessage.Json(EventSerializer.ToUtf8(message)), cancellationToken: cancellationToken);

    public Task SendToGroupAsync(string group, RealtimeEvent message, CancellationToken cancellationToken) =>
        client.SendToGroupAsync(group, WebPubSubMessage.Json(EventSerializer.ToUtf8(message)), cancellationToken: cancellationToken);
}

/// <summary>Group membership and closes through the Web PubSub REST API.</summary>
internal sealed class WebPubSubConnectionManager(IWebPubSubServiceClient client) : IConnectionManager
{
    public Task AddToGroupsAsync(string connectionId, IReadOnlyCollection<string> groups, CancellationToken cancellationToken) =>
        Task.WhenAll(groups.Select(g => client.AddConnectionToGroupAsync(g, connectionId, cancellationToken)));

    public Task RemoveFromGroupsAsync(string connectionId, IReadOnlyCollection<string> groups, CancellationToken cancellationToken) =>
        Task.WhenAll(groups.Select(g => client.RemoveConnectionFromGroupAsync(g, connectionId, cancellationToken)));

    public Task CloseConnectionAsync(string connectionId, string reason, CancellationToken cancellationToken) =>
        client.CloseConnectionAsync(connectionId, reason, cancellationToken);

    public Task CloseGroupAsync(string group, string reason, CancellationToken cancellationToken) =>
        client.CloseGroupConnectionsAsync(group, null, reason, cancellationToken);
}
