using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RestaurantOs.WebPubSub.Protocol;

namespace RestaurantOs.WebPubSub.Client;

/// <summary>The REST data-plane client over a named <see cref="HttpClient"/>; see <see cref="IWebPubSubServiceClient"/>.</summary>
internal sealed class WebPubSubServiceClient : IWebPubSubServiceClient, IDisposable
{
    /// <summary>Name of the <see cref="IHttpClientFactory"/> client used for REST calls.</summary>
    public const string HttpClientName = WebPubSubOptions.HttpClientName;

    private const int MaxErrorBodyBytes = 64 * 1024;
    private const int MaxGroupNameLength = 1024;

    private readonly IHttpClientFactory _httpClientFactory;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly WebPubSubMetrics _metrics;
    private readonly IWebPubSubRequestAuthenticator _authenticator;
    private readonly WebPubSubOptions _options;
    private readonly string _hubBase;

    public WebPubSubServiceClient(
        IHttpClientFactory httpClientFactory,
        IOptions<WebPubSubOptions> options,
        TimeProvider timeProvider,
        WebPubSubMetrics metrics,
        ILogger<WebPubSubServiceClient>? logger = null,
        TokenCredential? credential = null)
    {
        ArgumentNullException.ThrowIfNull(httpClientFactory);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(metrics);

        _options = options.Value;
        var validation = new WebPubSubOptionsValidator().Validate(null, _options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(WebPubSubOptions.SectionName, typeof(WebPubSubOptions), validation.Failures);
        }

        _httpClientFactory = httpClientFactory;
        _timeProvider = timeProvider;
        _metrics = metrics;
        _logger = logger ?? (ILogger)NullLogger.Instance;

        string? accessKey = null;
        if (!string.IsNullOrWhiteSpace(_options.ConnectionString))
        {
            var parsed = WebPubSubConnectionString.Parse(_options.ConnectionString);
            Endpoint = parsed.Endpoint;
            accessKey = parsed.AccessKey;
        }
        else
        {
            Endpoint = _options.Endpoint!;
        }

        Hub = _options.Hub;
        _hubBase = Endpoint.AbsoluteUri.TrimEnd('/') + "/api/hubs/" + Uri.EscapeDataString(Hub);
        if (accessKey is not null)
        {
            _authenticator = new AccessKeyRequestAuthenticator(accessKey, timeProvider, _options.RestTokenLifetime);
        }
        else
        {
            credential ??= string.IsNullOrWhiteSpace(_options.ManagedIdentityClientId)
                ? new DefaultAzureCredential()
                : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(_options.ManagedIdentityClientId));
            _authenticator = new TokenCredentialRequestAuthenticator(credential, timeProvider);
        }

        var authMode = accessKey is null ? "Microsoft Entra ID" : "access key";
        WebPubSubLog.ClientCreated(_logger, Hub, Endpoint.Authority, authMode);
    }

    public string Hub { get; }

    public Uri Endpoint { get; }

    public Task SendToAllAsync(WebPubSubMessage message, WebPubSubSendOptions? options = null, CancellationToken cancellationToken = default)
    {
        var query = SendQuery(options, allowExcluded: true, allowFilter: true);
        return SendMessageAsync("SendToAll", "/:send", query, message, cancellationToken);
    }

    public Task SendToGroupAsync(string group, WebPubSubMessage message, WebPubSubSendOptions? options = null, CancellationToken cancellationToken = default)
    {
        ValidateGroup(group);
        var query = SendQuery(options, allowExcluded: true, allowFilter: true);
        return SendMessageAsync("SendToGroup", $"/groups/{Escape(group)}/:send", query, message, cancellationToken);
    }

    public Task SendToUserAsync(string userId, WebPubSubMessage message, WebPubSubSendOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        var query = SendQuery(options, allowExcluded: false, allowFilter: true);
        return SendMessageAsync("SendToUser", $"/users/{Escape(userId)}/:send", query, message, cancellationToken);
    }

    public Task SendToConnectionAsync(string connectionId, WebPubSubMessage message, int? messageTtlSeconds = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionId);
        var query = SendQuery(new WebPubSubSendOptions { MessageTtlSeconds = messageTtlSeconds }, allowExcluded: false, allowFilter: false);
        return SendMessageAsync("SendToConnection", $"/connections/{Escape(connectionId)}/:send", query, message, cancellationToken);
    }

    public Task AddConnectionToGroupAsync(string group, string connectionId, CancellationToken cancellationToken = default)
    {
        ValidateGroup(group);
        ArgumentException.ThrowIfNullOrEmpty(connectionId);
        return ExecuteAsync("AddConnectionToGroup", HttpMethod.Put, $"/groups/{Escape(group)}/connections/{Escape(connectionId)}", [], null, cancellationToken);
    }

    public Task RemoveConnectionFromGroupAsync(string group, string connectionId, CancellationToken cancellationToken = default)
    {
        ValidateGroup(group);
        ArgumentException.ThrowIfNullOrEmpty(connectionId);
        return ExecuteAsync("RemoveConnectionFromGroup", HttpMethod.Delete, $"/groups/{Escape(group)}/connections/{Escape(connectionId)}", [], null, cancellationToken);
    }

    public Task RemoveConnectionFromAllGroupsAsync(string connectionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionId);
        return ExecuteAsync("RemoveConnectionFromAllGroups", HttpMethod.Delete, $"/connections/{Escape(connectionId)}/groups", [], null, cancellationToken);
    }

    public Task AddUserToGroupAsync(string group, string userId, CancellationToken cancellationToken = default)
    {
        ValidateGroup(group);
        ArgumentException.ThrowIfNullOrEmpty(userId);
        return ExecuteAsync("AddUserToGroup", HttpMethod.Put, $"/users/{Escape(userId)}/groups/{Escape(group)}", [], null, cancellationToken);
    }

    public Task RemoveUserFromGroupAsync(string group, string userId, CancellationToken cancellationToken = default)
    {
        ValidateGroup(group);
        ArgumentException.ThrowIfNullOrEmpty(userId);
        return ExecuteAsync("RemoveUserFromGroup", HttpMethod.Delete, $"/users/{Escape(userId)}/groups/{Escape(group)}", [], null, cancellationToken);
    }

    public Task RemoveUserFromAllGroupsAsync(string userId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        return ExecuteAsync("RemoveUserFromAllGroups", HttpMethod.Delete, $"/users/{Escape(userId)}/groups", [], null, cancellationToken);
    }

    public Task AddConnectionsToGroupsAsync(IEnumerable<string> groups, string? filter, CancellationToken cancellationToken = default) =>
        GroupsFilterAsync("AddConnectionsToGroups", "/:addToGroups", groups, filter, cancellationToken);

    public Task RemoveConnectionsFromGroupsAsync(IEnumerable<string> groups, string? filter, CancellationToken cancellationToken = default) =>
        GroupsFilterAsync("RemoveConnectionsFromGroups", "/:removeFromGroups", groups, filter, cancellationToken);

    public Task CloseConnectionAsync(string connectionId, string? reason = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionId);
        var query = new List<KeyValuePair<string, string>>();
        AddIfNotEmpty(query, "reason", reason);
        return ExecuteAsync("CloseConnection", HttpMethod.Delete, $"/connections/{Escape(connectionId)}", query, null, cancellationToken);
    }

    public Task CloseGroupConnectionsAsync(string group, IEnumerable<string>? excluded = null, string? reason = null, CancellationToken cancellationToken = default)
    {
        ValidateGroup(group);
        return ExecuteAsync("CloseGroupConnections", HttpMethod.Post, $"/groups/{Escape(group)}/:closeConnections", CloseQuery(excluded, reason), null, cancellationToken);
    }

    public Task CloseUserConnectionsAsync(string userId, IEnumerable<string>? excluded = null, string? reason = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        return ExecuteAsync("CloseUserConnections", HttpMethod.Post, $"/users/{Escape(userId)}/:closeConnections", CloseQuery(excluded, reason), null, cancellationToken);
    }

    public Task CloseAllConnectionsAsync(IEnumerable<string>? excluded = null, string? reason = null, CancellationToken cancellationToken = default) =>
        ExecuteAsync("CloseAllConnections", HttpMethod.Post, "/:closeConnections", CloseQuery(excluded, reason), null, cancellationToken);

    public Task<bool> ConnectionExistsAsync(string connectionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionId);
        return ExistsAsync("ConnectionExists", $"/connections/{Escape(connectionId)}", [], cancellationToken);
    }

    public Task<bool> GroupExistsAsync(string group, CancellationToken cancellationToken = default)
    {
        ValidateGroup(group);
        return ExistsAsync("GroupExists", $"/groups/{Escape(group)}", [], cancellationToken);
    }

    public Task<bool> UserExistsAsync(string userId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        return ExistsAsync("UserExists", $"/users/{Escape(userId)}", [], cancellationToken);
    }

    public Task GrantPermissionAsync(WebPubSubPermissionKind permission, string connectionId, string? targetName = null, CancellationToken cancellationToken = default)
    {
        var (path, query) = PermissionRequest(permission, connectionId, targetName);
        return ExecuteAsync("GrantPermission", HttpMethod.Put, path, query, null, cancellationToken);
    }

    public Task RevokePermissionAsync(WebPubSubPermissionKind permission, string connectionId, string? targetName = null, CancellationToken cancellationToken = default)
    {
        var (path, query) = PermissionRequest(permission, connectionId, targetName);
        return ExecuteAsync("RevokePermission", HttpMethod.Delete, path, query, null, cancellationToken);
    }

    public Task<bool> CheckPermissionAsync(WebPubSubPermissionKind permission, string connectionId, string? targetName = null, CancellationToken cancellationToken = default)
    {
        var (path, query) = PermissionRequest(permission, connectionId, targetName);
        return ExistsAsync("CheckPermission", path, query, cancellationToken);
    }

    public async IAsyncEnumerable<WebPubSubGroupMember> ListConnectionsInGroupAsync(string group, int? maxPageSize = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ValidateGroup(group);
        var query = new List<KeyValuePair<string, string>>();
        if (maxPageSize is { } pageSize)
        {
            if (pageSize is < 1 or > 200)
            {
                throw new ArgumentOutOfRangeException(nameof(maxPageSize), pageSize, "The page size must be between 1 and 200.");
            }

            query.Add(new("maxpagesize", pageSize.ToString(CultureInfo.InvariantCulture)));
        }

        Uri? next = BuildUri(_hubBase + $"/groups/{Escape(group)}/connections", query);
        while (next is not null)
        {
            var (_, body) = await SendWithRetriesAsync("ListConnectionsInGroup", HttpMethod.Get, next, null, notFoundIsResult: false, cancellationToken).ConfigureAwait(false);
            GroupMembersPage? page;
            try
            {
                page = JsonSerializer.Deserialize(body, WebPubSubJsonContext.Default.GroupMembersPage);
            }
            catch (JsonException ex)
            {
                throw new WebPubSubServiceException("ListConnectionsInGroup", HttpStatusCode.OK, null, "The group member page is not valid JSON.", ex);
            }

            foreach (var member in page?.Value ?? [])
            {
                if (!string.IsNullOrEmpty(member.ConnectionId))
                {
                    yield return member;
                }
            }

            next = ResolveNextLink(page?.NextLink);
        }
    }

    public async Task<bool> IsServiceHealthyAsync(CancellationToken cancellationToken = default)
    {
        var uri = BuildUri(Endpoint.AbsoluteUri.TrimEnd('/') + "/api/health", []);
        try
        {
            using var timeout = new CancellationTokenSource(_options.AttemptTimeout, _timeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            using var request = new HttpRequestMessage(HttpMethod.Head, uri);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await _authenticator.GetBearerTokenAsync(uri, linked.Token).ConfigureAwait(false));
            using var response = await CreateHttpClient().SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            _metrics.RestAttempt("Health", ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            _metrics.RestAttempt("Health", "error");
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            _metrics.RestAttempt("Health", "timeout");
            return false;
        }
    }

    public async Task<string> GetClientAccessTokenAsync(string? userId, IEnumerable<string>? roles, IEnumerable<string>? groups, TimeSpan lifetime, CancellationToken cancellationToken = default)
    {
        if (lifetime <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), lifetime, "The client token lifetime must be positive.");
        }

        var roleList = roles?.ToArray() ?? [];
        var groupList = groups?.ToArray() ?? [];
        foreach (var group in groupList)
        {
            ValidateGroup(group, nameof(groups));
        }

        if (_authenticator.AccessKey is { } accessKey)
        {
            return AccessKeyToken.Create(accessKey, AccessKeyToken.GetClientAudience(Endpoint, Hub), lifetime, _timeProvider.GetUtcNow(), userId, roleList, groupList);
        }

        var query = new List<KeyValuePair<string, string>>();
        AddIfNotEmpty(query, "userId", userId);
        query.AddRange(roleList.Select(role => new KeyValuePair<string, string>("role", role)));
        query.Add(new("minutesToExpire", ((int)Math.Ceiling(lifetime.TotalMinutes)).ToString(CultureInfo.InvariantCulture)));
        query.AddRange(groupList.Select(group => new KeyValuePair<string, string>("group", group)));
        var body = await ExecuteAsync("GenerateClientToken", HttpMethod.Post, "/:generateToken", query, null, cancellationToken).ConfigureAwait(false);
        ClientTokenResponse? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize(body, WebPubSubJsonContext.Default.ClientTokenResponse);
        }
        catch (JsonException ex)
        {
            throw new WebPubSubServiceException("GenerateClientToken", HttpStatusCode.OK, null, "The :generateToken response is not JSON.", ex);
        }

        return string.IsNullOrEmpty(parsed?.Token)
            ? throw new WebPubSubServiceException("GenerateClientToken", HttpStatusCode.OK, null, "The :generateToken response has no token.")
            : parsed.Token;
    }

    public async Task<NegotiateResponse> GetClientAccessAsync(string userId, IEnumerable<string> roles, IEnumerable<string> groups, TimeSpan lifetime, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        ArgumentNullException.ThrowIfNull(roles);
        ArgumentNullException.ThrowIfNull(groups);
        var token = await GetClientAccessTokenAsync(userId, roles, groups, lifetime, cancellationToken).ConfigureAwait(false);
        var baseUrl = GetClientBaseUrl(Endpoint, Hub);
        return new NegotiateResponse(baseUrl, baseUrl + "?" + WebPubSubConstants.Client.AccessTokenQueryParameter + "=" + Uri.EscapeDataString(token), token);
    }

    public void Dispose() => (_authenticator as IDisposable)?.Dispose();

    /// <summary><c>wss://host[:port][/path]/client/hubs/{hub}</c> (<c>ws://</c> for an http endpoint).</summary>
    internal static string GetClientBaseUrl(Uri endpoint, string hub)
    {
        var builder = new UriBuilder(endpoint)
        {
            Scheme = endpoint.Scheme == Uri.UriSchemeHttp ? "ws" : "wss",
            Query = string.Empty,
            Fragment = string.Empty,
        };
        if (endpoint.IsDefaultPort)
        {
            builder.Port = -1;
        }

        return builder.Uri.AbsoluteUri.TrimEnd('/') + "/client/hubs/" + Uri.EscapeDataString(hub);
    }

    private static string Escape(string segment) => Uri.EscapeDataString(segment);

    private Uri? ResolveNextLink(string? nextLink)
    {
        if (string.IsNullOrEmpty(nextLink))
        {
            return null;
        }

        if (!Uri.TryCreate(Endpoint, nextLink, out var next)
            || !string.Equals(next.Scheme, Endpoint.Scheme, StringComparison.OrdinalIgnoreCase)
            || !string.Equals(next.Authority, Endpoint.Authority, StringComparison.OrdinalIgnoreCase))
        {
            // The bearer token is signed for whatever URL is requested: never follow a link off the service.
            throw new WebPubSubServiceException("ListConnectionsInGroup", HttpStatusCode.OK, null, "The service returned a nextLink outside its endpoint.");
        }

        return next.Query.Contains(WebPubSubConstants.ApiVersion.QueryParameter + "=", StringComparison.Ordinal)
            ? next
            : new Uri(next.AbsoluteUri + (string.IsNullOrEmpty(next.Query) ? "?" : "&") + WebPubSubConstants.ApiVersion.QueryParameter + "=" + Uri.EscapeDataString(_options.ApiVersion));
    }

    private static void ValidateGroup(string group, string? paramName = null)
    {
        paramName ??= nameof(group);
        ArgumentNullException.ThrowIfNull(group, paramName);
        if (group.Length is 0 or > MaxGroupNameLength || string.IsNullOrWhiteSpace(group))
        {
            throw new ArgumentException($"A group name must be 1–{MaxGroupNameLength} characters and not all whitespace.", paramName);
        }
    }

    private static void AddIfNotEmpty(List<KeyValuePair<string, string>> query, string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            query.Add(new(key, value));
        }
    }

    private static List<KeyValuePair<string, string>> SendQuery(WebPubSubSendOptions? options, bool allowExcluded, bool allowFilter)
    {
        var query = new List<KeyValuePair<string, string>>();
        if (options is null)
        {
            return query;
        }

        if (options.Excluded is { Count: > 0 } excluded)
        {
            if (!allowExcluded)
            {
                throw new ArgumentException("'Excluded' is only supported when sending to all or to a group.", nameof(options));
            }

            AddExcluded(query, excluded);
        }

        if (options.Filter is not null)
        {
            if (!allowFilter)
            {
                throw new ArgumentException("'Filter' is not supported when sending to a connection.", nameof(options));
            }

            if (string.IsNullOrWhiteSpace(options.Filter))
            {
                throw new ArgumentException("'Filter' must not be empty; leave it null to send without a filter.", nameof(options));
            }

            query.Add(new("filter", options.Filter));
        }

        if (options.MessageTtlSeconds is { } ttl)
        {
            if (ttl is < 0 or > 300)
            {
                throw new ArgumentOutOfRangeException(nameof(options), ttl, "'MessageTtlSeconds' must be between 0 and 300 (0 = never expire).");
            }

            query.Add(new("messageTtlSeconds", ttl.ToString(CultureInfo.InvariantCulture)));
        }

        return query;
    }

    private static void AddExcluded(List<KeyValuePair<string, string>> query, IEnumerable<string> excluded)
    {
        foreach (var connectionId in excluded)
        {
            if (string.IsNullOrEmpty(connectionId))
            {
                throw new ArgumentException("Excluded connection ids must not be empty.", nameof(excluded));
            }

            query.Add(new("excluded", connectionId));
        }
    }

    private static List<KeyValuePair<string, string>> CloseQuery(IEnumerable<string>? excluded, string? reason)
    {
        var query = new List<KeyValuePair<string, string>>();
        if (excluded is not null)
        {
            AddExcluded(query, excluded);
        }

        AddIfNotEmpty(query, "reason", reason);
        return query;
    }

    private static (string Path, List<KeyValuePair<string, string>> Query) PermissionRequest(WebPubSubPermissionKind permission, string connectionId, string? targetName)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionId);
        var name = permission switch
        {
            WebPubSubPermissionKind.SendToGroup => "sendToGroup",
            WebPubSubPermissionKind.JoinLeaveGroup => "joinLeaveGroup",
            _ => throw new ArgumentOutOfRangeException(nameof(permission), permission, "Unknown permission."),
        };
        var query = new List<KeyValuePair<string, string>>();
        if (targetName is not null)
        {
            ValidateGroup(targetName, nameof(targetName));
            query.Add(new("targetName", targetName));
        }

        return ($"/permissions/{name}/connections/{Escape(connectionId)}", query);
    }

    private Task<byte[]> GroupsFilterAsync(string operation, string path, IEnumerable<string> groups, string? filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var list = groups.ToArray();
        if (list.Length == 0)
        {
            throw new ArgumentException("At least one group is required.", nameof(groups));
        }

        foreach (var group in list)
        {
            ValidateGroup(group, nameof(groups));
        }

        if (filter is not null && string.IsNullOrWhiteSpace(filter))
        {
            throw new ArgumentException("The filter must not be empty; pass null to select every connection.", nameof(filter));
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(new GroupsFilterBody(list, filter), WebPubSubJsonContext.Default.GroupsFilterBody);
        return ExecuteAsync(operation, HttpMethod.Post, path, [], WebPubSubMessage.Json(body), cancellationToken);
    }

    private Task<byte[]> SendMessageAsync(string operation, string path, List<KeyValuePair<string, string>> query, WebPubSubMessage message, CancellationToken cancellationToken)
    {
        // Validates the enum before any I/O.
        _ = WebPubSubDataTypes.ToContentType(message.DataType);
        return ExecuteAsync(operation, HttpMethod.Post, path, query, message, cancellationToken);
    }

    private async Task<bool> ExistsAsync(string operation, string path, List<KeyValuePair<string, string>> query, CancellationToken cancellationToken)
    {
        var status = await SendWithRetriesAsync(operation, HttpMethod.Head, BuildUri(_hubBase + path, query), null, notFoundIsResult: true, cancellationToken).ConfigureAwait(false);
        return status.StatusCode != HttpStatusCode.NotFound;
    }

    private async Task<byte[]> ExecuteAsync(string operation, HttpMethod method, string path, List<KeyValuePair<string, string>> query, WebPubSubMessage? content, CancellationToken cancellationToken)
    {
        var result = await SendWithRetriesAsync(operation, method, BuildUri(_hubBase + path, query), content, notFoundIsResult: false, cancellationToken).ConfigureAwait(false);
        return result.Body;
    }

    private Uri BuildUri(string absolutePath, List<KeyValuePair<string, string>> query)
    {
        var builder = new StringBuilder(absolutePath);
        builder.Append('?').Append(WebPubSubConstants.ApiVersion.QueryParameter).Append('=').Append(Uri.EscapeDataString(_options.ApiVersion));
        foreach (var (key, value) in query)
        {
            builder.Append('&').Append(key).Append('=').Append(Uri.EscapeDataString(value));
        }

        return new Uri(builder.ToString(), UriKind.Absolute);
    }

    private HttpClient CreateHttpClient() => _httpClientFactory.CreateClient(HttpClientName);

    private async Task<(HttpStatusCode StatusCode, byte[] Body)> SendWithRetriesAsync(
        string operation,
        HttpMethod method,
        Uri uri,
        WebPubSubMessage? content,
        bool notFoundIsResult,
        CancellationToken cancellationToken)
    {
        var httpClient = CreateHttpClient();
        var started = _timeProvider.GetTimestamp();
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var canRetry = attempt <= _options.MaxRetries;
                string retryReason;
                TimeSpan? retryAfter = null;
                HttpStatusCode? retryStatus = null;

                using var attemptTimeout = new CancellationTokenSource(_options.AttemptTimeout, _timeProvider);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, attemptTimeout.Token);
                try
                {
                    using var request = new HttpRequestMessage(method, uri);
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await _authenticator.GetBearerTokenAsync(uri, linked.Token).ConfigureAwait(false));
                    if (content is { } message)
                    {
                        var body = new ReadOnlyMemoryContent(message.Data);
                        body.Headers.ContentType = new MediaTypeHeaderValue(message.ContentType);
                        request.Content = body;
                    }

                    using var response = await httpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
                    var status = response.StatusCode;
                    _metrics.RestAttempt(operation, ((int)status).ToString(CultureInfo.InvariantCulture));

                    if (response.IsSuccessStatusCode || (notFoundIsResult && status == HttpStatusCode.NotFound))
                    {
                        var bytes = await ReadBodyAsync(response, linked.Token).ConfigureAwait(false);
                        WebPubSubLog.RestCompleted(_logger, operation, (int)status, attempt);
                        return (status, bytes);
                    }

                    if (!IsRetryable(status) || !canRetry)
                    {
                        throw await CreateErrorAsync(operation, response, linked.Token).ConfigureAwait(false);
                    }

                    retryReason = ((int)status).ToString(CultureInfo.InvariantCulture);
                    retryStatus = status;
                    retryAfter = GetRetryAfter(response);
                }
                catch (HttpRequestException ex) when (!cancellationToken.IsCancellationRequested)
                {
                    _metrics.RestAttempt(operation, "error");
                    if (!canRetry)
                    {
                        WebPubSubLog.RestTransportFailed(_logger, ex, operation, attempt);
                        throw new WebPubSubServiceException(operation, null, null, ex.Message, ex);
                    }

                    retryReason = "network";
                }
                catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested && attemptTimeout.IsCancellationRequested)
                {
                    _metrics.RestAttempt(operation, "timeout");
                    if (!canRetry)
                    {
                        WebPubSubLog.RestTransportFailed(_logger, ex, operation, attempt);
                        throw new WebPubSubServiceException(operation, null, null, $"The attempt timed out after {_options.AttemptTimeout}.", new TimeoutException(ex.Message, ex));
                    }

                    retryReason = "timeout";
                }

                var delay = retryAfter ?? Backoff(attempt);
                if (delay > _options.MaxRetryDelay)
                {
                    // The service asked for a longer pause than a realtime caller should wait: fail now, honestly.
                    throw new WebPubSubServiceException(operation, retryStatus, null,
                        $"The service asked to retry after {delay}, longer than WebPubSub:MaxRetryDelay ({_options.MaxRetryDelay}).");
                }

                _metrics.RestRetry(operation, retryReason);
                WebPubSubLog.RestRetrying(_logger, operation, attempt, retryReason, (long)delay.TotalMilliseconds);
                await Task.Delay(delay, _timeProvider, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _metrics.RestDuration(operation, _timeProvider.GetElapsedTime(started));
        }
    }

    private static bool IsRetryable(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests
        || ((int)status >= 500 && status is not HttpStatusCode.NotImplemented and not HttpStatusCode.HttpVersionNotSupported);

    private TimeSpan Backoff(int attempt)
    {
        // Exponential with jitter in [d/2, d]: spreads simultaneous retries without ever retrying immediately.
        var exponential = _options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1);
        var capped = Math.Min(exponential, _options.MaxRetryDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds((capped / 2) + (Random.Shared.NextDouble() * capped / 2));
    }

    private TimeSpan? GetRetryAfter(HttpResponseMessage response)
    {
        // Azure services may send millisecond hints; they win over the coarse standard header.
        foreach (var name in (string[])["retry-after-ms", "x-ms-retry-after-ms"])
        {
            if (response.Headers.TryGetValues(name, out var values)
                && double.TryParse(values.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) && ms >= 0)
            {
                return TimeSpan.FromMilliseconds(ms);
            }
        }

        if (response.Headers.RetryAfter is { } retryAfter)
        {
            if (retryAfter.Delta is { } delta)
            {
                return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
            }

            if (retryAfter.Date is { } date)
            {
                var wait = date - _timeProvider.GetUtcNow();
                return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
            }
        }

        return null;
    }

    private static async Task<byte[]> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength is 0)
        {
            return [];
        }

        using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxErrorBodyBytes)
            {
                // Responses of this API are tiny; never buffer an unbounded body.
                break;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private async Task<WebPubSubServiceException> CreateErrorAsync(string operation, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var errorCode = response.Headers.TryGetValues(WebPubSubConstants.Headers.ErrorCode, out var codes) ? codes.FirstOrDefault() : null;
        string? message = null;
        byte[] body;
        try
        {
            body = await ReadBodyAsync(response, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            body = [];
        }

        if (body.Length > 0)
        {
            try
            {
                var detail = JsonSerializer.Deserialize(body, WebPubSubJsonContext.Default.ErrorDetail);
                message = detail?.Message;
                errorCode ??= detail?.Code;
            }
            catch (JsonException)
            {
                message = Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 512)));
            }
        }

        WebPubSubLog.RestFailed(_logger, operation, (int)response.StatusCode, errorCode, message);
        return new WebPubSubServiceException(operation, response.StatusCode, errorCode, message);
    }
}
