using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace RestaurantOs.Emulator.Connections;

/// <summary>
/// In-memory registry of connections, groups and user-group memberships per hub. Keys are (hub, id) tuples with
/// ordinal comparison; hubs are stored lower-case. Group and user indexes are changed under one lock, and readers
/// get array snapshots, so a broadcast never holds the lock while writing.
/// </summary>
internal sealed class ConnectionManager
{
    private readonly ConcurrentDictionary<(string Hub, string ConnectionId), ClientConnection> _connections = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Hub, string Group), HashSet<ClientConnection>> _groups = [];
    private readonly Dictionary<(string Hub, string UserId), HashSet<ClientConnection>> _users = [];

    // Users added to groups over REST: new connections of that user join these groups too (as the service does).
    private readonly Dictionary<(string Hub, string UserId), HashSet<string>> _userGroups = [];

    public bool TryGet(string hub, string connectionId, [NotNullWhen(true)] out ClientConnection? connection) =>
        _connections.TryGetValue((hub, connectionId), out connection);

    /// <summary>Registers a connection and joins the user's persisted groups plus <paramref name="initialGroups"/>.</summary>
    public void Add(ClientConnection connection, IEnumerable<string> initialGroups)
    {
        lock (_gate)
        {
            _connections[(connection.Hub, connection.ConnectionId)] = connection;
            if (connection.UserId is { } userId)
            {
                GetOrAdd(_users, (connection.Hub, userId)).Add(connection);
                if (_userGroups.TryGetValue((connection.Hub, userId), out var persisted))
                {
                    foreach (var group in persisted)
                    {
                        JoinLocked(connection, group);
                    }
                }
            }

            foreach (var group in initialGroups)
            {
                JoinLocked(connection, group);
            }
        }
    }

    /// <summary>Removes a connection from the registry and all its groups. Returns false if it was already gone.</summary>
    public bool Remove(ClientConnection connection)
    {
        lock (_gate)
        {
            if (!_connections.TryRemove(new KeyValuePair<(string, string), ClientConnection>((connection.Hub, connection.ConnectionId), connection)))
            {
                return false;
            }

            foreach (var group in connection.GroupSet.ToArray())
            {
                LeaveLocked(connection, group);
            }

            if (connection.UserId is { } userId && _users.TryGetValue((connection.Hub, userId), out var set))
            {
                set.Remove(connection);
                if (set.Count == 0)
                {
                    _users.Remove((connection.Hub, userId));
                }
            }

            return true;
        }
    }

    public void Join(ClientConnection connection, string group)
    {
        lock (_gate)
        {
            // A connection already removed must not re-enter a group index.
            if (_connections.ContainsKey((connection.Hub, connection.ConnectionId)))
            {
                JoinLocked(connection, group);
            }
        }
    }

    public void Leave(ClientConnection connection, string group)
    {
        lock (_gate)
        {
            LeaveLocked(connection, group);
        }
    }

    public void LeaveAll(ClientConnection connection)
    {
        lock (_gate)
        {
            foreach (var group in connection.GroupSet.ToArray())
            {
                LeaveLocked(connection, group);
            }
        }
    }

    public string[] GroupsOf(ClientConnection connection)
    {
        lock (_gate)
        {
            return [.. connection.GroupSet];
        }
    }

    public ClientConnection[] GroupMembers(string hub, string group)
    {
        lock (_gate)
        {
            return _groups.TryGetValue((hub, group), out var set) ? [.. set] : [];
        }
    }

    /// <summary>The connections in at least one of <paramref name="groups"/>, each once.</summary>
    public ClientConnection[] MembersOfAny(string hub, IEnumerable<string> groups)
    {
        var members = new HashSet<ClientConnection>();
        lock (_gate)
        {
            foreach (var group in groups)
            {
                if (_groups.TryGetValue((hub, group), out var set))
                {
                    members.UnionWith(set);
                }
            }
        }

        return [.. members];
    }

    public ClientConnection[] UserConnections(string hub, string userId)
    {
        lock (_gate)
        {
            return _users.TryGetValue((hub, userId), out var set) ? [.. set] : [];
        }
    }

    public ClientConnection[] AllConnections() => [.. _connections.Values];

    public ClientConnection[] HubConnections(string hub) =>
        _connections.Where(pair => pair.Key.Hub == hub).Select(pair => pair.Value).ToArray();

    public bool GroupExists(string hub, string group)
    {
        lock (_gate)
        {
            return _groups.ContainsKey((hub, group));
        }
    }

    public bool UserExists(string hub, string userId)
    {
        lock (_gate)
        {
            return _users.ContainsKey((hub, userId));
        }
    }

    public void AddUserToGroup(string hub, string userId, string group)
    {
        lock (_gate)
        {
            GetOrAdd(_userGroups, (hub, userId)).Add(group);
            if (_users.TryGetValue((hub, userId), out var connections))
            {
                foreach (var connection in connections)
                {
                    JoinLocked(connection, group);
                }
            }
        }
    }

    public void RemoveUserFromGroup(string hub, string userId, string? group)
    {
        lock (_gate)
        {
            if (group is null)
            {
                _userGroups.Remove((hub, userId));
            }
            else if (_userGroups.TryGetValue((hub, userId), out var persisted))
            {
                persisted.Remove(group);
                if (persisted.Count == 0)
                {
                    _userGroups.Remove((hub, userId));
                }
            }

            if (_users.TryGetValue((hub, userId), out var connections))
            {
                foreach (var connection in connections)
                {
                    if (group is null)
                    {
                        foreach (var joined in connection.GroupSet.ToArray())
                        {
                            LeaveLocked(connection, joined);
                        }
                    }
                    else
                    {
                        LeaveLocked(connection, group);
                    }
                }
            }
        }
    }

    private void JoinLocked(ClientConnection connection, string group)
    {
        if (connection.GroupSet.Add(group))
        {
            GetOrAdd(_groups, (connection.Hub, group)).Add(connection);
        }
    }

    private void LeaveLocked(ClientConnection connection, string group)
    {
        if (connection.GroupSet.Remove(group) && _groups.TryGetValue((connection.Hub, group), out var members))
        {
            members.Remove(connection);
            if (members.Count == 0)
            {
                // An empty group does not exist (HEAD group → 404), so drop its entry.
                _groups.Remove((connection.Hub, group));
            }
        }
    }

    private static TValue GetOrAdd<TKey, TValue>(Dictionary<TKey, TValue> map, TKey key)
        where TKey : notnull
        where TValue : new()
    {
        if (!map.TryGetValue(key, out var value))
        {
            value = new TValue();
            map[key] = value;
        }

        return value;
    }
}
