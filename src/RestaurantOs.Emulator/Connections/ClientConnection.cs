using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using RestaurantOs.Emulator.Transport;
using RestaurantOs.WebPubSub.Protocol;

namespace RestaurantOs.Emulator.Connections;

/// <summary>How a connection's frames are encoded.</summary>
internal enum ClientProtocol
{
    /// <summary>Plain WebSocket (no subprotocol, or a custom one picked by the connect handler): raw frames.</summary>
    Plain,
    /// <summary><c>json.webpubsub.azure.v1</c> or <c>json.reliable.webpubsub.azure.v1</c>: JSON envelopes (the reliable one also has a <see cref="ClientConnection.Reliable"/> session).</summary>
    Json,
}

/// <summary>Which endpoint accepted the connection; decides close-code mapping.</summary>
internal enum EndpointKind
{
    Azure,
    SeedCompatible,
}

/// <summary>
/// One logical client connection: identity, groups, roles, state, and the transport that writes to it.
/// Group membership is mutated only by <see cref="ConnectionManager"/> under its lock.
/// </summary>
internal sealed class ClientConnection
{
    private readonly HashSet<string> _roles;
    private readonly ConcurrentDictionary<string, byte> _permissions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ulong, byte> _ackIds = new();
    private readonly Lock _eventChainLock = new();
    private Task _systemEventChain = Task.CompletedTask;
    private string? _connectionState;
    private string? _disconnectReason;
    private WebSocketTransport _transport = null!;
    private int _finished;

    public ClientConnection(string hub, string connectionId, string? userId, IEnumerable<string> roles)
    {
        Hub = hub;
        ConnectionId = connectionId;
        UserId = userId;
        _roles = new HashSet<string>(roles, StringComparer.Ordinal);
    }

    public string Hub { get; }

    public string ConnectionId { get; }

    public string? UserId { get; }

    /// <summary>
    /// The socket currently carrying this connection. Fixed for plain and JSON clients; a reliable connection gets a
    /// new one on each recovery (after a drop the last one stays here, closed, so writes to it are simply refused).
    /// </summary>
    public required WebSocketTransport Transport
    {
        get => Volatile.Read(ref _transport);
        init => _transport = value;
    }

    /// <summary>Sequence ids, unacknowledged buffer and recovery of a <c>json.reliable.webpubsub.azure.v1</c> connection; null otherwise.</summary>
    public ReliableSession? Reliable { get; init; }

    public required ClientProtocol Protocol { get; init; }

    /// <summary>The negotiated subprotocol, for <c>ce-subprotocol</c>.</summary>
    public string? Subprotocol { get; init; }

    public required EndpointKind Endpoint { get; init; }

    /// <summary>Seed endpoints: which received messages were text frames (the socket sees them as binary).</summary>
    public TextFrameMarkingStream? TextFrames { get; init; }

    public SeedCompatibleEndpointOptions? SeedOptions { get; init; }

    /// <summary>The <c>WebHook-Request-Origin</c> used for this connection's upstream calls.</summary>
    public required string Origin { get; init; }

    /// <summary>Plain clients in <c>webpubsub_mode=sendToGroup</c> publish every frame to this group.</summary>
    public string? PlainSendToGroup { get; init; }

    public bool PlainNoEcho { get; init; }

    /// <summary>Groups this connection is in. Written only under the manager's lock.</summary>
    internal HashSet<string> GroupSet { get; } = new(StringComparer.Ordinal);

    public string? ConnectionState
    {
        get => Volatile.Read(ref _connectionState);
        set => Volatile.Write(ref _connectionState, value);
    }

    /// <summary>The reason reported in the disconnected event; the first recorded reason wins.</summary>
    public string? DisconnectReason => Volatile.Read(ref _disconnectReason);

    public void SetDisconnectReason(string reason) => Interlocked.CompareExchange(ref _disconnectReason, reason, null);

    /// <summary>A recovered connection forgets the drop's reason, so a later end reports its own.</summary>
    internal void ClearDisconnectReason() => Volatile.Write(ref _disconnectReason, null);

    /// <summary>Only <see cref="ReliableSession"/> swaps sockets, under its lock.</summary>
    internal void ReplaceTransport(WebSocketTransport transport) => Volatile.Write(ref _transport, transport);

    /// <summary>True exactly once: the caller removes the connection and reports <c>disconnected</c> upstream.</summary>
    internal bool TryMarkFinished() => Interlocked.Exchange(ref _finished, 1) == 0;

    /// <summary>Records the ackId of a processed message; a later message with the same id is acked <c>Duplicate</c>.</summary>
    public bool TryRecordAck(ulong ackId) => _ackIds.TryAdd(ackId, 0);

    public bool HasSeenAck(ulong ackId) => _ackIds.ContainsKey(ackId);

    public void Grant(string permission, string? group) => _permissions[PermissionKey(permission, group)] = 0;

    public void Revoke(string permission, string? group) => _permissions.TryRemove(PermissionKey(permission, group), out _);

    /// <summary>True if a grant or a role allows <paramref name="permission"/> on <paramref name="group"/> (null = all groups).</summary>
    public bool HasPermission(string permission, string? group)
    {
        if (_permissions.ContainsKey(PermissionKey(permission, null)) || (group is not null && _permissions.ContainsKey(PermissionKey(permission, group))))
        {
            return true;
        }

        var role = permission switch
        {
            Permissions.SendToGroup => WebPubSubConstants.Client.SendToGroupRole,
            Permissions.JoinLeaveGroup => WebPubSubConstants.Client.JoinLeaveGroupRole,
            _ => throw new ArgumentOutOfRangeException(nameof(permission), permission, "Unknown permission."),
        };

        lock (_roles)
        {
            if (_roles.Contains(role))
            {
                return true;
            }

            if (group is null)
            {
                return false;
            }

            if (_roles.Contains(role + "." + group))
            {
                return true;
            }

            // Wildcard roles: webpubsub.sendToGroups.<pattern> / webpubsub.joinLeaveGroups.<pattern>.
            var wildcardPrefix = role + "s.";
            foreach (var candidate in _roles)
            {
                if (candidate.StartsWith(wildcardPrefix, StringComparison.Ordinal) && WildcardMatches(candidate[wildcardPrefix.Length..], group))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// Runs fire-and-forget upstream events (connected, disconnected) one after another for this connection,
    /// so a handler never sees disconnected before connected.
    /// </summary>
    public void ChainSystemEvent(Func<Task> send)
    {
        lock (_eventChainLock)
        {
            _systemEventChain = _systemEventChain.ContinueWith(_ => send(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
        }
    }

    internal Task SystemEventsCompletion
    {
        get
        {
            lock (_eventChainLock)
            {
                return _systemEventChain;
            }
        }
    }

    private static string PermissionKey(string permission, string? group) => permission + "\n" + (group ?? "\u0000*");

    /// <summary><c>?</c> = one character except '.', <c>*</c> = a run without '.', <c>**</c> = any run, <c>\</c> escapes.</summary>
    internal static bool WildcardMatches(string pattern, string group)
    {
        var regex = new System.Text.StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                regex.Append(Regex.Escape(pattern[++i].ToString()));
            }
            else if (c == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                regex.Append(".*");
                i++;
            }
            else if (c == '*')
            {
                regex.Append("[^.]*");
            }
            else if (c == '?')
            {
                regex.Append("[^.]");
            }
            else
            {
                regex.Append(Regex.Escape(c.ToString()));
            }
        }

        regex.Append('$');
        return Regex.IsMatch(group, regex.ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromMilliseconds(100));
    }
}

/// <summary>REST permission names.</summary>
internal static class Permissions
{
    public const string SendToGroup = "sendToGroup";
    public const string JoinLeaveGroup = "joinLeaveGroup";

    public static string? Normalize(string value) =>
        string.Equals(value, SendToGroup, StringComparison.OrdinalIgnoreCase) ? SendToGroup
        : string.Equals(value, JoinLeaveGroup, StringComparison.OrdinalIgnoreCase) ? JoinLeaveGroup
        : null;
}
