using System.Text.Json;
using System.Text.Json.Serialization;

namespace RestaurantOs.Emulator.Protocol;

/// <summary>Body of the upstream <c>connect</c> event: every value is an array, as the service sends it.</summary>
internal sealed record ConnectEventRequest(
    IReadOnlyDictionary<string, IReadOnlyList<string>> Claims,
    IReadOnlyDictionary<string, string[]> Query,
    IReadOnlyDictionary<string, string[]> Headers,
    IReadOnlyList<string> Subprotocols,
    IReadOnlyList<ClientCertificateInfo> ClientCertificates);

internal sealed record ClientCertificateInfo(string Thumbprint, string Content);

/// <summary>A 200 reply to <c>connect</c>; every field optional.</summary>
internal sealed record ConnectEventResponse(string? UserId, IReadOnlyList<string>? Groups, IReadOnlyList<string>? Roles, string? Subprotocol);

/// <summary>Body of the upstream <c>disconnected</c> event.</summary>
internal sealed record DisconnectedEventRequest(string? Reason);

/// <summary>The service's error shape; also sent as header <c>x-ms-error-code</c>.</summary>
internal sealed record ErrorDetail(string Code, string Message, string? Target);

internal sealed record GenerateTokenResponse(string Token);

internal sealed record GroupMember(string ConnectionId, string? UserId);

internal sealed record GroupMembersPage(IReadOnlyList<GroupMember> Value, string? NextLink);

/// <summary>Body of <c>:addToGroups</c> / <c>:removeFromGroups</c>.</summary>
internal sealed record GroupsFilterRequest(IReadOnlyList<string>? Groups, string? Filter);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ConnectEventRequest))]
[JsonSerializable(typeof(ConnectEventResponse))]
[JsonSerializable(typeof(DisconnectedEventRequest))]
[JsonSerializable(typeof(ErrorDetail))]
[JsonSerializable(typeof(GenerateTokenResponse))]
[JsonSerializable(typeof(GroupMembersPage))]
[JsonSerializable(typeof(GroupsFilterRequest))]
internal sealed partial class EmulatorJsonContext : JsonSerializerContext;
