using Microsoft.Extensions.Logging;

namespace RestaurantOs.WebPubSub;

/// <summary>Source-generated logs of this library; event ids are stable.</summary>
internal static partial class WebPubSubLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Web PubSub {Operation} completed with {Status} after {Attempts} attempt(s)")]
    public static partial void RestCompleted(ILogger logger, string operation, int status, int attempts);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Web PubSub {Operation} attempt {Attempt} failed ({Reason}); retrying in {DelayMs} ms")]
    public static partial void RestRetrying(ILogger logger, string operation, int attempt, string reason, long delayMs);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Web PubSub {Operation} failed with {Status} {ErrorCode}: {ServiceMessage}")]
    public static partial void RestFailed(ILogger logger, string operation, int status, string? errorCode, string? serviceMessage);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Web PubSub {Operation} failed without a response after {Attempts} attempt(s)")]
    public static partial void RestTransportFailed(ILogger logger, Exception exception, string operation, int attempts);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Web PubSub client for hub {Hub} at {Endpoint} uses {AuthMode} authentication")]
    public static partial void ClientCreated(ILogger logger, string hub, string endpoint, string authMode);

    [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "Rejected upstream request {Method} {EventType} for hub {Hub} connection {ConnectionId} with {Status}: {Reason}")]
    public static partial void UpstreamRejected(ILogger logger, string method, string? eventType, string? hub, string? connectionId, int status, string reason);

    [LoggerMessage(EventId = 21, Level = LogLevel.Debug, Message = "Abuse-protection preflight from {Origin}: {Outcome}")]
    public static partial void AbuseProtection(ILogger logger, string origin, string outcome);

    [LoggerMessage(EventId = 22, Level = LogLevel.Information, Message = "No Web PubSub access key is configured (identity mode): every upstream request must carry Web PubSub's bearer token, ce-awpsversion and an allowed WebHook-Request-Origin (allowed: {AllowedOrigins})")]
    public static partial void UpstreamIdentityMode(ILogger logger, string allowedOrigins);

    [LoggerMessage(EventId = 23, Level = LogLevel.Debug, Message = "Upstream {EventType} for hub {Hub} connection {ConnectionId} accepted")]
    public static partial void UpstreamAccepted(ILogger logger, string eventType, string hub, string connectionId);
}
