using RestaurantOs.Realtime.Connections;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Ports;

namespace RestaurantOs.Realtime.Services;

/// <summary>What the realtime service tells us about a connecting client (Web PubSub's <c>connect</c> event).</summary>
public sealed record ConnectAttempt(
    string ConnectionId,
    IReadOnlyDictionary<string, string[]> Query,
    IReadOnlyDictionary<string, string[]> Headers);

/// <summary>
/// The answer to a connect: <see cref="Accept"/> (with user id, groups and state) or <see cref="Reject"/> (with an
/// error code). A pending connection is accepted without identity and must send <c>auth</c> before its deadline.
/// </summary>
public sealed class ConnectDecision
{
    private ConnectDecision(bool accepted, bool serverFault, string? rejectCode, string? rejectMessage, string? userId, IReadOnlyList<string> groups, ConnectionState? state)
    {
        Accepted = accepted;
        ServerFault = serverFault;
        RejectCode = rejectCode;
        RejectMessage = rejectMessage;
        UserId = userId;
        Groups = groups;
        State = state;
    }

    public bool Accepted { get; }

    /// <summary>The refusal is the server's fault (signing keys unreachable): the client may retry.</summary>
    public bool ServerFault { get; }

    /// <summary>The HTTP status of a refusal: 500 when <see cref="ServerFault"/>, else 401 (a bad token, terminal).</summary>
    public int RejectStatus => Accepted ? 200 : ServerFault ? 500 : 401;

    public string? RejectCode { get; }

    public string? RejectMessage { get; }

    public string? UserId { get; }

    public IReadOnlyList<string> Groups { get; }

    public ConnectionState? State { get; }

    /// <summary>Accepts the connection; <paramref name="userId"/> is null for a connection still pending <c>auth</c>.</summary>
    public static ConnectDecision Accept(string? userId, IReadOnlyList<string> groups, ConnectionState state)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(state);
        return new(true, false, null, null, userId, groups, state);
    }

    /// <summary>Refuses the connection with one of <c>ErrorCodes</c>.</summary>
    public static ConnectDecision Reject(string code, string message, bool serverFault)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        return new(false, serverFault, code, message, null, [], null);
    }
}

/// <summary>
/// The answer to one client message: an optional reply for the response body and the connection's new state.
/// Group changes and closes have already been applied through <see cref="IConnectionManager"/> when this returns.
/// </summary>
public sealed record MessageOutcome(RealtimeEvent? Reply, ConnectionState State, bool Closed);
