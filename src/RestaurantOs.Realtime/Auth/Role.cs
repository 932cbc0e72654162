using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;

namespace RestaurantOs.Realtime.Auth;

/// <summary>The role claim of an app token. On the wire and in tokens the names are lower-case (<c>"kitchen"</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Role>))]
public enum Role
{
    [JsonStringEnumMemberName("owner")] Owner,
    [JsonStringEnumMemberName("manager")] Manager,
    [JsonStringEnumMemberName("server")] Server,
    [JsonStringEnumMemberName("cashier")] Cashier,
    [JsonStringEnumMemberName("kitchen")] Kitchen,
    [JsonStringEnumMemberName("expo")] Expo,
    [JsonStringEnumMemberName("customer")] Customer,
    [JsonStringEnumMemberName("service")] Service,
}

/// <summary>Converts <see cref="Role"/> to and from its claim name.</summary>
public static class RoleNames
{
    public static IReadOnlyList<Role> All { get; } = Enum.GetValues<Role>();

    /// <summary>The lower-case claim name; throws for a value outside the enum (a programming error).</summary>
    public static string ToClaim(Role role) => role switch
    {
        Role.Owner => "owner",
        Role.Manager => "manager",
        Role.Server => "server",
        Role.Cashier => "cashier",
        Role.Kitchen => "kitchen",
        Role.Expo => "expo",
        Role.Customer => "customer",
        Role.Service => "service",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "Unknown role."),
    };

    /// <summary>Parses a claim name, case-insensitively (<c>"Kitchen"</c> is accepted); numbers are not roles.</summary>
    public static bool TryParse(string? value, [NotNullWhen(true)] out Role? role)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(ToClaim(candidate), value, StringComparison.OrdinalIgnoreCase))
            {
                role = candidate;
                return true;
            }
        }

        role = null;
        return false;
    }
}

/// <summary>
/// Who a connection is, fixed by a validated token: the tenant comes only from here, never from a client message.
/// </summary>
/// <param name="OrderIds">For customers, the orders the token grants (never empty); empty for staff.</param>
/// <param name="Station">The station the token names (<c>station</c> claim, e.g. <c>grill-kds-1</c>), if any.</param>
/// <param name="Device">The device the token names (<c>device</c> claim), if any.</param>
public sealed record ConnectionIdentity(string UserId, Guid RestaurantId, Role Role, IReadOnlyList<Guid> OrderIds, string? Station = null, string? Device = null);
