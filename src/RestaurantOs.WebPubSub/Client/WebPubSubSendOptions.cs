namespace RestaurantOs.WebPubSub.Client;

/// <summary>Permissions that can be granted to a connection over REST (path segment values in the spec).</summary>
public enum WebPubSubPermissionKind
{
    /// <summary><c>sendToGroup</c>.</summary>
    SendToGroup = 0,

    /// <summary><c>joinLeaveGroup</c>.</summary>
    JoinLeaveGroup = 1,
}

/// <summary>Options of the <c>:send</c> operations.</summary>
public sealed record WebPubSubSendOptions
{
    /// <summary>Connection ids that must not receive the message (all/group sends only; repeated <c>excluded</c> query keys).</summary>
    public IReadOnlyList<string>? Excluded { get; init; }

    /// <summary>OData filter over <c>userId</c>, <c>connectionId</c>, <c>groups</c> (all/group/user sends only).</summary>
    public string? Filter { get; init; }

    /// <summary>0–300 seconds; 0 means never expire. Messages not consumed in time are dropped by the service.</summary>
    public int? MessageTtlSeconds { get; init; }
}

/// <summary>A connection in a group, as listed by the 2024-12-01 API.</summary>
/// <param name="ConnectionId">The connection id.</param>
/// <param name="UserId">The connection's user id, if any.</param>
public sealed record WebPubSubGroupMember(
    [property: System.Text.Json.Serialization.JsonPropertyName("connectionId")] string ConnectionId,
    [property: System.Text.Json.Serialization.JsonPropertyName("userId")] string? UserId);
