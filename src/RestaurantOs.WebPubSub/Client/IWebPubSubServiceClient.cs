using RestaurantOs.WebPubSub.Protocol;

namespace RestaurantOs.WebPubSub.Client;

/// <summary>
/// The Azure Web PubSub data-plane REST API for one hub (<see cref="Hub"/>), without the Azure SDK.
/// </summary>
/// <remarks>
/// <para>Thread-safe; one instance serves the whole process. Every call carries <c>api-version</c> and a bearer token
/// (access-key JWT with <c>aud</c> = the request URL, or a Microsoft Entra ID token).</para>
/// <para>Retries: 408, 429, 5xx (except 501/505), network errors and attempt timeouts are retried with exponential
/// backoff and jitter, honouring <c>Retry-After</c>. Because sends are retried too, a message may be delivered twice when
/// a response is lost; receivers must de-duplicate (our events carry ids). Any other non-success status throws
/// <see cref="WebPubSubServiceException"/> at once.</para>
/// <para>Sends are fire-and-forget on the service side: success (202) means accepted, not delivered, and is returned even
/// when the target user, group or connection does not exist.</para>
/// <para>Bad arguments (invalid group name, TTL out of range, …) throw <see cref="ArgumentException"/> before any call.
/// Cancellation throws <see cref="OperationCanceledException"/>. With Microsoft Entra ID, credential failures surface as
/// the credential's own exception (e.g. <c>Azure.Identity.AuthenticationFailedException</c>).</para>
/// </remarks>
public interface IWebPubSubServiceClient
{
    /// <summary>The hub every call is scoped to.</summary>
    string Hub { get; }

    /// <summary>The service endpoint (http or https).</summary>
    Uri Endpoint { get; }

    /// <summary><c>POST /api/hubs/{hub}/:send</c>.</summary>
    Task SendToAllAsync(WebPubSubMessage message, WebPubSubSendOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary><c>POST /api/hubs/{hub}/groups/{group}/:send</c>.</summary>
    Task SendToGroupAsync(string group, WebPubSubMessage message, WebPubSubSendOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary><c>POST /api/hubs/{hub}/users/{userId}/:send</c>; <see cref="WebPubSubSendOptions.Excluded"/> is not allowed here.</summary>
    Task SendToUserAsync(string userId, WebPubSubMessage message, WebPubSubSendOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary><c>POST /api/hubs/{hub}/connections/{connectionId}/:send</c>.</summary>
    Task SendToConnectionAsync(string connectionId, WebPubSubMessage message, int? messageTtlSeconds = null, CancellationToken cancellationToken = default);

    /// <summary><c>PUT /api/hubs/{hub}/groups/{group}/connections/{connectionId}</c>. Throws (404, <c>Error.Connection.NotExisted</c>) for an unknown connection.</summary>
    Task AddConnectionToGroupAsync(string group, string connectionId, CancellationToken cancellationToken = default);

    /// <summary><c>DELETE /api/hubs/{hub}/groups/{group}/connections/{connectionId}</c>; succeeds when not a member.</summary>
    Task RemoveConnectionFromGroupAsync(string group, string connectionId, CancellationToken cancellationToken = default);

    /// <summary><c>DELETE /api/hubs/{hub}/connections/{connectionId}/groups</c>.</summary>
    Task RemoveConnectionFromAllGroupsAsync(string connectionId, CancellationToken cancellationToken = default);

    /// <summary><c>PUT /api/hubs/{hub}/users/{userId}/groups/{group}</c>.</summary>
    Task AddUserToGroupAsync(string group, string userId, CancellationToken cancellationToken = default);

    /// <summary><c>DELETE /api/hubs/{hub}/users/{userId}/groups/{group}</c>.</summary>
    Task RemoveUserFromGroupAsync(string group, string userId, CancellationToken cancellationToken = default);

    /// <summary><c>DELETE /api/hubs/{hub}/users/{userId}/groups</c>.</summary>
    Task RemoveUserFromAllGroupsAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary><c>POST /api/hubs/{hub}/:addToGroups</c>: adds every connection matching <paramref name="filter"/> (all connections when null) to <paramref name="groups"/>.</summary>
    Task AddConnectionsToGroupsAsync(IEnumerable<string> groups, string? filter, CancellationToken cancellationToken = default);

    /// <summary><c>POST /api/hubs/{hub}/:removeFromGroups</c>.</summary>
    Task RemoveConnectionsFromGroupsAsync(IEnumerable<string> groups, string? filter, CancellationToken cancellationToken = default);

    /// <summary><c>DELETE /api/hubs/{hub}/connections/{connectionId}?reason=…</c>. The service picks the WebSocket close code.</summary>
    Task CloseConnectionAsync(string connectionId, string? reason = null, CancellationToken cancellationToken = default);

    /// <summary><c>POST /api/hubs/{hub}/groups/{group}/:closeConnections</c>.</summary>
    Task CloseGroupConnectionsAsync(string group, IEnumerable<string>? excluded = null, string? reason = null, CancellationToken cancellationToken = default);

    /// <summary><c>POST /api/hubs/{hub}/users/{userId}/:closeConnections</c>.</summary>
    Task CloseUserConnectionsAsync(string userId, IEnumerable<string>? excluded = null, string? reason = null, CancellationToken cancellationToken = default);

    /// <summary><c>POST /api/hubs/{hub}/:closeConnections</c>.</summary>
    Task CloseAllConnectionsAsync(IEnumerable<string>? excluded = null, string? reason = null, CancellationToken cancellationToken = default);

    /// <summary><c>HEAD /api/hubs/{hub}/connections/{connectionId}</c>: 200 → true, 404 → false.</summary>
    Task<bool> ConnectionExistsAsync(string connectionId, CancellationToken cancellationToken = default);

    /// <summary><c>HEAD /api/hubs/{hub}/groups/{group}</c>: true when the group has at least one connection.</summary>
    Task<bool> GroupExistsAsync(string group, CancellationToken cancellationToken = default);

    /// <summary><c>HEAD /api/hubs/{hub}/users/{userId}</c>: true when the user has at least one connection.</summary>
    Task<bool> UserExistsAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary><c>PUT /api/hubs/{hub}/permissions/{permission}/connections/{connectionId}?targetName=group</c>; no target = all groups.</summary>
    Task GrantPermissionAsync(WebPubSubPermissionKind permission, string connectionId, string? targetName = null, CancellationToken cancellationToken = default);

    /// <summary><c>DELETE /api/hubs/{hub}/permissions/{permission}/connections/{connectionId}?targetName=group</c>.</summary>
    Task RevokePermissionAsync(WebPubSubPermissionKind permission, string connectionId, string? targetName = null, CancellationToken cancellationToken = default);

    /// <summary><c>HEAD /api/hubs/{hub}/permissions/{permission}/connections/{connectionId}?targetName=group</c>: 200 → true, 404 → false.</summary>
    Task<bool> CheckPermissionAsync(WebPubSubPermissionKind permission, string connectionId, string? targetName = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// <c>GET /api/hubs/{hub}/groups/{group}/connections</c> (api-version 2024-12-01+), following <c>nextLink</c> until the
    /// last page. Pages are ordered by connection id; membership may change while enumerating. A <c>nextLink</c> that
    /// leaves the service endpoint is refused (the bearer token would be sent elsewhere).
    /// </summary>
    IAsyncEnumerable<WebPubSubGroupMember> ListConnectionsInGroupAsync(string group, int? maxPageSize = null, CancellationToken cancellationToken = default);

    /// <summary><c>HEAD /api/health</c>: true on 200. Not retried; network errors give false.</summary>
    Task<bool> IsServiceHealthyAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// A client access token for this hub (<c>aud</c> = <c>{endpoint}/client/hubs/{hub}</c>). Signed locally with the access
    /// key, or obtained from REST <c>:generateToken</c> with Microsoft Entra ID (lifetime rounded up to whole minutes).
    /// </summary>
    Task<string> GetClientAccessTokenAsync(string? userId, IEnumerable<string>? roles, IEnumerable<string>? groups, TimeSpan lifetime, CancellationToken cancellationToken = default);

    /// <summary>
    /// The negotiate payload: <c>wss://host/client/hubs/{hub}?access_token=…</c> (<c>ws://</c> for an http endpoint) and
    /// the token (see <see cref="GetClientAccessTokenAsync"/>).
    /// </summary>
    Task<NegotiateResponse> GetClientAccessAsync(string userId, IEnumerable<string> roles, IEnumerable<string> groups, TimeSpan lifetime, CancellationToken cancellationToken = default);
}
