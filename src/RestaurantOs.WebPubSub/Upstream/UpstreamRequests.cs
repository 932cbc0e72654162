using System.Text;
using System.Text.Json;
using RestaurantOs.WebPubSub.Protocol;

namespace RestaurantOs.WebPubSub.Upstream;

/// <summary>
/// A validated upstream (event handler) request from Web PubSub: the signature and origin were checked and the
/// CloudEvents headers parsed. Subtypes: <see cref="ConnectRequest"/>, <see cref="ConnectedRequest"/>,
/// <see cref="UserEventRequest"/>, <see cref="DisconnectedRequest"/>.
/// </summary>
public abstract record UpstreamRequest
{
    /// <summary><c>ce-hub</c>.</summary>
    public required string Hub { get; init; }

    /// <summary><c>ce-connectionId</c>.</summary>
    public required string ConnectionId { get; init; }

    /// <summary><c>ce-userId</c>, or <see langword="null"/> for an anonymous connection.</summary>
    public string? UserId { get; init; }

    /// <summary><c>ce-type</c>, e.g. <c>azure.webpubsub.user.message</c>.</summary>
    public required string EventType { get; init; }

    /// <summary><c>ce-eventName</c>: <c>connect</c>, <c>connected</c>, <c>disconnected</c> or the user event name.</summary>
    public required string EventName { get; init; }

    /// <summary><c>ce-subprotocol</c> (absent on <c>connect</c>, and for plain WebSocket clients).</summary>
    public string? Subprotocol { get; init; }

    /// <summary><c>ce-id</c>, unique per event (useful for de-duplication of retried deliveries).</summary>
    public string? EventId { get; init; }

    /// <summary>The decoded <c>ce-connectionState</c>; empty when absent.</summary>
    public IReadOnlyDictionary<string, JsonElement> ConnectionState { get; init; } = new Dictionary<string, JsonElement>(StringComparer.Ordinal);

    /// <summary>The <c>WebHook-Request-Origin</c> value that was accepted.</summary>
    public string? Origin { get; init; }
}

/// <summary>A client certificate forwarded on <c>connect</c>.</summary>
/// <param name="Thumbprint">SHA-1 thumbprint.</param>
/// <param name="Content">PEM content, when the service sends it.</param>
public sealed record WebPubSubClientCertificate(string Thumbprint, string? Content);

/// <summary>
/// The blocking <c>connect</c> event, before the client's WebSocket upgrade completes. Answer with
/// <see cref="WebPubSubUpstreamCodec.WriteConnectResponseAsync"/> or <see cref="WebPubSubUpstreamCodec.WriteErrorAsync"/>.
/// </summary>
public sealed record ConnectRequest : UpstreamRequest
{
    /// <summary>Every claim of the client's access token; values are always lists (the service sends arrays).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Claims { get; init; } = Empty;

    /// <summary>The upgrade request's query (the real service includes <c>access_token</c>).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Query { get; init; } = Empty;

    /// <summary>The upgrade request's headers (case-insensitive names).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Headers { get; init; } = Empty;

    /// <summary>Subprotocols the client offered, in order.</summary>
    public IReadOnlyList<string> Subprotocols { get; init; } = [];

    /// <summary>Client certificates, when client certificate auth is enabled.</summary>
    public IReadOnlyList<WebPubSubClientCertificate> ClientCertificates { get; init; } = [];

    private static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> Empty = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>The first value of a claim, or <see langword="null"/>.</summary>
    public string? GetClaim(string type) => Claims.TryGetValue(type, out var values) && values.Count > 0 ? values[0] : null;

    /// <summary>The first value of a query parameter, or <see langword="null"/>.</summary>
    public string? GetQuery(string name) => Query.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : null;

    /// <summary>The first value of a header (case-insensitive), or <see langword="null"/>.</summary>
    public string? GetHeader(string name) => Headers.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : null;
}

/// <summary>The non-blocking <c>connected</c> event; answer with <see cref="WebPubSubUpstreamCodec.WriteAcceptedAsync"/>.</summary>
public sealed record ConnectedRequest : UpstreamRequest;

/// <summary>
/// A blocking user event: a frame from a plain WebSocket client (event <c>message</c>) or a subprotocol client's
/// <c>{"type":"event"}</c>. Answer with <see cref="WebPubSubUpstreamCodec.WriteUserEventResponseAsync"/>.
/// </summary>
public sealed record UserEventRequest : UpstreamRequest
{
    /// <summary>The raw payload (base64 already decoded by the service for binary).</summary>
    public ReadOnlyMemory<byte> Data { get; init; }

    /// <summary>From the request Content-Type: text/plain → Text, application/json → Json, octet-stream or none → Binary.</summary>
    public WebPubSubDataType DataType { get; init; }

    /// <summary>The payload as UTF-8 text.</summary>
    public string GetText() => Encoding.UTF8.GetString(Data.Span);
}

/// <summary>The non-blocking <c>disconnected</c> event; sent once per connection whose connect succeeded.</summary>
public sealed record DisconnectedRequest : UpstreamRequest
{
    /// <summary>The service's reason text, if any.</summary>
    public string? Reason { get; init; }
}

/// <summary>
/// A successful answer to <c>connect</c>. Every member is optional: null keeps the token's value.
/// </summary>
public sealed record ConnectEventResponse
{
    /// <summary>Overrides the user id.</summary>
    public string? UserId { get; init; }

    /// <summary>Groups to join at connect.</summary>
    public IReadOnlyList<string>? Groups { get; init; }

    /// <summary>Replaces the token's roles (an empty list clears them).</summary>
    public IReadOnlyList<string>? Roles { get; init; }

    /// <summary>The subprotocol to use; must be one the client offered. Null negotiates none.</summary>
    public string? Subprotocol { get; init; }

    /// <summary>Connection state changes; a null or JSON-null value removes the key.</summary>
    public IReadOnlyDictionary<string, JsonElement?>? ConnectionStateUpdates { get; init; }
}

/// <summary>
/// A successful answer to a user event: an optional message delivered to the calling connection only, and optional
/// connection state changes.
/// </summary>
public sealed record UserEventResponse
{
    /// <summary>The reply; null answers 204 (nothing sent back).</summary>
    public WebPubSubMessage? Message { get; init; }

    /// <summary>Connection state changes merged into the incoming state; a null or JSON-null value removes the key.</summary>
    public IReadOnlyDictionary<string, JsonElement?>? ConnectionStateUpdates { get; init; }
}

/// <summary>Error answers to blocking events (the Functions extension's codes and their HTTP statuses).</summary>
public enum UpstreamErrorCode
{
    /// <summary>401: the connection is rejected as unauthenticated.</summary>
    Unauthorized = 0,

    /// <summary>400.</summary>
    UserError = 1,

    /// <summary>500.</summary>
    ServerError = 2,
}
