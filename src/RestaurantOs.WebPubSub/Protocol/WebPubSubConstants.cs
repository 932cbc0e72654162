namespace RestaurantOs.WebPubSub.Protocol;

/// <summary>
/// The Azure Web PubSub wire constants in one catalog: header names, CloudEvents types, content types,
/// subprotocols and REST API versions. Values are exactly what the service, its SDKs and Microsoft's
/// emulator put on the wire; header names compare case-insensitively (HTTP), everything else ordinally.
/// </summary>
public static class WebPubSubConstants
{
    /// <summary>HTTP header names used by the service on REST and upstream (event handler) traffic.</summary>
    public static class Headers
    {
        /// <summary>Abuse-protection request header the service sends on the OPTIONS preflight and on every event.</summary>
        public const string WebHookRequestOrigin = "WebHook-Request-Origin";

        /// <summary>Abuse-protection response header: <c>*</c> or the exact request origin.</summary>
        public const string WebHookAllowedOrigin = "WebHook-Allowed-Origin";

        /// <summary>Response header carrying the service's machine-readable error code (e.g. <c>Error.Connection.NotExisted</c>).</summary>
        public const string ErrorCode = "x-ms-error-code";

        /// <summary>Optional client request id the service (and emulator) attaches to upstream calls.</summary>
        public const string ClientRequestId = "x-ms-client-request-id";

        /// <summary>CloudEvents (HTTP binary mode) headers; every name is <see cref="Prefix"/> + attribute.</summary>
        public static class CloudEvents
        {
            /// <summary>The common prefix of every CloudEvents header.</summary>
            public const string Prefix = "ce-";

            public const string SpecVersion = Prefix + "specversion";
            public const string Type = Prefix + "type";
            public const string Source = Prefix + "source";
            public const string Id = Prefix + "id";
            public const string Time = Prefix + "time";
            public const string Hub = Prefix + "hub";
            public const string ConnectionId = Prefix + "connectionId";
            public const string UserId = Prefix + "userId";
            public const string EventName = Prefix + "eventName";
            public const string Subprotocol = Prefix + "subprotocol";
            public const string ConnectionState = Prefix + "connectionState";
            public const string Signature = Prefix + "signature";

            /// <summary>Web PubSub protocol version header; SDK handlers ignore requests that lack it.</summary>
            public const string AwpsVersion = Prefix + "awpsversion";

            /// <summary>Value of <see cref="SpecVersion"/>.</summary>
            public const string SpecVersionValue = "1.0";

            /// <summary>Value of <see cref="AwpsVersion"/>.</summary>
            public const string AwpsVersionValue = "1.0";

            /// <summary>Prefix of every entry of <see cref="Signature"/>: <c>sha256=&lt;lower-case hex&gt;</c>.</summary>
            public const string SignaturePrefix = "sha256=";
        }
    }

    /// <summary>CloudEvents <c>ce-type</c> values.</summary>
    public static class EventTypes
    {
        /// <summary>Prefix of every system event type.</summary>
        public const string SystemPrefix = "azure.webpubsub.sys.";

        /// <summary>Blocking event sent before the WebSocket upgrade completes.</summary>
        public const string Connect = SystemPrefix + "connect";

        /// <summary>Non-blocking event sent after the handshake.</summary>
        public const string Connected = SystemPrefix + "connected";

        /// <summary>Non-blocking event sent once when a connection whose connect succeeded ends.</summary>
        public const string Disconnected = SystemPrefix + "disconnected";

        /// <summary>Prefix of user event types: <c>azure.webpubsub.user.&lt;eventName&gt;</c>.</summary>
        public const string UserPrefix = "azure.webpubsub.user.";

        /// <summary>System event names as carried in <c>ce-eventName</c>.</summary>
        public const string ConnectEventName = "connect";
        public const string ConnectedEventName = "connected";
        public const string DisconnectedEventName = "disconnected";

        /// <summary>Event name of every frame a plain (no subprotocol) WebSocket client sends.</summary>
        public const string MessageEventName = "message";

        /// <summary>Builds the <c>ce-type</c> of a user event.</summary>
        public static string User(string eventName)
        {
            ArgumentException.ThrowIfNullOrEmpty(eventName);
            return UserPrefix + eventName;
        }
    }

    /// <summary>Content types accepted on REST <c>:send</c> and on upstream user-event requests/responses.</summary>
    public static class ContentTypes
    {
        /// <summary>Maps to <c>dataType</c> <c>text</c>.</summary>
        public const string TextPlain = "text/plain";

        /// <summary>Maps to <c>dataType</c> <c>json</c>.</summary>
        public const string ApplicationJson = "application/json";

        /// <summary>Maps to <c>dataType</c> <c>binary</c>.</summary>
        public const string OctetStream = "application/octet-stream";
    }

    /// <summary>The <c>dataType</c> names of the JSON subprotocols and the Functions bindings.</summary>
    public static class DataTypes
    {
        public const string Text = "text";
        public const string Json = "json";
        public const string Binary = "binary";
    }

    /// <summary>WebSocket subprotocol names.</summary>
    public static class Subprotocols
    {
        public const string Json = "json.webpubsub.azure.v1";
        public const string JsonReliable = "json.reliable.webpubsub.azure.v1";
    }

    /// <summary>Data-plane REST API versions.</summary>
    public static class ApiVersion
    {
        /// <summary>The query parameter name, required on every REST call.</summary>
        public const string QueryParameter = "api-version";

        /// <summary>The version this library speaks by default (the only one in the current TypeSpec).</summary>
        public const string Default = "2024-12-01";

        /// <summary>Generally available versions, oldest first.</summary>
        public static IReadOnlyList<string> GenerallyAvailable { get; } =
            ["2021-10-01", "2022-11-01", "2023-07-01", "2024-01-01", "2024-12-01"];
    }

    /// <summary>Client connection URL facts.</summary>
    public static class Client
    {
        /// <summary>Query parameter carrying the client access token.</summary>
        public const string AccessTokenQueryParameter = "access_token";

        /// <summary>Role giving permission to join/leave any group; append <c>.&lt;group&gt;</c> for one group.</summary>
        public const string JoinLeaveGroupRole = "webpubsub.joinLeaveGroup";

        /// <summary>Role giving permission to send to any group; append <c>.&lt;group&gt;</c> for one group.</summary>
        public const string SendToGroupRole = "webpubsub.sendToGroup";
    }

    /// <summary>JWT claim names used by Web PubSub tokens.</summary>
    public static class Claims
    {
        public const string Audience = "aud";
        public const string Expires = "exp";
        public const string IssuedAt = "iat";
        public const string NotBefore = "nbf";
        public const string Subject = "sub";
        public const string Role = "role";
        public const string Group = "webpubsub.group";

        /// <summary>.NET name-identifier claim type; the service and emulator accept it as the user id when <c>sub</c> is absent.</summary>
        public const string NameIdentifier = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier";

        /// <summary>.NET role claim type; accepted as a role claim as well.</summary>
        public const string DotNetRole = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role";
    }
}
