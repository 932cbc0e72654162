using System.Text.Json.Serialization;

namespace RestaurantOs.WebPubSub.Client;

/// <summary>The service's error body.</summary>
internal sealed record ErrorDetail(
    [property: JsonPropertyName("code")] string? Code,
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("target")] string? Target);

/// <summary><c>:generateToken</c> response.</summary>
internal sealed record ClientTokenResponse([property: JsonPropertyName("token")] string? Token);

/// <summary><c>:addToGroups</c> / <c>:removeFromGroups</c> body.</summary>
internal sealed record GroupsFilterBody(
    [property: JsonPropertyName("groups")] IReadOnlyList<string> Groups,
    [property: JsonPropertyName("filter"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Filter);

/// <summary>One page of <c>GET /api/hubs/{hub}/groups/{group}/connections</c>.</summary>
internal sealed record GroupMembersPage(
    [property: JsonPropertyName("value")] IReadOnlyList<WebPubSubGroupMember>? Value,
    [property: JsonPropertyName("nextLink")] string? NextLink);

[JsonSerializable(typeof(ErrorDetail))]
[JsonSerializable(typeof(GroupMembersPage))]
[JsonSerializable(typeof(ClientTokenResponse))]
[JsonSerializable(typeof(GroupsFilterBody))]
[JsonSerializable(typeof(NegotiateResponse))]
internal sealed partial class WebPubSubJsonContext : JsonSerializerContext;
