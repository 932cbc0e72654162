namespace RestaurantOs.Realtime.Protocol;

/// <summary>Machine-readable codes of <c>error</c> messages. Clients decide on them whether to reconnect.</summary>
public static class ErrorCodes
{
    /// <summary>Not JSON, not an object, a field of the wrong type, or a field out of range.</summary>
    public const string InvalidMessage = "INVALID_MESSAGE";
    /// <summary>A <c>type</c> the server does not know.</summary>
    public const string UnknownType = "UNKNOWN_TYPE";
    /// <summary>A frame over 64 KB; the connection is closed with 1009.</summary>
    public const string MessageTooBig = "MESSAGE_TOO_BIG";
    /// <summary>Missing, invalid or expired token; terminal: get a new token before reconnecting. Closes with 1008.</summary>
    public const string Unauthorized = "UNAUTHORIZED";
    /// <summary>No <c>auth</c> within the grace period. Closes with 1008.</summary>
    public const string AuthTimeout = "AUTH_TIMEOUT";
    /// <summary>The client named another restaurant. Terminal; closes with 1008.</summary>
    public const string TenantViolation = "TENANT_VIOLATION";
    /// <summary>The message needs an authenticated connection.</summary>
    public const string NotAuthenticated = "NOT_AUTHENTICATED";
    /// <summary>The role may not receive that event type.</summary>
    public const string Forbidden = "FORBIDDEN";
    /// <summary>An event type that does not exist.</summary>
    public const string UnknownEvent = "UNKNOWN_EVENT";
    /// <summary>A filter key or value that is not allowed.</summary>
    public const string InvalidFilter = "INVALID_FILTER";
    /// <summary>More than 10 active subscriptions would result.</summary>
    public const string SubscriptionLimit = "SUBSCRIPTION_LIMIT";
    /// <summary>Over 100 messages in a minute; the message was dropped. Sustained abuse closes with 1008.</summary>
    public const string RateLimited = "RATE_LIMITED";
    /// <summary>A fault on the server; safe to retry or reconnect. Closes with 1011 where the server closes.</summary>
    public const string InternalError = "INTERNAL_ERROR";
}

/// <summary>WebSocket close codes the seed names.</summary>
public static class CloseCodes
{
    public const int NormalClosure = 1000;
    public const int PolicyViolation = 1008;
    public const int MessageTooBig = 1009;
    public const int ServerError = 1011;
}

/// <summary>The seed's limits, in one place.</summary>
public static class ProtocolLimits
{
    public const int MaxMessageBytes = 64 * 1024;
    public const int MaxMessagesPerMinute = 100;
    public const int MaxSubscriptions = 10;
    public const int HeartbeatSeconds = 30;
    public const int DefaultAuthGraceSeconds = 10;
}
