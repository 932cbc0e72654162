using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RestaurantOs.Emulator.Connections;
using RestaurantOs.Emulator.Filters;
using RestaurantOs.Emulator.Hosting;
using RestaurantOs.Emulator.Protocol;
using RestaurantOs.WebPubSub.Protocol;

namespace RestaurantOs.Emulator.Rest;

/// <summary>
/// The data-plane REST API under <c>/api</c>. Routing is done here on the raw, still-escaped path so that
/// <c>:send</c>-style colon segments and escaped '/' in names reach us untouched by the router.
/// </summary>
internal sealed class RestApiEndpoint
{
    private static readonly string[] PreviewApiVersions = ["2021-08-01-preview", "2022-10-01-preview"];

    private readonly EmulatorOptions _options;
    private readonly ConnectionManager _connections;
    private readonly MessageBroadcaster _broadcaster;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<RestApiEndpoint> _logger;

    public RestApiEndpoint(IOptions<EmulatorOptions> options, ConnectionManager connections, MessageBroadcaster broadcaster, TimeProvider timeProvider, ILogger<RestApiEndpoint> logger)
    {
        _options = options.Value;
        _connections = connections;
        _broadcaster = broadcaster;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>An expected failure of a REST call: status, error code and message.</summary>
    private sealed class RestException(int status, string code, string message, string? target = null) : Exception(message)
    {
        public int Status { get; } = status;

        public string Code { get; } = code;

        public string? Target { get; } = target;
    }

    public async Task HandleAsync(HttpContext context)
    {
        try
        {
            await DispatchAsync(context).ConfigureAwait(false);
        }
        catch (RestException ex)
        {
            EmulatorLog.RestRejected(_logger, context.Request.Method, context.Request.Path.Value ?? "", ex.Status, ex.Code, ex.Message);
            await RestErrors.WriteAsync(context, ex.Status, ex.Code, ex.Message, ex.Target).ConfigureAwait(false);
        }
    }

    private async Task DispatchAsync(HttpContext context)
    {
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? (context.Request.PathBase + context.Request.Path + context.Request.QueryString).ToString();
        var rawPath = rawTarget.Split('?', 2)[0];
        var segments = rawPath.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        var api = Array.FindIndex(segments, s => s == "api");
        segments = api < 0 ? [] : segments[(api + 1)..];
        var method = context.Request.Method;

        if (segments is ["health"])
        {
            RequireMethod(method, HttpMethods.Head, HttpMethods.Get);
            context.Response.StatusCode = StatusCodes.Status200OK;
            return;
        }

        if (segments.Length < 3 || segments[0] != "hubs")
        {
            throw new RestException(404, "Error.NotFound", $"No operation at '{rawPath}'.");
        }

        CheckApiVersion(context);
        Authenticate(context, rawTarget);

        var hubName = segments[1];
        if (!HubNames.IsValidHub(hubName))
        {
            throw new RestException(400, "Error.BadRequest", $"Invalid hub name '{hubName}'.", "hub");
        }

        var hub = HubNames.Normalize(hubName);
        var rest = segments[2..];
        switch (rest)
        {
            case [":send"]:
                RequireMethod(method, HttpMethods.Post);
                await SendAsync(context, hub, filter => filter?.CandidateGroups is { } groups ? _connections.MembersOfAny(hub, groups) : _connections.HubConnections(hub), group: null, allowExcluded: true, allowFilter: true).ConfigureAwait(false);
                return;
            case [":closeConnections"]:
                RequireMethod(method, HttpMethods.Post);
                CloseConnections(context, _connections.HubConnections(hub));
                return;
            case [":addToGroups"]:
            case [":removeFromGroups"]:
                RequireMethod(method, HttpMethods.Post);
                await ChangeGroupsByFilterAsync(context, hub, add: rest[0] == ":addToGroups").ConfigureAwait(false);
                return;
            case [":generateToken"]:
                RequireMethod(method, HttpMethods.Post);
                await GenerateTokenAsync(context, hubName).ConfigureAwait(false);
                return;
            case ["groups", var group, ":send"]:
                RequireMethod(method, HttpMethods.Post);
                RequireGroup(group);
                await SendAsync(context, hub, _ => _connections.GroupMembers(hub, group), group, allowExcluded: true, allowFilter: true).ConfigureAwait(false);
                return;
            case ["groups", var group, ":closeConnections"]:
                RequireMethod(method, HttpMethods.Post);
                RequireGroup(group);
                CloseConnections(context, _connections.GroupMembers(hub, group));
                return;
            case ["groups", var group]:
                RequireMethod(method, HttpMethods.Head);
                RequireGroup(group);
                context.Response.StatusCode = _connections.GroupExists(hub, group) ? 200 : 404;
                return;
            case ["groups", var group, "connections"]:
                RequireMethod(method, HttpMethods.Get);
                RequireGroup(group);
                await ListGroupMembersAsync(context, hub, group, rawTarget).ConfigureAwait(false);
                return;
            case ["groups", var group, "connections", var connectionId]:
                RequireMethod(method, HttpMethods.Put, HttpMethods.Delete);
                RequireGroup(group);
                if (HttpMethods.IsPut(method))
                {
                    _connections.Join(RequireConnection(hub, connectionId), group);
                    context.Response.StatusCode = 200;
                }
                else
                {
                    if (_connections.TryGet(hub, connectionId, out var member))
                    {
                        _connections.Leave(member, group);
                    }

                    context.Response.StatusCode = 204;
                }

                return;
            case ["users", var userId, ":send"]:
                RequireMethod(method, HttpMethods.Post);
                await SendAsync(context, hub, _ => _connections.UserConnections(hub, userId), group: null, allowExcluded: false, allowFilter: true).ConfigureAwait(false);
                return;
            case ["users", var userId]:
                RequireMethod(method, HttpMethods.Head);
                context.Response.StatusCode = _connections.UserExists(hub, userId) ? 200 : 404;
                return;
            case ["users", var userId, ":closeConnections"]:
                RequireMethod(method, HttpMethods.Post);
                CloseConnections(context, _connections.UserConnections(hub, userId));
                return;
            case ["users", var userId, "groups"]:
                RequireMethod(method, HttpMethods.Delete);
                _connections.RemoveUserFromGroup(hub, userId, null);
                context.Response.StatusCode = 204;
                return;
            case ["users", var userId, "groups", var group]:
                RequireMethod(method, HttpMethods.Put, HttpMethods.Delete);
                RequireGroup(group);
                if (HttpMethods.IsPut(method))
                {
                    _connections.AddUserToGroup(hub, userId, group);
                    context.Response.StatusCode = 200;
                }
                else
                {
                    _connections.RemoveUserFromGroup(hub, userId, group);
                    context.Response.StatusCode = 204;
                }

                return;
            case ["connections", var connectionId, ":send"]:
                RequireMethod(method, HttpMethods.Post);
                ClientConnection[] target = _connections.TryGet(hub, connectionId, out var single) ? [single] : [];
                await SendAsync(context, hub, _ => target, group: null, allowExcluded: false, allowFilter: false).ConfigureAwait(false);
                return;
            case ["connections", var connectionId]:
                RequireMethod(method, HttpMethods.Head, HttpMethods.Delete);
                if (HttpMethods.IsHead(method))
                {
                    context.Response.StatusCode = _connections.TryGet(hub, connectionId, out _) ? 200 : 404;
                }
                else
                {
                    if (_connections.TryGet(hub, connectionId, out var toClose))
                    {
                        _broadcaster.CloseFromServer(toClose, context.Request.Query["reason"]);
                    }

                    context.Response.StatusCode = 204;
                }

                return;
            case ["connections", var connectionId, "groups"]:
                RequireMethod(method, HttpMethods.Delete);
                if (_connections.TryGet(hub, connectionId, out var leaving))
                {
                    _connections.LeaveAll(leaving);
                }

                context.Response.StatusCode = 204;
                return;
            case ["permissions", var permissionName, "connections", var connectionId]:
                RequireMethod(method, HttpMethods.Put, HttpMethods.Delete, HttpMethods.Head);
                HandlePermission(context, hub, permissionName, connectionId);
                return;
            default:
                throw new RestException(404, "Error.NotFound", $"No operation at '{rawPath}'.");
        }
    }

    private static void RequireMethod(string method, params string[] allowed)
    {
        if (!allowed.Any(a => string.Equals(a, method, StringComparison.OrdinalIgnoreCase)))
        {
            throw new RestException(405, "Error.MethodNotAllowed", $"{method} is not allowed here; use {string.Join(" or ", allowed)}.");
        }
    }

    private static void RequireGroup(string group)
    {
        if (!HubNames.IsValidGroup(group))
        {
            throw new RestException(400, "Error.BadRequest", "Invalid group name: 1-1024 characters, not all whitespace.", "group");
        }
    }

    private ClientConnection RequireConnection(string hub, string connectionId) =>
        _connections.TryGet(hub, connectionId, out var connection)
            ? connection
            : throw new RestException(404, "Error.Connection.NotExisted", $"Connection '{connectionId}' does not exist.", "Connection");

    private static void CheckApiVersion(HttpContext context)
    {
        var values = context.Request.Query[WebPubSubConstants.ApiVersion.QueryParameter];
        if (values.Count == 0)
        {
            return; // Missing means the latest, as in Microsoft's emulator (the service itself requires it).
        }

        var version = values.ToString();
        if (!WebPubSubConstants.ApiVersion.GenerallyAvailable.Contains(version, StringComparer.Ordinal) && !PreviewApiVersions.Contains(version, StringComparer.Ordinal))
        {
            throw new RestException(400, "Error.BadRequest", $"Unsupported api-version '{version}'; supported: {string.Join(", ", WebPubSubConstants.ApiVersion.GenerallyAvailable)}.", "api-version");
        }
    }

    private void Authenticate(HttpContext context, string rawTarget)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            throw new RestException(401, "Error.Unauthorized", "Missing 'Authorization: Bearer <access-key JWT>'.");
        }

        // aud is the request URL as the caller saw it: with the query (what SDKs send) or without it.
        var host = context.Request.Host.Value;
        var audiences = new List<string>();
        foreach (var scheme in (string[])["http", "https"])
        {
            var url = scheme + "://" + host + rawTarget;
            audiences.Add(url);
            audiences.Add(url.Split('?', 2)[0]);
        }

        if (!AccessKeyToken.TryValidate(authorization["Bearer ".Length..].Trim(), [_options.AccessKey], audiences, _timeProvider.GetUtcNow(), out _, out var error))
        {
            throw new RestException(401, "Error.Unauthorized", error);
        }
    }

    /// <param name="targets">
    /// The connections the send is for, given its filter: a hub-wide send with a filter that only group members can match
    /// looks at those members, not at every connection of the hub (Web PubSub evaluates the filter per connection; here
    /// that would be every connection for every event).
    /// </param>
    private async Task SendAsync(HttpContext context, string hub, Func<ConnectionFilter?, ClientConnection[]> targets, string? group, bool allowExcluded, bool allowFilter)
    {
        var query = context.Request.Query;
        if (query.TryGetValue("messageTtlSeconds", out var ttlValue)
            && (!int.TryParse(ttlValue, NumberStyles.None, CultureInfo.InvariantCulture, out var ttl) || ttl > 300))
        {
            throw new RestException(400, "Error.BadRequest", "messageTtlSeconds must be an integer from 0 to 300.", "messageTtlSeconds");
        }

        var filter = allowFilter ? ParseFilter(query["filter"]) : null;
        var excluded = allowExcluded ? query["excluded"].Where(e => !string.IsNullOrEmpty(e)).ToHashSet(StringComparer.Ordinal) : [];

        var body = await ReadBodyAsync(context).ConfigureAwait(false);
        var error = DataTypes.TryReadBody(context.Request.ContentType, body, out var dataType, out var data);
        switch (error)
        {
            case DataTypes.BodyError.None:
                break;
            case DataTypes.BodyError.UnsupportedMediaType:
                throw new RestException(415, "Error.UnsupportedMediaType", $"Content-Type '{context.Request.ContentType}' is not supported; use text/plain, application/json or application/octet-stream.");
            case DataTypes.BodyError.InvalidJson:
                throw new RestException(400, "Error.BadRequest", "The body is not valid JSON.");
            case DataTypes.BodyError.InvalidCharset:
                throw new RestException(400, "Error.BadRequest", "The Content-Type charset is not supported.");
            default:
                throw new InvalidOperationException($"Unknown body error {error}.");
        }

        var message = new ServerMessage(dataType, data, group);
        _broadcaster.Broadcast(hub, targets(filter), message, connection =>
            !excluded.Contains(connection.ConnectionId)
            && (filter is null || filter.Matches(Subject(connection))));
        context.Response.StatusCode = StatusCodes.Status202Accepted;
    }

    private FilterSubject Subject(ClientConnection connection) =>
        new(connection.ConnectionId, connection.UserId, _connections.GroupsOf(connection), connection.Subprotocol);

    private static ConnectionFilter? ParseFilter(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return ConnectionFilter.TryParse(text, out var filter, out var error)
            ? filter
            : throw new RestException(400, "Error.BadRequest", "Invalid filter: " + error, "filter");
    }

    private async Task<byte[]> ReadBodyAsync(HttpContext context)
    {
        var limit = _options.MaxClientMessageBytes;
        if (context.Request.ContentLength > limit)
        {
            throw new RestException(400, "Error.BadRequest", $"The message exceeds {limit} bytes.");
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw new RestException(400, "Error.BadRequest", $"The message exceeds {limit} bytes.");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private void CloseConnections(HttpContext context, ClientConnection[] targets)
    {
        var excluded = context.Request.Query["excluded"].ToHashSet(StringComparer.Ordinal);
        string? reason = context.Request.Query["reason"];
        foreach (var connection in targets)
        {
            if (!excluded.Contains(connection.ConnectionId))
            {
                _broadcaster.CloseFromServer(connection, reason);
            }
        }

        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private async Task ChangeGroupsByFilterAsync(HttpContext context, string hub, bool add)
    {
        GroupsFilterRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync(context.Request.Body, EmulatorJsonContext.Default.GroupsFilterRequest, context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            throw new RestException(400, "Error.BadRequest", "The body is not valid JSON: " + ex.Message);
        }

        if (request?.Groups is not { Count: > 0 } groups)
        {
            throw new RestException(400, "Error.BadRequest", "'groups' is required and must not be empty.", "groups");
        }

        foreach (var group in groups)
        {
            RequireGroup(group);
        }

        var filter = ParseFilter(request.Filter);
        foreach (var connection in _connections.HubConnections(hub))
        {
            if (filter is not null && !filter.Matches(Subject(connection)))
            {
                continue;
            }

            foreach (var group in groups)
            {
                if (add)
                {
                    _connections.Join(connection, group);
                }
                else
                {
                    _connections.Leave(connection, group);
                }
            }
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    private async Task GenerateTokenAsync(HttpContext context, string hub)
    {
        var query = context.Request.Query;
        var minutes = 60;
        if (query.TryGetValue("minutesToExpire", out var minutesValue)
            && (!int.TryParse(minutesValue, NumberStyles.None, CultureInfo.InvariantCulture, out minutes) || minutes < 1))
        {
            throw new RestException(400, "Error.BadRequest", "minutesToExpire must be a positive integer.", "minutesToExpire");
        }

        var clientType = query["clientType"].ToString();
        var path = clientType switch
        {
            "" or "Default" => "/client/hubs/",
            "MQTT" => "/clients/mqtt/hubs/",
            _ => throw new RestException(400, "Error.BadRequest", "clientType must be Default or MQTT.", "clientType"),
        };

        var audience = context.Request.Scheme + "://" + context.Request.Host.Value + path + Uri.EscapeDataString(hub);
        var token = AccessKeyToken.Create(
            _options.AccessKey,
            audience,
            TimeSpan.FromMinutes(minutes),
            _timeProvider.GetUtcNow(),
            userId: query.TryGetValue("userId", out var userId) ? userId.ToString() : null,
            roles: query["role"].Where(r => !string.IsNullOrEmpty(r))!,
            groups: query["group"].Where(g => !string.IsNullOrEmpty(g))!);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(context.Response.Body, new GenerateTokenResponse(token), EmulatorJsonContext.Default.GenerateTokenResponse, context.RequestAborted).ConfigureAwait(false);
    }

    private async Task ListGroupMembersAsync(HttpContext context, string hub, string group, string rawTarget)
    {
        var query = context.Request.Query;
        var pageSize = ParseBounded(query["maxpagesize"], "maxpagesize", 1, 200, 200);
        var top = ParseBounded(query["top"], "top", 1, int.MaxValue, int.MaxValue);
        var after = query["continuationToken"].ToString();

        var members = _connections.GroupMembers(hub, group)
            .OrderBy(c => c.ConnectionId, StringComparer.Ordinal)
            .Where(c => after.Length == 0 || string.CompareOrdinal(c.ConnectionId, after) > 0)
            .Take(top)
            .ToArray();
        var page = members.Take(pageSize).Select(c => new GroupMember(c.ConnectionId, c.UserId)).ToArray();

        string? nextLink = null;
        if (members.Length > pageSize)
        {
            var remainingTop = top == int.MaxValue ? (int?)null : top - pageSize;
            var basePath = rawTarget.Split('?', 2)[0];
            var apiVersion = query[WebPubSubConstants.ApiVersion.QueryParameter].ToString();
            nextLink = context.Request.Scheme + "://" + context.Request.Host.Value + basePath
                + "?api-version=" + Uri.EscapeDataString(apiVersion.Length > 0 ? apiVersion : WebPubSubConstants.ApiVersion.Default)
                + "&maxpagesize=" + pageSize.ToString(CultureInfo.InvariantCulture)
                + (remainingTop is { } r ? "&top=" + r.ToString(CultureInfo.InvariantCulture) : "")
                + "&continuationToken=" + Uri.EscapeDataString(page[^1].ConnectionId);
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(context.Response.Body, new GroupMembersPage(page, nextLink), EmulatorJsonContext.Default.GroupMembersPage, context.RequestAborted).ConfigureAwait(false);
    }

    private static int ParseBounded(string? value, string name, int min, int max, int fallback)
    {
        if (string.IsNullOrEmpty(value))
        {
            return fallback;
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed >= min && parsed <= max
            ? parsed
            : throw new RestException(400, "Error.BadRequest", $"{name} must be an integer from {min} to {max}.", name);
    }

    private void HandlePermission(HttpContext context, string hub, string permissionName, string connectionId)
    {
        var permission = Permissions.Normalize(permissionName)
            ?? throw new RestException(400, "Error.BadRequest", $"Unknown permission '{permissionName}'; use sendToGroup or joinLeaveGroup.", "permission");
        string? targetName = context.Request.Query["targetName"];
        if (string.IsNullOrEmpty(targetName))
        {
            targetName = null;
        }
        else
        {
            RequireGroup(targetName);
        }

        var method = context.Request.Method;
        if (HttpMethods.IsPut(method))
        {
            RequireConnection(hub, connectionId).Grant(permission, targetName);
            context.Response.StatusCode = 200;
        }
        else if (HttpMethods.IsDelete(method))
        {
            if (_connections.TryGet(hub, connectionId, out var connection))
            {
                connection.Revoke(permission, targetName);
            }

            context.Response.StatusCode = 204;
        }
        else
        {
            context.Response.StatusCode = _connections.TryGet(hub, connectionId, out var connection) && connection.HasPermission(permission, targetName) ? 200 : 404;
        }
    }
}
