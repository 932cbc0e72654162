using RestaurantOs.Realtime.Connections;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Events;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Protocol;
using RestaurantOs.Realtime.Routing;

namespace RestaurantOs.Realtime.Services;

/// <summary>
/// <c>subscribe</c> and <c>unsubscribe</c>: the rules (<see cref="SubscriptionRules"/>) decide the next set, and the
/// connection's Web PubSub groups follow it.
/// </summary>
internal sealed class SubscriptionHandler(IConnectionManager connections, ConnectionErrors errors)
{
    public Task<MessageOutcome> SubscribeAsync(string connectionId, ConnectionState state, SubscribeMessage subscribe, DateTimeOffset now, CancellationToken cancellationToken) =>
        ChangeAsync(connectionId, state, SubscriptionRules.Apply(state.ToIdentity(), state.Subscriptions, subscribe), EventTypes.Subscribed, subscribe.Events, subscribe.Filters, now, cancellationToken);

    public Task<MessageOutcome> UnsubscribeAsync(string connectionId, ConnectionState state, UnsubscribeMessage unsubscribe, DateTimeOffset now, CancellationToken cancellationToken) =>
        ChangeAsync(connectionId, state, SubscriptionRules.Apply(state.ToIdentity(), state.Subscriptions, unsubscribe), EventTypes.Unsubscribed, unsubscribe.Events, null, now, cancellationToken);

    /// <summary>Moves the connection from the groups of <paramref name="before"/> to those of <paramref name="after"/>.</summary>
    public async Task ApplyGroupsAsync(string connectionId, IReadOnlySet<string> before, IReadOnlySet<string> after, CancellationToken cancellationToken)
    {
        var join = after.Where(g => !before.Contains(g)).ToList();
        var leave = before.Where(g => !after.Contains(g)).ToList();
        // Join before leaving: an event sent in between reaches the connection at most once (the send filter matches
        // a connection once), and never zero times.
        if (join.Count > 0)
        {
            await connections.AddToGroupsAsync(connectionId, join, cancellationToken).ConfigureAwait(false);
        }

        if (leave.Count > 0)
        {
            await connections.RemoveFromGroupsAsync(connectionId, leave, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<MessageOutcome> ChangeAsync(
        string connectionId,
        ConnectionState state,
        SubscriptionChange change,
        string replyType,
        IReadOnlyList<string> events,
        IReadOnlyDictionary<string, string>? filters,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        if (change.Error is { } error)
        {
            return errors.Reply(state, error.Code, error.Message, now);
        }

        var identity = state.ToIdentity();
        await ApplyGroupsAsync(connectionId, GroupRouting.GroupsFor(identity, state.Subscriptions), GroupRouting.GroupsFor(identity, change.Next), cancellationToken).ConfigureAwait(false);
        var next = state with { Subscriptions = change.Next };
        return new MessageOutcome(EventFactory.SubscriptionAck(replyType, events, filters, change.Next, identity.Role, now), next, false);
    }
}
