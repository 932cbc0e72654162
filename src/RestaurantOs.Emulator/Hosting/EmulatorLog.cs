using Microsoft.Extensions.Logging;

namespace RestaurantOs.Emulator.Hosting;

/// <summary>Source-generated logs of the emulator. Per-connection chatter at Debug; handler faults at Warning.</summary>
internal static partial class EmulatorLog
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Connection {ConnectionId} opened on hub {Hub} for user {UserId} ({Protocol})")]
    public static partial void ConnectionOpened(ILogger logger, string connectionId, string hub, string? userId, string protocol);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Debug, Message = "Connection {ConnectionId} on hub {Hub} closed: {Reason}")]
    public static partial void ConnectionClosed(ILogger logger, string connectionId, string hub, string reason);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Connect to hub {Hub} rejected: {StatusCode} {Reason}")]
    public static partial void ConnectRejected(ILogger logger, string hub, int statusCode, string reason);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Connection {ConnectionId} on hub {Hub} closed as a slow consumer: {Reason}")]
    public static partial void SlowConsumer(ILogger logger, string connectionId, string hub, string reason);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Debug, Message = "Reliable connection {ConnectionId} on hub {Hub} dropped ({Reason}); recoverable for {WindowSeconds} s")]
    public static partial void ConnectionSuspended(ILogger logger, string connectionId, string hub, string reason, double windowSeconds);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Debug, Message = "Reliable connection {ConnectionId} on hub {Hub} recovered; resending {Unacknowledged} unacknowledged messages")]
    public static partial void ConnectionRecovered(ILogger logger, string connectionId, string hub, int unacknowledged);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Information, Message = "Recovery of connection {ConnectionId} on hub {Hub} refused: {Reason}")]
    public static partial void RecoveryRefused(ILogger logger, string connectionId, string hub, string reason);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Debug, Message = "Upstream {EventName} for {ConnectionId} on hub {Hub} answered {StatusCode}")]
    public static partial void UpstreamCalled(ILogger logger, string eventName, string connectionId, string hub, int statusCode);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Warning, Message = "Upstream {EventName} for {ConnectionId} on hub {Hub} failed: {Reason}")]
    public static partial void UpstreamFailed(ILogger logger, string eventName, string connectionId, string hub, string reason);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Warning, Message = "Abuse-protection validation of {Url} failed: {Reason}")]
    public static partial void ValidationFailed(ILogger logger, string url, string reason);

    [LoggerMessage(EventId = 2013, Level = LogLevel.Debug, Message = "Abuse-protection validation of {Url} succeeded")]
    public static partial void ValidationSucceeded(ILogger logger, string url);

    [LoggerMessage(EventId = 2020, Level = LogLevel.Information, Message = "REST {Method} {Path} rejected with {StatusCode} {ErrorCode}: {Reason}")]
    public static partial void RestRejected(ILogger logger, string method, string path, int statusCode, string errorCode, string reason);

    [LoggerMessage(EventId = 2030, Level = LogLevel.Information, Message = "Web PubSub emulator listening. Connection string: {ConnectionString}")]
    public static partial void ConnectionString(ILogger logger, string connectionString);
}
