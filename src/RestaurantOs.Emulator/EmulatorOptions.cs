namespace RestaurantOs.Emulator;

/// <summary>
/// Configuration of the local Web PubSub emulator, bound from the <see cref="SectionName"/> section
/// (appsettings.json, environment variables such as <c>WebPubSub__AccessKey</c>, or command-line
/// arguments such as <c>--WebPubSub:AccessKey=...</c>). Validated at start-up.
/// </summary>
public sealed class EmulatorOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "WebPubSub";

    /// <summary>
    /// The well-known local access key (the same default as Microsoft's emulator).
    /// For local use only: anyone who reads this file can sign tokens for it.
    /// </summary>
    public const string DefaultAccessKey = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH";

    /// <summary>The access key that signs REST and client tokens (UTF-8 bytes are the HMAC key). At least 32 bytes, no ';'.</summary>
    public string AccessKey { get; set; } = DefaultAccessKey;

    /// <summary>Per-hub settings, keyed by hub name (case-insensitive). Hubs not listed still work: no handlers, no anonymous access.</summary>
    public Dictionary<string, EmulatorHubOptions> Hubs { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Largest client WebSocket message accepted on the client endpoint; bigger closes with 1009. Also caps REST send bodies.</summary>
    public int MaxClientMessageBytes { get; set; } = 1024 * 1024;

    /// <summary>Interval of server WebSocket ping frames.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>A connection that does not answer a ping within this time is considered dead and removed.</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Most frames waiting to be written to one connection; more closes that connection (slow consumer).</summary>
    public int SendQueueMaxMessages { get; set; } = 1000;

    /// <summary>Most bytes waiting to be written to one connection; more closes that connection (slow consumer).</summary>
    public long SendQueueMaxBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>
    /// Most messages a <c>json.reliable.webpubsub.azure.v1</c> connection may leave unacknowledged (Azure's limit:
    /// 1000). One more ends the connection with 1008, unrecoverably.
    /// </summary>
    public int ReliableBufferMaxMessages { get; set; } = 1000;

    /// <summary>Most bytes of unacknowledged messages per reliable connection (Azure's limit: 16 MB). More ends it with 1008.</summary>
    public long ReliableBufferMaxBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>
    /// How long a reliable connection whose socket dropped waits for the client to recover it (Azure keeps it at
    /// least 30 s; the SDK gives up after 30 s). When it passes, the app gets <c>disconnected</c>.
    /// </summary>
    public TimeSpan ReliableRecoveryWindow { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Timeout of one upstream (event handler) call.</summary>
    public TimeSpan UpstreamTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Value of <c>WebHook-Request-Origin</c> sent upstream. Default: the host name (without port) the
    /// client used to reach the emulator, as Azure sends its own host name.
    /// </summary>
    public string? WebHookRequestOrigin { get; set; }
}

/// <summary>Settings of one hub.</summary>
public sealed class EmulatorHubOptions
{
    /// <summary>Allow clients to connect without an access token (Azure's <c>anonymousConnectPolicy: allow</c>).</summary>
    public bool AllowAnonymous { get; set; }

    /// <summary>Event handlers, tried in order; the first that matches an event receives it.</summary>
    public List<EmulatorEventHandlerOptions> EventHandlers { get; } = [];
}

/// <summary>One upstream event handler (Azure's hub setting <c>eventHandlers[]</c>).</summary>
public sealed class EmulatorEventHandlerOptions
{
    /// <summary>Absolute http(s) URL; <c>{hub}</c> and <c>{event}</c> are replaced (not allowed in the host).</summary>
    public string UrlTemplate { get; set; } = "";

    /// <summary>System events sent to this handler: any of <c>connect</c>, <c>connected</c>, <c>disconnected</c>.</summary>
    public List<string> SystemEvents { get; } = [];

    /// <summary>User events sent to this handler: <c>*</c>, one name, or a comma-separated list. Empty = none.</summary>
    public string? UserEventPattern { get; set; }
}

/// <summary>
/// Behaviour of a seed-compatible endpoint (<see cref="EmulatorEndpointRouteBuilderExtensions.MapSeedCompatibleEndpoint(Microsoft.AspNetCore.Routing.IEndpointRouteBuilder, string, string)"/>).
/// Defaults bind from <c>WebPubSub:SeedCompatible</c>; an overload of the map method adjusts them per endpoint.
/// </summary>
public sealed class SeedCompatibleEndpointOptions
{
    /// <summary>The configuration section of the defaults.</summary>
    public const string SectionName = EmulatorOptions.SectionName + ":SeedCompatible";

    /// <summary>
    /// When true (default) a connect the upstream handler rejects is accepted as a WebSocket and closed with
    /// 1008 (401/403/400) or 1011 (other statuses) and the handler's reason; when false it is refused over HTTP as Azure does.
    /// </summary>
    public bool CloseRejectedConnectOverWebSocket { get; set; } = true;

    /// <summary>Largest inbound message; bigger closes with 1009. Default 64 KB (the seed's limit).</summary>
    public int MaxInboundMessageBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// Maps the <c>reason</c> of a REST close (its text up to the first ':' or space, case-insensitive) to a close code.
    /// Unlisted reasons close with <see cref="DefaultCloseCode"/>.
    /// </summary>
    public Dictionary<string, int> CloseCodes { get; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["UNAUTHORIZED"] = 1008,
        ["AUTH_TIMEOUT"] = 1008,
        ["TENANT_VIOLATION"] = 1008,
        ["RATE_LIMITED"] = 1008,
        ["MESSAGE_TOO_BIG"] = 1009,
        ["INTERNAL_ERROR"] = 1011,
    };

    /// <summary>Close code for a REST close whose reason is not in <see cref="CloseCodes"/>.</summary>
    public int DefaultCloseCode { get; set; } = 1000;

    internal SeedCompatibleEndpointOptions Clone()
    {
        var copy = new SeedCompatibleEndpointOptions
        {
            CloseRejectedConnectOverWebSocket = CloseRejectedConnectOverWebSocket,
            MaxInboundMessageBytes = MaxInboundMessageBytes,
            DefaultCloseCode = DefaultCloseCode,
        };
        copy.CloseCodes.Clear();
        foreach (var (key, value) in CloseCodes)
        {
            copy.CloseCodes[key] = value;
        }

        return copy;
    }

    internal int CloseCodeFor(string? reason)
    {
        if (string.IsNullOrEmpty(reason))
        {
            return DefaultCloseCode;
        }

        var end = reason.AsSpan().IndexOfAny(':', ' ');
        var key = end < 0 ? reason : reason[..end];
        return CloseCodes.TryGetValue(key, out var code) ? code : DefaultCloseCode;
    }
}
