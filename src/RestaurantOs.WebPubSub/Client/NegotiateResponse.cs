using System.Text.Json.Serialization;

namespace RestaurantOs.WebPubSub.Client;

/// <summary>
/// What a negotiate endpoint returns to a browser, in the shape of the Functions <c>WebPubSubConnection</c> binding:
/// <c>{"baseUrl":"wss://host/client/hubs/hub","url":"wss://host/client/hubs/hub?access_token=…","accessToken":"…"}</c>.
/// </summary>
/// <param name="BaseUrl">The client endpoint without the token.</param>
/// <param name="Url">The URL to open a WebSocket on: <see cref="BaseUrl"/> + <c>?access_token=</c> + token.</param>
/// <param name="AccessToken">The client access token (also usable as <c>Authorization: Bearer</c>).</param>
public sealed record NegotiateResponse(
    [property: JsonPropertyName("baseUrl")] string BaseUrl,
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("accessToken")] string AccessToken);
